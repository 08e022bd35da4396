"""The blended-learning tables (docs/dev/blended-contract.md §1): each new file lands in its own table,
bad values are quarantined with their reason, re-ingests add nothing, undo removes the batch; identity
links match a numeric LMS id; opportunity KPIs; the new xAPI verbs; qualitative evidence.

Would catch: a file routed to the wrong table by the chooser (a links file read as employees, a ledger
read as platform costs), a 1-5 score of 7 or an unknown stance loaded, a link that does not reach the
LMS events, sales KPIs computed wrongly or overriding loaded values, a coaching session read as a
classroom attendance, links lost by migration 040.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from learnroi.core.errors import DataError
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.sources.identity import pseudonym
from learnroi.sources.schema import KIND_TABLES, TABLES
from learnroi.store import (
    IngestResult,
    Store,
    add_evidence,
    apply_migrations,
    discover_migrations,
    ingest,
    list_batches,
    list_evidence,
    undo,
)

HRIS = """employee_id,email,full_name,department,team_id,role,location,manager_id,hire_date,exit_date,loaded_salary,standard_hours
E001,ann@acme.example,Ann,Support-01,T1,support,Boston,,2020-01-01,,90000,2080
E002,bob@acme.example,Bob,Support-01,T1,support,Boston,E001,2020-01-01,,80000,2080
E003,cy@acme.example,Cy,Sales-01,T2,sales_rep,Boston,E001,2020-01-01,,80000,2080
"""

# file -> (kind, table, text with one bad row, the bad row's column, its reason, rows expected to load)
CASES: dict[str, tuple[str, str, str, str, str, int]] = {
    "lms/attendance.csv": (
        "lms",
        "attendance",
        "session_id,program_id,course_id,module_id,session_date,learner_email,attended,minutes\n"
        "S1,service-blend,sb-cl,sb-cl-1,2025-03-04, ANN@acme.example ,true,180\n"
        "S1,service-blend,sb-cl,sb-cl-1,2025-03-04,bob@acme.example,false,\n"
        "S2,service-blend,sb-cl,sb-cl-2,2025-03-11,ann@acme.example,maybe,90\n",
        "attended",
        "not true/false",
        2,
    ),
    "surveys/reaction.csv": (
        "surveys",
        "survey_reaction",
        "program_id,respondent_id,response_date,satisfaction,relevance,intent_to_apply\n"
        "service-blend,E001,2025-04-01,4.5,4,5\n"
        "service-blend,e002,2025-04-02,1,2,\n"
        "service-blend,E003,2025-04-03,7,3,3\n",
        "satisfaction",
        "outside 1-5",
        2,
    ),
    "surveys/application.csv": (
        "surveys",
        "survey_application",
        "program_id,subject_id,rater_id,rater_role,days_after,behaviour_score,response_date\n"
        "service-blend,E002,E001,manager,30,3.5,2025-05-01\n"
        "service-blend,E002,E001,manager,60,4,2025-06-01\n"
        "service-blend,E003,E001,boss,30,2,2025-05-01\n",
        "rater_role",
        "not one of: manager, self, peer",
        2,
    ),
    "surveys/invitations.csv": (
        "surveys",
        "survey_invitations",
        "program_id,survey,employee_id,days_after,invited_date\n"
        "service-blend,reaction,E001,,2025-03-30\n"
        "service-blend,application,E002,30,2025-04-30\n"
        "service-blend,exit,E003,,2025-03-30\n",
        "survey",
        "not one of: reaction, application",
        2,
    ),
    "surveys/observations.csv": (
        "surveys",
        "evidence",
        "evidence_id,program_id,kpi,author_id,author_role,source_type,recorded_date,stance,note\n"
        'N1,service-blend,escalations,E001,manager,observation,2025-05-01,supports,"Fewer escalations, ""calmer"""\n'
        "N2,service-blend,,E002,participant,interview,2025-05-02,contradicts,No change on my queue\n"
        "N3,service-blend,,E002,participant,interview,2025-05-02,maybe,Unsure\n",
        "stance",
        "not one of: supports, contradicts, neutral",
        2,
    ),
    "costs/platform.csv": (
        "costs",
        "platform_costs",
        "line_id,date,category,description,amount,currency\n"
        "P1,2025-01-01,licence,LXP licence,120000,USD\n"
        "P2,2025-02-01,integration,HRIS connector,15000,USD\n"
        "P3,2025-02-01,coffee,Beans,50,USD\n",
        "category",
        "not one of: licence, administration, integration, hosting, support",
        2,
    ),
    "costs/admin_time.csv": (
        "costs",
        "admin_time",
        "period,team,task,hours\n"
        "2025-01-01,L&D ops,enrolment,120\n"
        "2025-02-01,L&D ops,enrolment,80\n"
        "2025-03-01,L&D ops,enrolment,lots\n",
        "hours",
        "not a number",
        2,
    ),
    "performance/incidents.csv": (
        "performance",
        "incidents",
        "incident_id,date,department,employee_id,category,cost\n"
        "I1,2025-01-05,Ops-01,E002,data_leak,5000\n"
        "I2,2025-01-09,Ops-01,,safety,\n"
        "I3,yesterday,Ops-01,E002,safety,100\n",
        "date",
        "not a date in format 'iso'",
        2,
    ),
    "performance/opportunities.csv": (
        "performance",
        "opportunities",
        "opportunity_id,owner_id,created_date,close_date,stage,amount,is_won,is_closed\n"
        "O1,E003,2024-12-01,2025-01-10,Closed Won,100,true,true\n"
        "O2,E003,2024-12-01,2025-01-20,Closed Lost,50,false,true\n"
        "O3,E003,2024-12-01,2025-01-20,Negotiation,70,perhaps,false\n",
        "is_won",
        "not true/false",
        2,
    ),
    "hris/identity_links.csv": (
        "hris",
        "identity_links",
        "identity_key,employee_id\n12345,E001\nbob.personal@mail.example,E002\n777,\n",
        "employee_id",
        "missing (required)",
        2,
    ),
    "costs/ledger.csv": (
        "costs",
        "cost_ledger",
        "program_id,line_id,date,category,description,amount,currency,modality,arm\n"
        "service-blend,L1,2025-01-01,delivery,Trainers,9000,USD,classroom,classroom\n"
        "service-blend,L2,2025-01-01,design_development,Shared modules,20000,USD,digital,\n"
        "service-blend,L3,2025-01-01,catering,Lunch,900,USD,classroom,classroom\n",
        "category",
        "not one of:",
        2,
    ),
}


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _accounted(r: IngestResult) -> IngestResult:
    assert r.rows_read == r.loaded + r.quarantined + r.skipped
    for f in r.files:
        assert f.rows_read == f.loaded + f.quarantined + f.skipped
    return r


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(None)
    ingest(s, "hris", [_write(tmp_path, "hris/employees.csv", HRIS)])
    return s


def _count(store: Store, sql: str) -> int:
    row = store.con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_new_file_lands_in_its_table_with_quarantine_reingest_and_undo(
    store: Store, tmp_path: Path, name: str
) -> None:
    kind, table, text, column, reason, good = CASES[name]
    path = _write(tmp_path, name, text)
    res = _accounted(ingest(store, kind, [path], max_quarantine=0.5))
    assert [f.target for f in res.files] == [table]
    assert (res.loaded, res.quarantined) == (good, 1)
    q = store.con.execute(
        'SELECT "column", reason FROM quarantine WHERE batch_id = ?', [res.batch_id]
    ).fetchall()
    assert len(q) == 1
    assert q[0][0] == column
    assert str(q[0][1]).startswith(reason)
    assert _count(store, f"SELECT count(*) FROM {table}") == good
    assert [str(c) for c in store.con.sql(f"SELECT * FROM {table}").columns][
        : len(TABLES[table].columns)
    ] == list(TABLES[table].column_names)
    again = _accounted(ingest(store, kind, [path], max_quarantine=0.5))
    assert again.no_changes
    assert again.loaded == 0
    assert again.skipped == good
    assert _count(store, f"SELECT count(*) FROM quarantine WHERE batch_id = {again.batch_id}") == 0
    undo(store, res.batch_id)
    assert _count(store, f"SELECT count(*) FROM {table}") == 0
    assert _count(store, f"SELECT count(*) FROM hist_{table}") == 0


def test_the_chooser_sees_distinct_required_columns_in_every_kind() -> None:
    for kind, specs in KIND_TABLES.items():
        for i, a in enumerate(specs):
            for b in specs[i + 1 :]:  # an earlier spec must not claim a later spec's file
                assert not set(a.required) <= set(b.column_names), (kind, a.name, b.name)


def test_identities_resolve_in_the_new_views(store: Store, tmp_path: Path) -> None:
    for name in ("lms/attendance.csv", "surveys/reaction.csv"):
        kind, _, text, *_ = CASES[name]
        ingest(store, kind, [_write(tmp_path, name, text)], max_quarantine=0.5)
    att = store.con.execute(
        "SELECT session_id, learner_key, learner_id, attended FROM attendance ORDER BY learner_key"
    ).fetchall()
    assert att == [("S1", "ann@acme.example", "E001", True), ("S1", "bob@acme.example", "E002", False)]
    # 'e002' (lower case) is Bob's HR id: the view gives the HRIS spelling
    assert store.con.execute("SELECT respondent_id FROM survey_reaction ORDER BY 1").fetchall() == [
        ("E001",),
        ("E002",),
    ]


def test_identity_links_make_an_unmatched_lms_identity_match(store: Store, tmp_path: Path) -> None:
    events = _write(
        tmp_path,
        "lms/events.csv",
        "event_id,learner_email,program_id,course_id,module_id,event_type,timestamp\n"
        "EV1,12345,service-blend,sb-core,sb-m1,completed,2025-02-01T10:00:00+00:00\n"
        "EV2,Bob.Personal@mail.example,service-blend,sb-core,sb-m1,completed,2025-02-01T11:00:00+00:00\n",
    )
    first = ingest(store, "lms", [events])
    assert first.match_rate == 0.0
    assert set(first.unmatched) == {"12345", "bob.personal@mail.example"}
    kind, _, text, *_ = CASES["hris/identity_links.csv"]
    links = ingest(store, kind, [_write(tmp_path, "hris/identity_links.csv", text)], max_quarantine=0.5)
    ids = dict(store.con.execute("SELECT event_id, learner_id FROM lms_events").fetchall())
    assert ids == {"EV1": "E001", "EV2": "E002"}
    via = store.con.execute("SELECT via FROM identity_map WHERE identity_key = '12345'").fetchall()
    assert via == [("link",)]
    undo(store, links.batch_id)
    ids = dict(store.con.execute("SELECT event_id, learner_id FROM lms_events").fetchall())
    assert ids == {"EV1": None, "EV2": None}


def test_links_match_under_pseudonymization(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARNROI_PSEUDONYM_KEY", "test-key-not-secret")
    key = b"test-key-not-secret"
    with Store.open(None) as s:
        ingest(s, "hris", [_write(tmp_path, "hris/employees.csv", HRIS)], pseudonymize=True)
        ingest(
            s,
            "lms",
            [
                _write(
                    tmp_path,
                    "lms/events.csv",
                    "learner_email,event_type,timestamp\n 12345 ,completed,2025-02-01T10:00:00+00:00\n",
                )
            ],
            pseudonymize=True,
        )
        links = "identity_key,employee_id\n12345,E001\n"
        ingest(s, "hris", [_write(tmp_path, "hris/identity_links.csv", links)], pseudonymize=True)
        raw = s.con.execute("SELECT identity_key, employee_id FROM hist_identity_links").fetchall()
        assert raw == [(pseudonym("12345", key), pseudonym("e001", key))]  # nothing stored in clear
        assert s.con.execute("SELECT learner_id FROM lms_events").fetchall() == [(pseudonym("e001", key),)]


def test_a_changed_link_supersedes_the_old_one(store: Store, tmp_path: Path) -> None:
    ingest(
        store, "hris", [_write(tmp_path, "a/identity_links.csv", "identity_key,employee_id\n12345,E001\n")]
    )
    res = ingest(
        store, "hris", [_write(tmp_path, "b/identity_links.csv", "identity_key,employee_id\n12345,E003\n")]
    )
    assert res.superseded == 1
    assert store.con.execute("SELECT * FROM identity_links").fetchall() == [("12345", "E003")]


def test_migration_040_keeps_links_stored_before_it() -> None:
    con = duckdb.connect()
    migs = discover_migrations()
    apply_migrations(con, [m for m in migs if m.version < 40])
    con.execute(
        "INSERT INTO identity_links VALUES ('U77', 'E001', NULL), ('u77', 'E002', 4), (' mailto:X@Y.example', 'E003', NULL)"
    )
    apply_migrations(con, migs)
    # the later row of the same (normalized) key is current, the earlier one superseded
    assert sorted(con.execute("SELECT * FROM identity_links").fetchall()) == [
        ("u77", "E002"),
        ("x@y.example", "E003"),
    ]
    assert con.execute("SELECT count(*) FROM hist_identity_links").fetchone() == (3,)
    assert sorted(con.execute("SELECT identity_key, employee_id FROM identity_map").fetchall()) == [
        ("u77", "E002"),
        ("x@y.example", "E003"),
    ]


def test_opportunity_kpis_by_close_month_and_loaded_values_win(store: Store, tmp_path: Path) -> None:
    opps = _write(
        tmp_path,
        "performance/opportunities.csv",
        "opportunity_id,owner_id,created_date,close_date,stage,amount,is_won,is_closed\n"
        "O1,cy@acme.example,2024-12-01,2025-01-10,Closed Won,100,true,true\n"
        "O2,E003,2024-12-01,2025-01-31,Closed Won,300,true,true\n"
        "O3,E003,2024-12-01,2025-01-20,Closed Lost,1000,false,true\n"
        "O4,E003,2024-12-01,2025-01-25,Negotiation,5000,false,false\n"
        "O5,E003,2024-12-01,2025-02-02,Closed Lost,80,false,true\n",
    )
    ingest(store, "performance", [opps])
    kpis = _write(
        tmp_path, "performance/kpis.csv", "employee_id,period,kpi,value\nE003,2025-01-01,revenue,999\n"
    )
    ingest(store, "performance", [kpis])
    derived = {
        (str(p), k): v
        for p, k, v in store.con.execute(
            "SELECT period, kpi, value FROM opportunity_kpis WHERE employee_id = 'E003'"
        ).fetchall()
    }
    # January: won 100 + 300 of 3 closed (the open O4 does not count); February: 1 closed, none won
    assert derived == {
        ("2025-01-01", "revenue"): 400.0,
        ("2025-01-01", "deals"): 2.0,
        ("2025-01-01", "win_rate"): pytest.approx(2 / 3),
        ("2025-01-01", "deal_size"): 200.0,
        ("2025-02-01", "revenue"): 0.0,
        ("2025-02-01", "deals"): 0.0,
        ("2025-02-01", "win_rate"): 0.0,
    }
    perf = {
        (str(p), k): v
        for p, k, v in store.con.execute(
            "SELECT period, kpi, value FROM performance WHERE employee_id = 'E003'"
        ).fetchall()
    }
    assert perf == {**derived, ("2025-01-01", "revenue"): 999.0}


def test_xapi_social_and_session_verbs(store: Store, tmp_path: Path) -> None:
    base = "https://lms.example.com/xapi/activities/service-blend/sb-social/"
    ext = "https://learnroi.dev/xapi/session-type"
    verbs = [
        ("s1", "http://adlnet.gov/expapi/verbs/commented", None, "posted"),
        ("s2", "http://adlnet.gov/expapi/verbs/attended", "classroom", "attended"),
        ("s3", "http://adlnet.gov/expapi/verbs/attended", "coaching", "coached"),
        ("s4", "http://adlnet.gov/expapi/verbs/attended", None, "attended"),
        ("s5", "http://adlnet.gov/expapi/verbs/completed", "coaching", "completed"),
    ]
    lines = []
    for i, (sid, verb, session, _) in enumerate(verbs):
        st: dict[str, object] = {
            "id": f"00000000-0000-4000-8000-00000000000{i}",
            "actor": {"mbox": "mailto:ann@acme.example"},
            "verb": {"id": verb},
            "object": {"id": base + sid},
            "timestamp": f"2025-03-0{i + 1}T10:00:00+00:00",
        }
        if session:
            st["context"] = {"extensions": {ext: session}}
        lines.append(json.dumps(st))
    path = _write(tmp_path, "xapi/statements.jsonl", "\n".join(lines) + "\n")
    res = ingest(store, "xapi", [path])
    assert res.loaded == len(verbs)
    got = dict(store.con.execute("SELECT module_id, event_type FROM lms_events").fetchall())
    assert got == {sid: want for sid, _, _, want in verbs}


def test_store_from_tables_loads_the_new_tables() -> None:
    tables = {
        "hris/employees.csv": pa.table({"employee_id": ["E001"], "email": ["ann@acme.example"]}),
        "lms/attendance.csv": pa.table(
            {
                "session_id": ["S1"],
                "program_id": ["service-blend"],
                "module_id": ["m"],
                "session_date": [date(2025, 3, 4)],
                "learner_email": [" Ann@ACME.example"],
                "attended": [True],
            }
        ),
        "costs/ledger.csv": pa.table(
            {"program_id": ["p"], "line_id": ["L1"], "amount": [1.0], "arm": ["blended"]}
        ),
    }
    with store_from_tables(tables) as s:
        assert s.con.execute("SELECT learner_id FROM attendance").fetchall() == [("E001",)]
        assert s.con.execute("SELECT arm FROM cost_ledger").fetchall() == [("blended",)]


def test_evidence_add_list_idempotent_and_undo(store: Store) -> None:
    note = 'Team leads report calmer calls,\nsee "notes"'
    eid = add_evidence(
        store, "service-blend", note, "supports", kpi="escalations", recorded_date="2025-05-01"
    )
    assert (
        add_evidence(store, "service-blend", note, "supports", kpi="escalations", recorded_date="2025-05-01")
        == eid
    )
    add_evidence(store, "sales-skills", "No change seen", "contradicts", author_role="manager")
    frame = list_evidence(store, "service-blend")
    assert frame[["evidence_id", "note", "stance", "kpi", "author_role"]].to_dict("records") == [
        {
            "evidence_id": eid,
            "note": note,
            "stance": "supports",
            "kpi": "escalations",
            "author_role": "analyst",
        }
    ]
    assert len(list_evidence(store)) == 2
    batches = [b for b in list_batches(store) if b.file == "cli: evidence add"]
    assert [b.kind for b in batches] == ["surveys"] * 3
    assert sum(b.loaded for b in batches) == 2
    first = min(b.batch_id for b in batches)
    undo(store, first)
    assert list(list_evidence(store, "service-blend")["evidence_id"]) == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"stance": "maybe"}, "stance must be one of"),
        ({"stance": "supports", "author_role": "ceo"}, "author_role must be one of"),
        ({"stance": "supports", "recorded_date": "May 1st"}, "is not a date"),
        ({"stance": "supports", "note": "  "}, "note is empty"),
    ],
)
def test_evidence_refuses_bad_values_before_writing(store: Store, kwargs: dict[str, str], match: str) -> None:
    args = {"note": "A note", **kwargs}
    before = _count(store, "SELECT count(*) FROM batches")
    with pytest.raises(DataError, match=match) as info:
        add_evidence(store, "service-blend", **args)  # type: ignore[arg-type]
    assert info.value.hint
    assert _count(store, "SELECT count(*) FROM batches") == before


@pytest.mark.parametrize("table", sorted({CASES[n][1] for n in CASES}))
def test_data_layout_documents_exactly_the_canonical_columns(table: str) -> None:
    from tests.unit.test_store_migrations import _layout_columns

    spec = TABLES[table]
    assert _layout_columns()[spec.file_hint] == list(spec.column_names)
