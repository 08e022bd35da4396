"""Ingest semantics of contracts §2: natural key + content hash, supersede, no-change re-ingest, undo,
quarantine and its threshold, unmatched identities, time zones.

Would catch: a re-ingest that duplicates rows or quarantine records, a corrected row that overwrites its
history (or is ignored), an undo that loses the version it should reinstate, a quarantined row counted
nowhere, an unknown learner silently dropped, a zone-less timestamp shifted by the machine's zone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learnroi.core.errors import DataError, LearnroiError, UsageError
from learnroi.store import IngestResult, Store, ingest, undo

HEAD = "event_id,learner_email,program_id,course_id,module_id,event_type,timestamp,score,max_score,assessment,attempt,duration_seconds,exported_at"
HRIS = (
    "employee_id,email,full_name,department,team_id,role,location,manager_id,hire_date,exit_date,loaded_salary,standard_hours\n"
    + "".join(
        f"E{i:03d},p{i}@acme.example,P {i},Sales-01,T1,sales_rep,Boston,,2020-01-01,,90000,2080\n"
        for i in range(20)
    )
)


def _event(i: int, score: float | None = None, email: str | None = None) -> str:
    who = email or f" P{i % 20}@ACME.example"
    ts = f"2025-01-{1 + i // 24:02d}T{i % 24:02d}:00:00+00:00"
    sc = "" if score is None else f"{score:.1f}"
    kind = "attempted" if score is not None else "launched"
    att = "1" if score is not None else ""
    return f"EV{i:05d},{who},sales-skills,ss-c1,ss-m{i % 3},{kind},{ts},{sc},{'100' if sc else ''},,{att},60"


def _export(
    path: Path, rows: range, exported_at: str, corrected: int | None = None, extra: list[str] | None = None
) -> Path:
    lines = [HEAD]
    for i in rows:
        score = 50.0 + i % 7 + (10 if i == corrected else 0) if i % 5 == 0 else None
        lines.append(f"{_event(i, score)},{exported_at}")
    lines += extra or []
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _accounted(r: IngestResult) -> IngestResult:
    assert r.rows_read == r.loaded + r.quarantined + r.skipped
    for f in r.files:
        assert f.rows_read == f.loaded + f.quarantined + f.skipped
    return r


def _counts(store: Store) -> dict[str, int]:
    q = "SELECT (SELECT count(*) FROM hist_lms_events), (SELECT count(*) FROM hist_employees), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM batches)"
    row = store.con.execute(q).fetchone()
    assert row is not None
    return dict(zip(["events", "employees", "quarantine", "batches"], (int(x) for x in row), strict=True))


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "s.duckdb")
    (tmp_path / "hris.csv").write_text(HRIS, encoding="utf-8")
    _accounted(ingest(s, "hris", [tmp_path / "hris.csv"]))
    return s


def test_identical_reingest_adds_one_no_changes_batch_and_nothing_else(store: Store, tmp_path: Path) -> None:
    bad = ["EV99999,p1@acme.example,sales-skills,ss-c1,ss-m1,launched,not-a-time,,,,,60,x"]
    f = _export(tmp_path / "events.csv", range(100), "2025-02-01T00:00:00Z", extra=bad)
    first = _accounted(ingest(store, "lms", [f], max_quarantine=0.05))
    assert (first.loaded, first.quarantined, first.no_changes) == (100, 1, False)
    before = _counts(store)
    again = _accounted(ingest(store, "lms", [f], max_quarantine=0.05))
    after = _counts(store)
    assert again.no_changes
    assert again.loaded == 0
    assert again.superseded == 0
    assert after == {**before, "batches": before["batches"] + 1}
    assert store.con.execute(
        "SELECT no_changes FROM batches WHERE batch_id = ?", [again.batch_id]
    ).fetchone() == (True,)


def test_overlapping_newer_export_supersedes_one_row_and_undo_restores_it(
    store: Store, tmp_path: Path
) -> None:
    old = _export(tmp_path / "jan.csv", range(0, 100), "2025-02-01T00:00:00Z")
    new = _export(tmp_path / "feb.csv", range(50, 150), "2025-03-01T08:00:00Z", corrected=60)
    b1 = _accounted(ingest(store, "lms", [old]))
    b2 = _accounted(ingest(store, "lms", [new]))
    assert (b2.loaded, b2.superseded, b2.skipped, b2.quarantined) == (51, 1, 49, 0)
    cur = store.con.execute(
        "SELECT count(*), max(score) FILTER (WHERE event_id = 'EV00060') FROM lms_events"
    ).fetchone()
    assert cur == (150, 50.0 + 60 % 7 + 10)
    versions = store.con.execute(
        "SELECT _batch_id, _superseded_by, score FROM hist_lms_events WHERE event_id = 'EV00060' ORDER BY _batch_id"
    ).fetchall()
    assert versions == [(b1.batch_id, b2.batch_id, 50.0 + 60 % 7), (b2.batch_id, None, 50.0 + 60 % 7 + 10)]
    res = undo(store, int(b2.batch_id or 0))
    assert (res.removed, res.reinstated) == (51, 1)
    cur = store.con.execute(
        "SELECT count(*), max(score) FILTER (WHERE event_id = 'EV00060') FROM lms_events"
    ).fetchone()
    assert cur == (100, 50.0 + 60 % 7)
    with pytest.raises(UsageError, match="already undone"):
        undo(store, int(b2.batch_id or 0))
    # re-reading the older export after the newer one never reverts the correction
    _accounted(ingest(store, "lms", [new]))
    stale = _accounted(ingest(store, "lms", [old]))
    assert stale.no_changes
    assert stale.superseded == 0


def test_undo_a_middle_version_keeps_the_latest_current(store: Store, tmp_path: Path) -> None:
    ids = []
    for k, amount in enumerate((100, 200, 300)):
        f = tmp_path / f"ledger{k}.csv"
        f.write_text(
            "program_id,line_id,date,category,description,amount,currency,modality\n"
            f"sales-skills,L1,2025-01-01,delivery,x,{amount},USD,\n",
            encoding="utf-8",
        )
        ids.append(int(_accounted(ingest(store, "costs", [f])).batch_id or 0))
    undo(store, ids[1])
    assert store.con.execute("SELECT amount FROM cost_ledger").fetchall() == [(300.0,)]
    undo(store, ids[2])
    assert store.con.execute("SELECT amount FROM cost_ledger").fetchall() == [(100.0,)]


def test_quarantine_over_the_threshold_loads_nothing_and_says_where_and_how(
    store: Store, tmp_path: Path
) -> None:
    bad = [
        f"EVB{i},p1@acme.example,sales-skills,ss-c1,ss-m1,launched,2025-01-0{i}T00:00:00Z,,,,,ten,x"
        for i in range(1, 4)
    ]
    f = _export(tmp_path / "events.csv", range(10), "2025-02-01T00:00:00Z", extra=bad)
    before = _counts(store)
    with pytest.raises(DataError) as info:
        ingest(store, "lms", [f])
    text = str(info.value)
    assert str(f) in text
    assert "row 11" in text
    assert "duration_seconds" in text
    assert "'ten'" in text
    assert "\nHint: " in text
    assert "--max-quarantine" in text
    assert _counts(store) == before
    ok = _accounted(ingest(store, "lms", [f], max_quarantine=0.5))
    assert ok.quarantined == 3
    rows = store.con.execute(
        'SELECT file, "row", "column", value, reason FROM quarantine ORDER BY "row"'
    ).fetchall()
    assert rows[0] == (
        str(f),
        11,
        "duration_seconds",
        "ten",
        "not a duration (seconds, PT1M30S, HH:MM:SS or '3m 17s')",
    )


def test_unknown_learners_are_loaded_and_listed_not_quarantined(store: Store, tmp_path: Path) -> None:
    extra = [f"{_event(500, email='Stranger@Partner.example ')},x"]
    f = _export(tmp_path / "events.csv", range(10), "x", extra=extra)
    r = _accounted(ingest(store, "lms", [f]))
    assert r.quarantined == 0
    assert r.loaded == 11
    assert r.unmatched == ("stranger@partner.example",)
    assert r.match_rate == pytest.approx(10 / 11)
    row = store.con.execute("SELECT learner_id FROM lms_events WHERE event_id = 'EV00500'").fetchone()
    assert row == (None,)
    assert store.con.execute("SELECT count(DISTINCT learner_id) FROM lms_events").fetchone() == (10,)


def test_in_file_repeats_exact_skipped_conflicting_quarantined(store: Store, tmp_path: Path) -> None:
    dup = f"{_event(3)},x"
    conflict = f"{_event(5, score=99.0)},x"
    f = _export(tmp_path / "events.csv", range(10), "x", extra=[dup, conflict])
    r = _accounted(ingest(store, "lms", [f], max_quarantine=0.2))
    assert (r.loaded, r.skipped, r.quarantined) == (10, 1, 1)
    reason = store.con.execute('SELECT "row", reason FROM quarantine').fetchone()
    assert reason is not None
    assert reason[0] == 6
    assert "row 12" in reason[1]
    assert store.con.execute("SELECT score FROM lms_events WHERE event_id = 'EV00005'").fetchone() == (99.0,)


@pytest.mark.parametrize(("tz", "hour"), [(None, 9), ("America/New_York", 14), ("Asia/Kolkata", 3)])
def test_zone_less_timestamps_use_tz_and_offsets_win(
    store: Store, tmp_path: Path, tz: str | None, hour: int
) -> None:
    f = tmp_path / "events.csv"
    f.write_text(
        HEAD + "\nA1,p1@acme.example,p,c,m,launched,2025-01-02 09:00:00,,,,,,x\n"
        "A2,p1@acme.example,p,c,m,completed,2025-01-02T09:00:00-05:00,,,,,,x\n",
        encoding="utf-8",
    )
    _accounted(ingest(store, "lms", [f], tz=tz))
    got = dict(store.con.execute('SELECT event_id, hour("timestamp") FROM lms_events').fetchall())
    assert got == {"A1": hour, "A2": 14}


@pytest.mark.parametrize(
    ("kind", "name", "content", "needle"),
    [
        ("lms", "missing.csv", None, "file not found"),
        ("lms", "events.pdf", "x", "unknown file type"),
        ("lms", "wrong.csv", "a,b\n1,2\n", "no column for learner_email, event_type, timestamp"),
        ("hris", "book.xlsx", "not a zip", "not a readable workbook"),
        ("xapi", "s.json", '[{"a": 1}]', "not xAPI statements"),
        ("xapi", "s.json", '[{"a": 1', "not valid JSON"),
    ],
)
def test_bad_inputs_name_the_file_and_give_a_hint(
    store: Store, tmp_path: Path, kind: str, name: str, content: str | None, needle: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(LearnroiError) as info:
        ingest(store, kind, [path])
    assert info.value.where is not None
    assert str(path) in info.value.where
    assert needle in info.value.message
    assert info.value.hint


def test_usage_errors(store: Store, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="KIND"):
        ingest(store, "nope", [tmp_path])
    with pytest.raises(UsageError, match="time zone"):
        ingest(store, "lms", [tmp_path / "x.csv"], tz="Mars/Olympus")
    with pytest.raises(UsageError, match="no batch 999"):
        undo(store, 999)
