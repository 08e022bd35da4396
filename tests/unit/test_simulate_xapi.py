"""The simulator's xAPI copy: valid xAPI statements, and the same events as lms/events.csv.

Validated with a third-party JSON Schema (tests/data/xapi/, Apache-2.0, provenance in its README), not
with learnroi's reader, plus the xAPI 1.0.3 rules that schema leaves loose. Would catch: a malformed
statement (bad UUID, missing mailto:, duration not ISO 8601, score outside its range, timestamp without an
offset), an id that is not uuid5(event_id), and any drift between the CSV and the xAPI values.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest

from learnroi.simulate import XAPI_NAMESPACE, SimulationSummary, simulate_company, statement_id

SCHEMA = Path(__file__).parents[1] / "data" / "xapi" / "edo-xrs-statement-1.0.2.schema.json"
VERB = {
    "enrolled": "registered",
    "launched": "launched",
    "completed": "completed",
    "attempted": "attempted",
    "passed": "passed",
    "failed": "failed",
    "posted": "commented",
    "coached": "attended",
    "attended": "attended",
}
SESSION_TYPE = {"coached": "coaching", "attended": "classroom"}
OFFSET = re.compile(r"(Z|[+-]\d{2}:\d{2})$")
EMAIL = re.compile(r"^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$")


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate_company(tmp_path_factory.mktemp("x") / "data", employees=400, seed=3)


@pytest.fixture(scope="module")
def statements(company: SimulationSummary) -> list[dict[str, Any]]:
    lines = (company.out / "xapi" / "statements.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The vendored schema pins version 1.0.2; 1.0.3 did not change the statement model (see README).
    schema["properties"]["version"]["pattern"] = r"^1\.0\.\d+$"
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_statements_validate_against_the_xapi_schema(statements: list[dict[str, Any]]) -> None:
    v = _validator()
    # every statement of the evaluated programs, and every 25th of the rest (the schema's regexes are slow)
    chosen = [
        s
        for i, s in enumerate(statements)
        if any(f"/{p}/" in s["object"]["id"] for p in ("sales-skills", "onboarding", "service-blend"))
        or i % 25 == 0
    ]
    assert {s["verb"]["display"]["en-US"] for s in chosen} == set(VERB.values())
    for s in chosen:
        errors = sorted(v.iter_errors(s), key=str)
        assert not errors, (s["id"], [e.message for e in errors[:3]])
        assert EMAIL.match(s["actor"]["mbox"]), s["actor"]
        assert OFFSET.search(s["timestamp"]), s["timestamp"]
        uuid.UUID(s["id"])
        uuid.UUID(s["context"]["registration"])
        score = s.get("result", {}).get("score")
        if score:
            assert score["min"] <= score["raw"] <= score["max"]
            assert score["scaled"] == pytest.approx(score["raw"] / score["max"], abs=1e-4)
    bad = dict(chosen[0], actor={"objectType": "Agent"})  # the schema does reject a broken statement
    assert list(v.iter_errors(bad))


def test_xapi_is_the_csv_events_again(company: SimulationSummary, statements: list[dict[str, Any]]) -> None:
    frame = pd.read_csv(company.out / "lms" / "events.csv", dtype=str, keep_default_na=False)
    ev = frame.set_index("event_id").to_dict("index")
    assert len(statements) == len(ev) == len(frame) == company.files["xapi/statements.jsonl"]
    ext = "https://learnroi.dev/xapi/event_id"
    regs: dict[tuple[str, str], set[str]] = {}
    for s in statements:
        eid = s["context"]["extensions"][ext]
        row = ev[eid]
        assert s["id"] == str(uuid.uuid5(XAPI_NAMESPACE, eid)) == statement_id(eid)
        assert s["timestamp"] == row["timestamp"]
        assert s["actor"]["mbox"] == "mailto:" + row["learner_email"].strip()
        assert s["verb"]["id"] == "http://adlnet.gov/expapi/verbs/" + VERB[row["event_type"]]
        parts = [row["program_id"], row["course_id"]] + ([row["module_id"]] if row["module_id"] else [])
        assert s["object"]["id"] == "https://lms.example.com/xapi/activities/" + "/".join(parts)
        result = s.get("result", {})
        if row["score"]:
            assert result["score"]["raw"] == float(row["score"])
            assert result["score"]["max"] == float(row["max_score"])
        else:
            assert "score" not in result
        if row["duration_seconds"]:
            assert result["duration"] == f"PT{int(float(row['duration_seconds']))}S"
        else:
            assert "duration" not in result
        if row["event_type"] in ("passed", "failed"):
            assert result["success"] is (row["event_type"] == "passed")
        assert s["context"]["extensions"].get("https://learnroi.dev/xapi/assessment", "") == row["assessment"]
        session = s["context"]["extensions"].get("https://learnroi.dev/xapi/session-type")
        assert session == SESSION_TYPE.get(row["event_type"]), (session, row["event_type"])
        key = (row["learner_email"].strip().lower(), row["program_id"])
        regs.setdefault(key, set()).add(s["context"]["registration"])
    # one registration per enrolment: a learner has at most one per program and year (compliance is yearly)
    assert max(len(r) for r in regs.values()) <= 2


def test_no_xapi_at_scale_unless_asked(tmp_path: Path) -> None:
    s = simulate_company(tmp_path / "a", employees=300, seed=1, xapi=False)
    assert not (s.out / "xapi").exists()
    assert not s.xapi
