"""`learnroi evidence add|list` end to end through `learnroi.cli.main.run` (the real entry point).

Would catch: a note that is not its own batch (so `sources` does not list it or `ingest --undo` cannot
remove it), a list that loses a field or a note's punctuation, a bad stance that is stored, crashes or
exits without a Hint.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learnroi.cli.main import run


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        run(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_evidence_round_trip_with_sources_and_undo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "s.duckdb")
    note = 'Managers hear "fewer repeat calls", and agents use the checklist'
    code, out, _ = _run(
        capsys,
        "evidence", "add", "service-blend", "--note", note, "--stance", "supports", "--kpi", "escalations",
        "--author-role", "manager", "--source-type", "interview", "--date", "2025-05-02", "--db", db, "--json",
    )  # fmt: skip
    assert code == 0
    added = json.loads(out)
    code, out, _ = _run(
        capsys,
        "evidence",
        "add",
        "sales-skills",
        "--note",
        "No visible change",
        "--stance",
        "neutral",
        "--db",
        db,
    )
    assert code == 0
    assert "Added ev-" in out
    code, out, _ = _run(capsys, "evidence", "list", "service-blend", "--json", "--db", db)
    assert code == 0
    assert json.loads(out) == [
        {
            "evidence_id": added["evidence_id"],
            "program_id": "service-blend",
            "kpi": "escalations",
            "author_id": None,
            "author_role": "manager",
            "source_type": "interview",
            "recorded_date": "2025-05-02",
            "stance": "supports",
            "note": note,
        }
    ]
    code, out, _ = _run(capsys, "sources", "--json", "--db", db)
    batches = [b for b in json.loads(out) if b["file"] == "cli: evidence add"]
    assert sorted(b["batch_id"] for b in batches) == [added["batch_id"], added["batch_id"] + 1]
    assert {b["kind"] for b in batches} == {"surveys"}
    code, _, _ = _run(capsys, "ingest", "--undo", str(added["batch_id"]), "--db", db)
    assert code == 0
    code, out, _ = _run(capsys, "evidence", "list", "--json", "--db", db)
    assert [r["program_id"] for r in json.loads(out)] == ["sales-skills"]


def test_a_bad_stance_exits_1_with_a_hint_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "s.duckdb")
    code, _, err = _run(capsys, "evidence", "add", "p", "--note", "n", "--stance", "maybe", "--db", db)
    assert code == 1
    assert "stance must be one of supports, contradicts, neutral" in err
    assert "Hint:" in err
    assert "Traceback" not in err
    code, out, _ = _run(capsys, "evidence", "list", "--json", "--db", db)
    assert code == 0
    assert json.loads(out) == []
