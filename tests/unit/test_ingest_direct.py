"""The direct load of clean CSVs, the row-hash scheme and its safety nets (store/direct.py, store/rowhash.py).

Would catch: a direct load whose stored rows differ from the general path's (keys, hashes, row numbers,
lineage); a messy, repeated or overlapping file kept on the direct path (rows lost or duplicated); a
hash collision silently merging two different rows; a DuckDB upgrade (new ``hash()``) or an MD5-era store
whose stored hashes stop matching, so re-ingesting duplicates everything; an email dropped by the
compact storage of LMS events; one ragged row or unterminated quote making DuckDB's sniffer refuse the
whole file (it now costs that row alone).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from learnroi.core.errors import DataError
from learnroi.store import IngestResult, Store, ingest

HEAD = "event_id,learner_email,program_id,course_id,module_id,event_type,timestamp,score,max_score,assessment,attempt,duration_seconds"
HRIS = "employee_id,email\n" + "".join(f"E{i:03d},p{i}@acme.example\n" for i in range(10))
INGEST = sys.modules["learnroi.store.ingest"]
DIRECT = sys.modules["learnroi.store.direct"]


def _row(i: int, email: str | None = None) -> str:
    who = email if email is not None else (f"P{i % 10}@ACME.example" if i % 2 else f"p{i % 10}@acme.example")
    ts = (datetime(2025, 1, 1) + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    score = f"{50 + i % 7}.5,100" if i % 3 == 0 else ","
    return f"EV{i:04d},{who},sales-skills,ss-c1,ss-m{i % 3},attempted,{ts},{score},post,1,{60 + i}"


def _file(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEAD, *rows]) + "\n", encoding="utf-8")
    return path


def _store(tmp_path: Path, name: str) -> Store:
    s = Store.open(tmp_path / f"{name}.duckdb")
    (tmp_path / "hris.csv").write_text(HRIS, encoding="utf-8")
    ingest(s, "hris", [tmp_path / "hris.csv"])
    return s


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the direct load did for each unit: 'direct' or the reason it gave up."""
    seen: list[str] = []
    real = DIRECT.direct_unit

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            out = real(*args, **kwargs)
        except DIRECT.NotDirect as exc:
            seen.append(str(exc))
            raise
        seen.append("direct")
        return out

    monkeypatch.setattr(INGEST, "direct_unit", wrapped)
    return seen


def _hist(store: Store) -> list[tuple[Any, ...]]:
    return store.con.execute(
        "SELECT * EXCLUDE (_batch_id) FROM hist_lms_events ORDER BY _file, _row"
    ).fetchall()


def test_direct_load_stores_exactly_what_the_general_path_stores(
    tmp_path: Path, spy: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    f = _file(tmp_path / "events.csv", [_row(i) for i in range(60)])
    with _store(tmp_path, "a") as a:
        spy.clear()
        r = ingest(a, "lms", [f])
        direct_rows, direct_files = (
            _hist(a),
            a.con.execute("SELECT * EXCLUDE (batch_id) FROM batch_files").fetchall(),
        )
    assert spy == ["direct"]
    assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == (60, 60, 0, 0)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise DIRECT.NotDirect("forced")

    monkeypatch.setattr(INGEST, "direct_unit", never)
    with _store(tmp_path, "b") as b:
        ingest(b, "lms", [f])
        general_rows, general_files = (
            _hist(b),
            b.con.execute("SELECT * EXCLUDE (batch_id) FROM batch_files").fetchall(),
        )
    assert direct_rows == general_rows  # values, _key, _hash, _row, _file, stored email form
    assert direct_files == general_files
    assert [r[-1] for r in direct_rows] == list(range(1, 61))  # file row numbers, in order


@pytest.mark.parametrize(
    ("extra", "n", "reason", "counts"),
    [
        ([_row(99).replace("+00:00", "+00:00x")], 60, "refused or skipped rows", (61, 60, 1, 0)),
        ([_row(5)], 60, "a key repeats within the batch", (61, 60, 0, 1)),
        ([_row(98) + ",surplus,cells"], 60, "the file did not sniff cleanly", (61, 60, 1, 0)),
        (['EV9999,"p1@acme.example,unterminated'], 60, "the file did not sniff cleanly", (61, 60, 1, 0)),
        # past DuckDB's sniffing sample (20,480 lines) the streamed read rejects the line instead
        ([_row(98_000) + ",surplus,cells"], 25_000, "lines DuckDB could not split", (25_001, 25_000, 1, 0)),
    ],
)
def test_messy_files_leave_the_direct_path_and_every_row_is_accounted(
    tmp_path: Path, spy: list[str], extra: list[str], n: int, reason: str, counts: tuple[int, int, int, int]
) -> None:
    rows = [_row(i) for i in range(n)]
    f = _file(
        tmp_path / "events.csv",
        rows[: n // 2 if n < 100 else n - 10] + extra + rows[n // 2 if n < 100 else n - 10 :],
    )
    with _store(tmp_path, "s") as s:
        spy.clear()
        r = ingest(s, "lms", [f], max_quarantine=0.5)
        assert spy == [reason]
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == counts
        assert s.con.execute("SELECT count(*) FROM lms_events").fetchone() == (n,)


def test_overlapping_export_takes_the_general_path_and_supersedes(tmp_path: Path, spy: list[str]) -> None:
    with _store(tmp_path, "s") as s:
        spy.clear()
        ingest(s, "lms", [_file(tmp_path / "jan.csv", [_row(i) for i in range(40)])])
        newer = [_row(i) for i in range(30, 60)]
        newer[0] = newer[0].replace(",post,1,90", ",post,1,999")  # row 30: a corrected duration
        r = ingest(s, "lms", [_file(tmp_path / "feb.csv", newer)])
        assert spy == ["direct", "the first rows repeat stored keys"]  # known from its first rows
        again = ingest(s, "lms", [tmp_path / "jan.csv"])  # a file read before goes the general way at once
        assert spy == ["direct", "the first rows repeat stored keys"]
        assert again.no_changes
        assert (r.loaded, r.skipped, r.superseded) == (21, 9, 1)
        assert s.con.execute("SELECT count(*) FROM lms_events").fetchone() == (60,)


def test_compact_email_storage_keeps_every_email_in_the_view(tmp_path: Path) -> None:
    rows = [_row(i) for i in range(20)]
    with _store(tmp_path, "s") as s:
        ingest(s, "lms", [_file(tmp_path / "events.csv", rows)])
        stored = dict(s.con.execute("SELECT event_id, learner_email FROM hist_lms_events").fetchall())
        shown = dict(s.con.execute("SELECT event_id, learner_email FROM lms_events").fetchall())
        given = {r.split(",")[0]: r.split(",")[1] for r in rows}
        assert shown == given
        assert {k for k, v in stored.items() if v is None} == {k for k, v in given.items() if v == v.lower()}
        statement = {
            "id": "00000000-0000-4000-8000-000000000001",
            "actor": {"mbox_sha1sum": "a" * 40},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "https://lms.example.com/xapi/activities/sales-skills/ss-c1/ss-m1"},
            "timestamp": "2025-02-01T10:00:00Z",
        }
        (tmp_path / "s.jsonl").write_text(json.dumps(statement) + "\n", encoding="utf-8")
        ingest(s, "xapi", [tmp_path / "s.jsonl"])
        row = s.con.execute(
            "SELECT learner_email, learner_key FROM lms_events WHERE source = 'xapi'"
        ).fetchone()
        assert row == ("a" * 40, "a" * 40)  # a hashed mailbox is its own identity, shown as before
        assert s.con.execute(
            "SELECT learner_email FROM hist_lms_events WHERE source = 'xapi'"
        ).fetchone() == (None,)


def _reingest_adds_nothing(s: Store, files: list[Path]) -> IngestResult:
    before = s.con.execute("SELECT count(*) FROM hist_lms_events").fetchone()
    r = ingest(s, "lms", files)
    assert r.no_changes
    assert r.loaded == 0
    assert r.superseded == 0
    assert s.con.execute("SELECT count(*) FROM hist_lms_events").fetchone() == before
    return r


def test_a_changed_hash_function_or_an_md5_era_store_is_rehashed_before_the_next_ingest(
    tmp_path: Path,
) -> None:
    f = _file(tmp_path / "events.csv", [_row(i) for i in range(30)])
    att = tmp_path / "attendance.csv"
    att.write_text(
        "session_id,program_id,course_id,module_id,session_date,learner_email,attended,minutes\n"
        "S1,sales-skills,ss-c1,ss-m1,2025-01-02,P1@acme.example,true,55.5\n"
        "S1,sales-skills,ss-c1,ss-m1,2025-01-02,p2@acme.example,false,0\n",
        encoding="utf-8",
    )
    with _store(tmp_path, "s") as s:
        ingest(s, "lms", [f, att])
        keys = s.con.execute("SELECT _key, _hash FROM hist_lms_events ORDER BY _row").fetchall()
        # what an older store looks like: other hashes, no fingerprint, attendance keys only in the view
        s.con.execute("UPDATE hist_lms_events SET _key = _key + 1, _hash = 0")
        s.con.execute("UPDATE hist_employees SET _key = 7, _hash = 7")
        s.con.execute("UPDATE hist_attendance SET learner_key = NULL")
        s.con.execute("UPDATE store_settings SET value = 'md5' WHERE name = 'row_hash'")
        _reingest_adds_nothing(s, [f, att])
        assert s.con.execute("SELECT _key, _hash FROM hist_lms_events ORDER BY _row").fetchall() == keys
        assert s.con.execute("SELECT count(DISTINCT _key) FROM hist_employees").fetchone() == (10,)
        assert s.con.execute("SELECT count(*) FROM hist_attendance WHERE learner_key IS NULL").fetchone() == (
            0,
        )
        _reingest_adds_nothing(s, [f, att])


def test_a_hash_collision_is_refused_never_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a deliberately weak hash (the first key column only), rows of one learner collide."""
    rowhash = sys.modules["learnroi.store.rowhash"]
    monkeypatch.setattr(rowhash, "pair_sql", lambda parts: f"CAST({parts[0]} AS UHUGEINT)")
    with _store(tmp_path, "s") as s:
        same_learner = [_row(i, email="p1@acme.example") for i in range(3)]
        with pytest.raises(DataError, match="hash collision"):
            ingest(s, "lms", [_file(tmp_path / "one.csv", same_learner)])
        assert s.con.execute("SELECT count(*) FROM hist_lms_events").fetchone() == (0,)
        ingest(s, "lms", [_file(tmp_path / "a.csv", same_learner[:1])])
        with pytest.raises(DataError, match="hash collision"):
            ingest(s, "lms", [_file(tmp_path / "b.csv", same_learner[1:2])])
        assert s.con.execute("SELECT count(*) FROM hist_lms_events").fetchone() == (1,)


@pytest.mark.parametrize(
    ("data", "counts"),
    [
        ([_row(1) + ",surplus"], (1, 0, 1)),  # the sniffer would take the one data row's width
        ([_row(i) + "," for i in range(12)], (12, 12, 0)),  # a trailing delimiter on every row
        ([_row(i) for i in range(5)] + ['EV99,"p1@acme.example,unterminated'], (6, 5, 1)),
    ],
)
def test_the_header_line_decides_the_layout(
    tmp_path: Path, data: list[str], counts: tuple[int, int, int]
) -> None:
    with _store(tmp_path, "s") as s:
        r = ingest(s, "lms", [_file(tmp_path / "events.csv", data)], max_quarantine=1.0)
        assert (r.rows_read, r.loaded, r.quarantined) == counts


def test_stored_keys_after_the_first_rows_are_found_after_the_insert(
    tmp_path: Path, spy: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DIRECT, "HEAD_PROBE", 10)  # the probe reads 10 rows: the repeat is at row 31
    with _store(tmp_path, "s") as s:
        spy.clear()
        ingest(s, "lms", [_file(tmp_path / "a.csv", [_row(i) for i in range(5)])])
        late = [_row(i) for i in range(100, 130)] + [_row(2)]  # one stored key, at the end
        r = ingest(s, "lms", [_file(tmp_path / "b.csv", late)])
        assert spy == ["direct", "keys already stored"]
        assert (r.rows_read, r.loaded, r.skipped) == (31, 30, 1)
        assert s.con.execute("SELECT count(*) FROM lms_events").fetchone() == (35,)
