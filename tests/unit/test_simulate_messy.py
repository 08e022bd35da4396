"""``--messy``: every planted fault is where truth/messy.json says, and nothing else changes the truth.

Would catch: a fault listed at the wrong row (ingest tests count on these numbers), a fault type that
silently stopped being planted, or messy mode changing the clean data's truth.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from learnroi.simulate import SimulationSummary, simulate_company


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[SimulationSummary, SimulationSummary]:
    base = tmp_path_factory.mktemp("m")
    messy = simulate_company(base / "messy", employees=400, seed=5, messy=True, xapi=False)
    clean = simulate_company(base / "clean", employees=400, seed=5, xapi=False)
    return messy, clean


def _lines(path: Path, encoding: str = "utf-8") -> list[str]:
    return path.read_bytes().decode(encoding).split("\n")


def test_every_fault_is_where_messy_json_says(pair: tuple[SimulationSummary, SimulationSummary]) -> None:
    messy, _ = pair
    out = messy.out
    log = json.loads((out / "truth" / "messy.json").read_text(encoding="utf-8"))
    kinds = Counter(f["fault"] for f in log["faults"])
    assert kinds == log["counts"]
    assert set(kinds) == {
        "duplicate_row",
        "malformed_timestamp",
        "malformed_date",
        "latin1_encoding",
        "unknown_id",
        "utf8_bom",
        "blank_line",
        "corrected_row",
        "correction",
    }
    enc = {"hris/employees.csv": "latin-1"}
    for f in log["faults"]:
        lines = _lines(out / f["file"], enc.get(f["file"], "utf-8"))
        if f["line"] > 0:
            line = lines[f["line"] - 1]
        if f["fault"] == "duplicate_row":
            assert line == lines[f["line"] - 2], f
        elif f["fault"] == "malformed_timestamp":
            stamp = line.split(",")[6]
            with pytest.raises(ValueError, match=r"does not match format|out of range|unconverted"):
                datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")
        elif f["fault"] == "malformed_date":
            with pytest.raises(ValueError, match="Invalid isoformat"):
                date.fromisoformat(line.split(",")[8])
        elif f["fault"] == "unknown_id":
            assert line.split(",")[0].startswith("E9")
        elif f["fault"] == "blank_line":
            assert line == ""
        elif f["fault"] == "corrected_row":
            key = line.split(",")[:2]
            fix = _lines(out / "costs" / "ledger_2026-01-05.csv")[1].split(",")
            assert fix[:2] == key
            assert float(fix[5]) * 10 == pytest.approx(float(line.split(",")[5]))
    raw = (out / "hris" / "employees.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert any(ch in raw.decode("latin-1") for ch in "éüñøç")
    assert (out / "performance" / "kpis.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_rerun_removes_stale_outputs(tmp_path: Path) -> None:
    out = tmp_path / "d"
    simulate_company(out, employees=300, seed=1, messy=True)
    (out / "notes.txt").write_text("mine")
    simulate_company(out, employees=300, seed=1, xapi=False)
    assert not (out / "truth" / "messy.json").exists()
    assert not (out / "costs" / "ledger_2026-01-05.csv").exists()
    assert not (out / "xapi" / "statements.jsonl").exists()
    assert (out / "notes.txt").read_text() == "mine"


def test_messy_keeps_the_truth(pair: tuple[SimulationSummary, SimulationSummary]) -> None:
    messy, clean = pair
    t = dict(messy.truth)
    assert t.pop("messy") is True
    assert t == clean.truth
    assert messy.files["lms/events.csv"] == clean.files["lms/events.csv"] + 10
