"""Every reader and preset on one small fixture per real-export quirk (tests/data/exports/README.md).

Would catch: a wrong encoding or delimiter guess, a date read with the wrong day/month order, a vendor's
missing-value token loaded as data, a duration unit or a time zone applied wrong, rows lost between
sheets; and mappings that accept typos or infer nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from learnroi.core.errors import SpecError
from learnroi.sources.mapping import load_mapping, preset_names
from learnroi.store import Store, ingest

EXPORTS = Path(__file__).parents[1] / "data" / "exports"

# kind, file, mapping, (read, loaded, quarantined, skipped), SQL check, expected
CASES = [
    (
        "hris",
        "hris_latin1.csv",
        None,
        (2, 2, 0, 0),
        "SELECT full_name, location, standard_hours FROM employees WHERE employee_id = 'E2'",
        ("Bo Chén", "Zürich", None),
    ),
    (
        "hris",
        "workday_raas_us_dates.csv",
        "workday-raas",
        (2, 2, 0, 0),
        "SELECT hire_date::VARCHAR, exit_date::VARCHAR, manager_id FROM employees WHERE employee_id = 'E2'",
        ("2021-03-01", "2025-12-31", "E1"),
    ),
    (
        "hris",
        "bamboohr_zero_dates.csv",
        "bamboohr",
        (2, 2, 0, 0),
        "SELECT count(*), count(exit_date) FROM employees",
        (2, 0),
    ),
    (
        "lms",
        "moodle_utf16le_tab.tsv",
        None,
        (3, 3, 0, 0),
        "SELECT \"timestamp\"::VARCHAR, learner_id, score FROM lms_events WHERE event_id = 'EV2'",
        ("2025-01-02 07:01:50", None, 65.6),
    ),
    (
        "lms",
        "canvas_bom_semicolon_decimal_comma.csv",
        str(EXPORTS / "canvas_decimal_comma.toml"),
        (3, 3, 0, 0),
        "SELECT score FROM lms_events WHERE event_id = 'EV2'",
        (65.6,),
    ),
    (
        "lms",
        "moodle_logstore.csv",
        "moodle-logstore",
        (4, 2, 1, 1),
        "SELECT string_agg(event_type || ':' || learner_key || ':' || epoch(\"timestamp\")::BIGINT, ' ' ORDER BY event_id) FROM lms_events",
        ("launched:7:1735804900 completed:7:1735805000",),
    ),
    (
        "lms",
        "moodle_quiz_results.csv",
        "moodle-quiz",
        (2, 1, 0, 1),
        'SELECT "timestamp"::VARCHAR, duration_seconds, score, max_score FROM lms_events',
        ("2025-01-02 08:12:00", 725.0, 7.5, 10.0),
    ),
    (
        "lms",
        "cornerstone_transcript.csv",
        "cornerstone-transcript",
        (2, 1, 0, 1),
        "SELECT learner_key, duration_seconds, event_type FROM lms_events",
        ("e1", 3300.0, "completed"),
    ),
    (
        "performance",
        "successfactors_dotnet_dates.json",
        str(EXPORTS / "successfactors_dotnet.toml"),
        (2, 2, 0, 0),
        "SELECT string_agg(period::VARCHAR || '=' || coalesce(value::VARCHAR, 'NULL'), ' ' ORDER BY period) FROM performance",
        ("2025-01-01=1200.5 2025-02-01=NULL",),
    ),
    (
        "performance",
        "kpis_two_sheets.xlsx",
        None,
        (3, 2, 1, 0),
        "SELECT count(*), sum(value) FROM performance",
        (2, 210.0),
    ),
]


@pytest.mark.parametrize(
    ("kind", "name", "mapping", "counts", "sql", "expected"), CASES, ids=[c[1] for c in CASES]
)
def test_fixture_reads_with_every_row_accounted(
    kind: str,
    name: str,
    mapping: str | None,
    counts: tuple[int, int, int, int],
    sql: str,
    expected: tuple[object, ...],
) -> None:
    with Store.open(None) as store:
        r = ingest(
            store,
            kind,
            [EXPORTS / name],
            mapping=mapping,
            max_quarantine=1.0,
            tz="Europe/Paris" if "quiz" in name else None,
        )
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == counts
        assert r.rows_read == r.loaded + r.quarantined + r.skipped
        assert store.con.execute(sql).fetchone() == expected


def test_xlsx_quarantine_names_the_sheet_and_row() -> None:
    with Store.open(None) as store:
        r = ingest(store, "performance", [EXPORTS / "kpis_two_sheets.xlsx"], max_quarantine=1.0)
        assert [q.render() for q in r.quarantine_examples] == [
            f"{EXPORTS / 'kpis_two_sheets.xlsx'}[Feb] row 2 column value: 'oops': not a number"
        ]


def test_xlsx_streams_in_batches_and_keeps_row_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet read three rows at a time: every row lands once with its own number, a repeated header
    name gets a suffix, and a bad cell in the second batch is quarantined at its sheet row."""
    import xlsxwriter

    from learnroi.sources import xlsx

    monkeypatch.setattr(xlsx, "XLSX_BATCH", 3)
    path = tmp_path / "kpis.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Jan")
    ws.write_row(0, 0, ["employee_id", "period", "kpi", "value", "value"])
    for i in range(7):  # rows 1..7; row 5 has text in the number column
        ws.write_row(i + 1, 0, [f"E{i}", "2025-01-01", "deals", "oops" if i == 4 else i * 1.5, 99])
    wb.close()
    with Store.open(None) as store:
        r = ingest(store, "performance", [path], max_quarantine=1.0)
        assert (r.rows_read, r.loaded, r.quarantined, r.skipped) == (7, 6, 1, 0)
        assert r.quarantine_examples[0].row == 5
        got = store.con.execute("SELECT employee_id, value FROM performance ORDER BY 1").fetchall()
        assert got == [(f"E{i}", i * 1.5) for i in range(7) if i != 4]
        rows = store.con.execute("SELECT employee_id, _row FROM hist_performance ORDER BY 2").fetchall()
        assert rows == [(f"E{i}", i + 1) for i in range(7) if i != 4]


def test_json_array_streams_and_refuses_what_is_not_an_object(tmp_path: Path) -> None:
    """Array items numbered 1.. in file order (BOM tolerated); a number, a string and null are refused
    rows; a truncated array is one readable error, not a traceback."""
    from learnroi.core.errors import DataError

    path = tmp_path / "kpis.json"
    items = '{"employee_id": "E1", "period": "2025-01-01", "kpi": "deals", "value": 2}'
    path.write_bytes(b"\xef\xbb\xbf[" + f'{items}, 5, "x", null, {items.replace("E1", "E2")}]'.encode())
    with Store.open(None) as store:
        r = ingest(store, "performance", [path], max_quarantine=1.0)
        assert (r.rows_read, r.loaded, r.quarantined) == (5, 2, 3)
        assert sorted(q.row for q in r.quarantine_examples) == [2, 3, 4]
        assert store.con.execute(
            "SELECT string_agg(employee_id, ',' ORDER BY 1) FROM performance"
        ).fetchone() == ("E1,E2",)
        bad = tmp_path / "cut.json"
        bad.write_text(f"[{items}, {{", encoding="utf-8")
        with pytest.raises(DataError, match="not valid JSON"):
            ingest(store, "performance", [bad])


def test_presets_load_and_typos_are_refused(tmp_path: Path) -> None:
    assert {"moodle-logstore", "workday-raas", "bamboohr", "cornerstone-transcript", "moodle-quiz"} <= set(
        preset_names()
    )
    for name in preset_names():
        assert load_mapping(name).name == name
    bad = tmp_path / "m.toml"
    bad.write_text('[columns]\nlearner_emial = "Email"\n', encoding="utf-8")
    with pytest.raises(SpecError, match="not a canonical column") as info:
        load_mapping(bad)
    assert "learner_email" in info.value.hint
    bad.write_text("colums = 1\n", encoding="utf-8")
    with pytest.raises(SpecError, match="unknown mapping key"):
        load_mapping(bad)
    with pytest.raises(SpecError, match="mapping not found"):
        load_mapping(tmp_path / "none.toml")


def test_infer_proposes_a_mapping_from_the_header(tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text(
        "Email Address,Event Name,Time Created,Course ID,Grade\na@acme.example,completed,1735804800,c1,5\n",
        encoding="utf-8",
    )
    with Store.open(None) as store:
        r = ingest(store, "lms", [f], infer=True)
        assert r.loaded == 1
        assert r.proposed_mapping is not None
        assert "learner_email = 'Email Address'" in r.proposed_mapping
        assert 'timestamp_format = "epoch_s"' in r.proposed_mapping
        assert store.con.execute('SELECT "timestamp"::VARCHAR, score FROM lms_events').fetchone() == (
            "2025-01-02 08:00:00",
            5.0,
        )
        saved = tmp_path / "m.toml"
        saved.write_text(r.proposed_mapping, encoding="utf-8")
        assert load_mapping(saved).columns["event_type"] == ("Event Name",)


def test_parquet_and_json_lines_records_with_progress(tmp_path: Path) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "employee_id": ["E1", "E2", None],
            "period": [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)],
            "kpi": ["revenue", "revenue", "revenue"],
            "value": [1.5, None, 3.0],
        }
    )
    pq.write_table(table, tmp_path / "kpis.parquet")
    (tmp_path / "kpis.jsonl").write_text(
        '{"employee_id": "E3", "period": "2025-01-01", "kpi": "deals", "value": 4}\n'
        '{"employee_id": "E4", "period": "2025-13-01", "kpi": "deals", "value": 5}\n',
        encoding="utf-8",
    )
    calls: list[tuple[str, int, int]] = []
    with Store.open(None) as store:
        r = ingest(
            store,
            "performance",
            [tmp_path / "kpis.parquet", tmp_path / "kpis.jsonl"],
            max_quarantine=1.0,
            progress=lambda msg, done, total: calls.append((msg, done, total)),
        )
        assert [(f.rows_read, f.loaded, f.quarantined) for f in r.files] == [(3, 2, 1), (2, 1, 1)]
        assert {(Path(q.file).suffix, q.row, q.column) for q in r.quarantine_examples} == {
            (".parquet", 3, "employee_id"),
            (".jsonl", 2, "period"),
        }
        got = store.con.execute(
            "SELECT employee_id, period::VARCHAR, value FROM performance ORDER BY 1"
        ).fetchall()
        assert got == [("E1", "2025-01-01", 1.5), ("E2", "2025-02-01", None), ("E3", "2025-01-01", 4.0)]
    assert calls[-1][1:] == (2, 2)
    assert any(msg.startswith("reading") for msg, _, _ in calls)
