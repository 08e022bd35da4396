"""Presets for wide vendor reports and CRM exports: the ``[unpivot]`` mapping section, ``canvas-gradebook``,
``moodle-completion`` and ``salesforce-opportunities`` on small hand-written exports
(tests/data/exports/README.md names their sources).

Expected counts and values are worked out by hand from the fixture files (comments give the working).
Would catch: a wide column read as one row, a Points Possible row loaded as grades, a skipped cell not
counted, a quarantine record pointing at the long row instead of the file row and column, an unpivoted
re-ingest that duplicates, a zone-less Moodle date not converted to UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from learnroi.core.errors import DataError, SpecError
from learnroi.sources.mapping import load_mapping, parse_mapping
from learnroi.store import IngestResult, Store, ingest

EXPORTS = Path(__file__).parents[1] / "data" / "exports"


def _accounted(r: IngestResult) -> IngestResult:
    assert r.rows_read == r.loaded + r.quarantined + r.skipped
    return r


def test_canvas_gradebook_unpivots_to_one_event_per_graded_cell() -> None:
    # 5 data rows (Points Possible, 3 students, Test Student) x 3 assignment columns = 15 cells.
    # Skipped: Points Possible 3 + Test Student 3 (drop_rows), Bo's EX and empty, Chidi's N/A = 9.
    # Quarantined: Chidi's "incomplete" (data row 4, Final assessment). Loaded: Ana 3 + Bo 1 + Chidi 1.
    with Store.open(None) as s:
        r = _accounted(
            ingest(
                s,
                "lms",
                [EXPORTS / "canvas_gradebook.csv"],
                mapping=EXPORTS / "canvas_gradebook.toml",
                max_quarantine=1,
            )
        )
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == (15, 5, 1, 9)
        (q,) = r.quarantine_examples
        assert (q.row, q.value, q.reason) == (4, "incomplete", "not a number")
        assert q.column is not None
        assert "Final assessment (1203)" in q.column
        got = s.con.execute(
            "SELECT learner_email, module_id, score, max_score, event_type, program_id, course_id, "
            '"timestamp" FROM lms_events ORDER BY 1, 2'
        ).fetchall()
        ts = datetime(2025, 3, 31, 17, 0)
        assert got == [
            ("ana.lopez@acme.example", "1201", 6.5, 10.0, "attempted", "sales-skills", "canvas-4711", ts),
            ("ana.lopez@acme.example", "1202", 18.0, 20.0, "attempted", "sales-skills", "canvas-4711", ts),
            ("ana.lopez@acme.example", "1203", 42.0, 50.0, "attempted", "sales-skills", "canvas-4711", ts),
            ("bo.chen@acme.example", "1201", 7.0, 10.0, "attempted", "sales-skills", "canvas-4711", ts),
            ("chidi.okafor@acme.example", "1202", 12.5, 20.0, "attempted", "sales-skills", "canvas-4711", ts),
        ]
        # lineage names the file's data row (Ana is row 2), not the long row
        rows = s.con.execute("SELECT DISTINCT _row FROM hist_lms_events ORDER BY 1").fetchall()
        assert rows == [(2,), (3,), (4,)]
        again = _accounted(
            ingest(
                s,
                "lms",
                [EXPORTS / "canvas_gradebook.csv"],
                mapping=EXPORTS / "canvas_gradebook.toml",
                max_quarantine=1,
            )
        )
        assert again.no_changes
        assert again.loaded == 0
        assert s.con.execute("SELECT count(*) FROM hist_lms_events").fetchone() == (5,)
        assert s.con.execute("SELECT count(*) FROM quarantine").fetchone() == (1,)


def test_canvas_preset_alone_asks_for_the_export_date() -> None:
    with Store.open(None) as s, pytest.raises(DataError) as err:
        ingest(s, "lms", [EXPORTS / "canvas_gradebook.csv"], mapping="canvas-gradebook")
    assert "timestamp" in err.value.message
    assert "[constants]" in (err.value.hint or "")
    assert 'preset = "canvas-gradebook"' in (err.value.hint or "")


def test_moodle_completion_pairs_each_activity_with_its_completion_date() -> None:
    # 4 users x 3 activities = 12 cells. Skipped ("Not completed"): Ana 1, Chidi 3, Dana 1 = 5.
    # Quarantined: Dana's 31/02/25 (row 4, Welcome video). Loaded: Ana 2 + Bo 3 + Dana 1 = 6.
    # Dates are Berlin local time (CET, UTC+1 in January): 02/01/25 09:15 -> 08:15 UTC.
    with Store.open(None) as s:
        r = _accounted(
            ingest(
                s,
                "lms",
                [EXPORTS / "moodle_course_completion.csv"],
                mapping="moodle-completion",
                tz="Europe/Berlin",
                max_quarantine=1,
            )
        )
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == (12, 6, 1, 5)
        (q,) = r.quarantine_examples
        assert (q.row, q.value) == (4, "31/02/25, 11:00")
        assert q.column is not None
        assert "Welcome video" in q.column
        got = s.con.execute(
            'SELECT learner_email, module_id, event_type, "timestamp" FROM lms_events ORDER BY 1, 4'
        ).fetchall()
        assert got == [
            ("ana.lopez@acme.example", "Welcome video", "completed", datetime(2025, 1, 2, 8, 15)),
            ("ana.lopez@acme.example", "Knowledge check 1", "passed", datetime(2025, 1, 3, 13, 2)),
            ("bo.chen@acme.example", "Welcome video", "completed", datetime(2025, 1, 2, 9, 40)),
            ("bo.chen@acme.example", "Knowledge check 1", "failed", datetime(2025, 1, 4, 7, 30)),
            ("bo.chen@acme.example", "Role-play workshop", "completed", datetime(2025, 1, 15, 15, 0)),
            ("dana.roy@acme.example", "Knowledge check 1", "passed", datetime(2025, 1, 3, 11, 0)),
        ]


def test_salesforce_opportunities_preset() -> None:
    # 4 opportunities; the last has CloseDate 2025-13-01 (no month 13): quarantined.
    with Store.open(None) as s:
        r = _accounted(
            ingest(
                s,
                "performance",
                [EXPORTS / "salesforce_opportunities.csv"],
                mapping="salesforce-opportunities",
                max_quarantine=1,
            )
        )
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == (4, 3, 1, 0)
        assert r.files[0].target == "opportunities"
        assert r.quarantine_examples[0].value == "2025-13-01"
        got = s.con.execute(
            "SELECT opportunity_id, owner_id, created_date, close_date, stage, amount, is_won, is_closed "
            "FROM opportunities ORDER BY 1"
        ).fetchall()
        assert got == [
            (
                "0065g00000AbCdEAAV",
                "ana.lopez@acme.example",
                date(2025, 1, 6),
                date(2025, 2, 14),
                "Closed Won",
                12500.0,
                True,
                True,
            ),
            (
                "0065g00000AbCdFAAV",
                "ana.lopez@acme.example",
                date(2025, 1, 20),
                date(2025, 3, 3),
                "Closed Lost",
                8000.0,
                False,
                True,
            ),
            (
                "0065g00000AbCdGAAV",
                "bo.chen@acme.example",
                date(2025, 2, 2),
                date(2025, 4, 30),
                "Negotiation/Review",
                None,
                False,
                False,
            ),
        ]


def test_unpivot_section_is_validated(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="unknown \\[unpivot\\] key"):
        parse_mapping({"unpivot": {"colums": "x"}}, "m.toml")
    with pytest.raises(SpecError, match="not a regular expression"):
        parse_mapping({"unpivot": {"columns": "("}}, "m.toml")
    with pytest.raises(SpecError, match="must contain"):
        parse_mapping({"unpivot": {"companions": {"d": "Completion date"}}}, "m.toml")
    # a mapping extending a preset inherits its [unpivot]
    m = parse_mapping({"preset": "moodle-completion", "timezone": "Europe/Paris"}, "m.toml")
    assert m.unpivot == load_mapping("moodle-completion").unpivot
    assert m.timezone == "Europe/Paris"
    wide = tmp_path / "wide.csv"
    wide.write_text("Email,Total\nana@acme.example,3\n", encoding="utf-8")
    spec = tmp_path / "m.toml"
    spec.write_text(
        'table = "lms_events"\n[unpivot]\ncolumns = "^Quiz"\n[columns]\nlearner_email = "Email"\n',
        encoding="utf-8",
    )
    with Store.open(None) as s, pytest.raises(DataError, match="no column to unpivot"):
        ingest(s, "lms", [wide], mapping=spec)
