"""`learnroi kpis --content` and `kpis --by module|modality` over a store file holding the hand-made program.

Would catch: the ranking missing from the printed table, suppressed cells printed as numbers, JSON other tools
cannot parse, --content combined with catalog options silently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from learnroi.cli.main import run
from learnroi.pipeline.inmemory import FILES, store_from_tables
from tests.unit.test_metrics_content import P, content_frames


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("content") / "learnroi.duckdb"
    f = content_frames()
    names = {v: k for k, v in FILES.items()}
    tables = {
        names[n]: pa.Table.from_pandas(
            f[n].drop(columns=["learner_key", "learner_id", "source"], errors="ignore"), preserve_index=False
        )
        for n in ("employees", "catalog", "lms_events", "attendance")
    }
    with store_from_tables(tables) as store:
        current = store.con.execute("SELECT current_database()").fetchone()
        assert current is not None
        store.con.execute(f"ATTACH '{path}' AS target")
        store.con.execute(f"COPY FROM DATABASE {current[0]} TO target")
        store.con.execute("DETACH target")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        run(args)
    return int(info.value.code or 0), capsys.readouterr().out


def test_content_table_json_csv(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["kpis", "--content", "--db", str(db)], capsys)
    assert code == 0
    assert "Content effectiveness" in out
    assert "hidden: suppressed" in out
    assert "Not ranked" in out
    first = next(line for line in out.splitlines() if " 1 " in line)
    assert "m_weak" in first
    code, out = _run(["kpis", "--content", "--program", P, "--db", str(db), "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert [r["module_id"] for r in payload["ranking"][:3]] == ["m_weak", "m_intro", "m_good"]
    assert payload["ranking"][0]["update_priority"] == pytest.approx(20 / 21 * 0.7 * 0.96)
    code, out = _run(["kpis", "--content", "--db", str(db), "--format", "csv"], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("program_id,grain,cell")
    assert "blend,module,core/m_tiny" in out


def test_module_grain_and_wrong_usage(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(["kpis", "reach", "--by", "modality", "--db", str(db), "--format", "csv"], capsys)
    assert code == 0
    assert "blend,modality,classroom,reach,8.0" in out
    code, out = _run(
        ["kpis", "completion_rate", "--by", "module", "--db", str(db), "--format", "csv"], capsys
    )
    assert code == 0
    assert "blend,module,core/m_weak,completion_rate,0.3," in out
    code, _ = _run(["kpis", "reach", "--content", "--db", str(db)], capsys)
    assert code == 2
