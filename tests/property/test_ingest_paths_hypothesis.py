"""The direct load and the general path store the same thing, for any mix of clean and messy rows.

Would catch: the direct load keeping a row the general path refuses, skips or supersedes (or the
reverse), different row numbers, hashes, lineage or stored email forms, a different quarantine, or
different counts — on a first load and on a second, overlapping export.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnroi.core.errors import LearnroiError
from learnroi.store import IngestResult, Store, ingest

HEAD = "event_id,learner_email,program_id,course_id,module_id,event_type,timestamp,score,max_score,assessment,attempt,duration_seconds"
INGEST = sys.modules["learnroi.store.ingest"]
DIRECT = sys.modules["learnroi.store.direct"]
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FLAWS = ["none"] * 6 + ["repeat", "changed", "bad_time", "padded", "upper", "ragged", "no_email"]


def _clean(i: int) -> list[str]:
    ts = (datetime(2025, 3, 1) + timedelta(hours=7 * i)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    score = [f"{40 + i % 50}.5", "100"] if i % 2 else ["", ""]
    return [
        f"EV{i}",
        f"p{i % 4}@acme.example",
        "sales-skills",
        "ss-c1",
        f"ss-m{i % 3}",
        "attempted",
        ts,
        *score,
        "post",
        "1",
        str(30 + i),
    ]


def _rows(ids: list[int], flaws: list[str]) -> list[str]:
    out: list[list[str]] = []
    for i, flaw in zip(ids, flaws, strict=True):
        row = _clean(i)
        if flaw == "repeat" and out:
            row = list(out[-1])
        elif flaw == "changed" and out:
            row = list(out[-1])
            row[11] = str(int(row[11]) + 1)
        elif flaw == "bad_time":
            row[6] = "2025-02-30T10:00:00"
        elif flaw == "padded":
            row = [f" {v} " if v else v for v in row]
        elif flaw == "upper":
            row[1] = row[1].upper()
        elif flaw == "ragged":
            row = [*row, "surplus"]
        elif flaw == "no_email":
            row[1] = ""
        out.append(row)
    return [",".join(r) for r in out]


def _state(store: Store) -> tuple[list[Any], list[Any]]:
    hist = store.con.execute(
        "SELECT * EXCLUDE (_batch_id, _superseded_by), _superseded_by IS NULL FROM hist_lms_events "
        "ORDER BY _file, _row, _superseded_by IS NULL"
    ).fetchall()
    quarantine = store.con.execute(
        'SELECT file, "row", "column", value, reason FROM quarantine ORDER BY file, "row", "column"'
    ).fetchall()
    return hist, quarantine


def _counts(r: IngestResult) -> tuple[int, ...]:
    return (r.rows_read, r.loaded, r.quarantined, r.skipped, r.superseded)


def _run(files: list[Path], direct: bool) -> list[tuple[Any, ...]]:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise DIRECT.NotDirect("general only")

    seen: list[tuple[Any, ...]] = []
    with (
        Store.open(None) as store,
        mock.patch.object(INGEST, "direct_unit", DIRECT.direct_unit if direct else never),
    ):
        for f in files:
            try:
                r = ingest(store, "lms", [f], max_quarantine=1.0)
            except LearnroiError as exc:  # the same refusal either way (e.g. a file of one ragged row)
                seen.append((type(exc).__name__, exc.message, *_state(store)))
                continue
            seen.append((_counts(r), *_state(store)))
    return seen


@SETTINGS
@given(
    first=st.lists(st.tuples(st.integers(0, 40), st.sampled_from(FLAWS)), min_size=1, max_size=25),
    second=st.lists(st.tuples(st.integers(20, 60), st.sampled_from(FLAWS)), max_size=25),
)
def test_direct_and_general_paths_store_the_same(
    first: list[tuple[int, str]], second: list[tuple[int, str]]
) -> None:
    with tempfile.TemporaryDirectory() as d:
        files = []
        for name, spec in (("jan.csv", first), ("feb.csv", second)):
            if not spec:
                continue
            path = Path(d) / name
            path.write_text(
                "\n".join([HEAD, *_rows([i for i, _ in spec], [f for _, f in spec])]) + "\n", encoding="utf-8"
            )
            files.append(path)
        assert _run(files, direct=True) == _run(files, direct=False)
