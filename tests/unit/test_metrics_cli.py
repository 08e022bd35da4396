"""`learnroi kpis` over a real store: formats, suppression markers, exit codes and the learner-level access log.

Would catch: a learner-level export that needs no flag or leaves no trace, a suppressed cell printed as a
number, JSON that other tools cannot parse, a wrong-usage call exiting 1 instead of 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from learnroi.cli.main import run
from tests.unit.test_metrics_fixture import build_frames, load_store


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kpis") / "learnroi.duckdb"
    load_store(build_frames(), str(path))
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        run(args)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_table_json_csv_parquet(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["kpis", "--db", str(db), "--by", "department"], capsys)
    assert code == 0
    assert "suppressed (<5)" in out
    assert "cells suppressed" in out
    code, out, _ = _run(["kpis", "reach", "completion_rate", "--db", str(db), "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["grain"] == "program"
    assert {r["kpi"] for r in payload["rows"]} == {"reach", "completion_rate"}
    assert {r["program_id"] for r in payload["rows"]} == {"sales", "onboard", "coach"}
    code, out, _ = _run(["kpis", "reach", "--db", str(db), "--by", "department", "--format", "csv"], capsys)
    assert code == 0
    rows = out.strip().splitlines()
    assert rows[0].startswith("program_id,grain,cell,kpi,value")
    assert any(r.endswith("True,small_cell") for r in rows)
    target = tmp_path / "k.parquet"
    code, _, _ = _run(
        ["kpis", "--db", str(db), "--program", "sales", "--format", "parquet", "--output", str(target)],
        capsys,
    )
    assert code == 0
    frame = pd.read_parquet(target)
    assert set(frame["program_id"]) == {"sales"}
    assert frame["suppressed"].dtype == bool


def test_learner_level_needs_the_flag_and_is_logged(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["kpis", "--db", str(db), "--by", "learner"], capsys)
    assert code == 2
    assert "Hint:" in err
    assert "--learner-level" in err
    code, out, _ = _run(
        [
            "kpis",
            "reach",
            "--db",
            str(db),
            "--by",
            "learner",
            "--learner-level",
            "--program",
            "sales",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    n = len(json.loads(out)["rows"])
    with duckdb.connect(str(db), read_only=True) as con:
        log = con.execute("SELECT command, grain, program_id, kpis, n_rows FROM access_log").fetchall()
    assert log == [("kpis --by learner", "learner", "sales", "reach", n)]


def test_bad_usage_exits_2(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["kpis", "nope"],
        ["kpis", "--by", "planet"],
        ["kpis", "cost_per_learner", "--by", "period"],
    ):
        code, _, err = _run([*args, "--db", str(db)], capsys)
        assert code == 2, args
        assert "Hint:" in err
    code, _, err = _run(["kpis", "--db", str(db.parent / "missing.duckdb")], capsys)
    assert code == 1
    assert "Hint:" in err
    code, _, err = _run(["kpis", "--db", str(db), "--program", "nope"], capsys)
    assert code == 1
    assert "no LMS events for program 'nope'" in err
