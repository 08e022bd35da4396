"""The store: numbered migrations applied once each in one transaction, and the canonical views.

Would catch: a migration applied twice or out of order, a failed migration leaving half a schema, a
current view whose columns drift from docs/reference/data-layout.md (the KPI catalog reads them).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from learnroi.core.errors import EnvironmentProblem
from learnroi.sources.schema import TABLES
from learnroi.store import Migration, Store, apply_migrations, discover_migrations

LAYOUT = Path(__file__).parents[2] / "docs" / "reference" / "data-layout.md"


def test_open_creates_applies_and_records_every_migration(tmp_db: Path) -> None:
    with Store.open(tmp_db) as store:
        versions = [
            r[0] for r in store.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()
        ]
        assert versions == [m.version for m in discover_migrations()]
        assert versions[:3] == [1, 2, 3]
    with Store.open(tmp_db) as store:  # reopening applies nothing again
        assert apply_migrations(store.con) == []
    with Store.open(tmp_db, read_only=True) as store:
        assert store.schema_version() == max(versions)


def test_failed_migration_rolls_back_and_says_which() -> None:
    con = duckdb.connect()
    good = Migration(1, "good", "CREATE TABLE a (x INTEGER);")
    bad = Migration(2, "bad", "CREATE TABLE b (x INTEGER); SELECT * FROM no_such_table;")
    with pytest.raises(EnvironmentProblem, match="002_bad") as info:
        apply_migrations(con, [good, bad])
    assert "Hint" in str(info.value)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "a" in tables
    assert "b" not in tables
    assert [r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()] == [1]


def test_read_only_open_of_missing_file_has_a_hint(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="does not exist"):
        Store.open(tmp_path / "nope.duckdb", read_only=True)


def _layout_columns() -> dict[str, list[str]]:
    """Canonical columns per file, read from the data-layout contract itself."""
    text = LAYOUT.read_text(encoding="utf-8")
    out: dict[str, list[str]] = {}
    for title, body in re.findall(r"### `([^`]+)`.*?\n(.*?)(?=\n### |\Z)", text, flags=re.S):
        if re.search(r"^\| column", body, flags=re.M):
            cols = re.findall(r"^\| ([a-z_, ]+) \|", body, flags=re.M)
            out[title] = [c.strip() for cell in cols if cell.strip() != "column" for c in cell.split(",")]
        else:
            span = re.search(r"`([^`]+)`", body)
            if span:
                flat = re.sub(r"\([^)]*\)", "", span.group(1).replace("\n", " "))
                out[title] = [c.strip() for c in flat.split(",")]
    return out


@pytest.mark.parametrize(
    ("view", "layout_file"),
    [
        ("employees", "hris/employees.csv"),
        ("assignments", "design/assignments.csv"),
        ("waves", "design/waves.csv"),
        ("catalog", "lms/catalog.csv"),
        ("lms_events", "lms/events.csv"),
        ("performance", "performance/kpis.csv"),
        ("cost_ledger", "costs/ledger.csv"),
        ("survey_estimates", "surveys/estimates.csv"),
    ],
)
def test_current_views_have_exactly_the_canonical_columns(view: str, layout_file: str) -> None:
    expected = _layout_columns()[layout_file]
    extra = ["learner_key", "learner_id", "source"] if view == "lms_events" else []
    with Store.open(None) as store:
        cols = [str(c) for c in store.con.sql(f"SELECT * FROM {view}").columns]
    assert cols == [*expected, *extra]
    assert list(TABLES[view].column_names) == expected
