"""The hypothesis registry and the stored pilot plan (migration 020) behave as the issue describes.

Would catch: a registry that loses history on review, reviews not moving a quarter ahead, "what is due"
missing the analysis after the measurement window, observed effects not filled in, spec hypotheses
duplicated on every run, plans that do not round-trip through the store, deviations not reported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import numpy as np
import pytest

from learnroi.attribution.result import EffectResult, Term
from learnroi.core.errors import DataError, UsageError
from learnroi.core.program import parse_spec
from learnroi.design import (
    add_hypothesis,
    get_hypothesis,
    list_hypotheses,
    load_plan,
    make_plan,
    plan_deviations,
    record_effect,
    record_looks,
    record_observed,
    require_plan,
    review_hypothesis,
    save_plan,
    sequential_test,
    suggest_status,
    sync_spec_hypotheses,
)
from learnroi.store import Store, apply_migrations, discover_migrations

SPEC = """
[program]
id = "sales-skills"
name = "Sales skills"
audience = "sales_rep"
design = "randomized"
primary_kpi = "revenue"

[[hypotheses]]
id = "sales-revenue"
kpi = "revenue"
assumed_effect = 0.05
rationale = "coaching lifts close rates"
owner = "VP Sales"
data_steward = "RevOps"
"""


@pytest.fixture
def con() -> Any:
    """A DuckDB connection with only this issue's migration applied (isolated from other migrations)."""
    c = duckdb.connect()
    apply_migrations(c, [m for m in discover_migrations() if m.name == "design"])
    yield c
    c.close()


def test_migration_is_applied_by_the_store() -> None:
    with Store.open(None) as store:
        tables = {
            r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    assert {
        "pilot_plans",
        "hypotheses",
        "hypothesis_events",
        "interim_looks",
        "current_pilot_plans",
    } <= tables


def test_add_review_and_what_is_due(con: Any) -> None:
    rec = add_hypothesis(
        con, program_id="sales", kpi="revenue", assumed_effect=0.05, owner="A", today=date(2025, 1, 10)
    )
    assert rec.id == "sales-h1"
    assert rec.row["next_review"] == "2025-04-10"
    assert list_hypotheses(con, today=date(2025, 3, 1))["due"].item() == ""
    assert "quarterly review" in list_hypotheses(con, today=date(2025, 4, 10))["due"].item()
    after = review_hypothesis(con, rec.id, status="piloting", note="started", today=date(2025, 4, 12))
    assert after.status == "piloting"
    assert after.row["next_review"] == "2025-07-12"
    assert list(after.events["event"]) == ["added", "reviewed"]
    assert "started" in after.summary()
    with pytest.raises(DataError, match="already registered"):
        add_hypothesis(con, program_id="sales", kpi="revenue", assumed_effect=0.1, hypothesis_id=rec.id)
    with pytest.raises(UsageError):
        review_hypothesis(con, rec.id, status="maybe")
    with pytest.raises(DataError, match="Hint:"):
        get_hypothesis(con, "nope")


def test_observed_effect_is_filled_in_and_status_suggested(con: Any) -> None:
    rec = add_hypothesis(
        con, program_id="sales", kpi="revenue", assumed_effect=500, assumed_effect_unit="absolute"
    )
    res = EffectResult(
        method="difference in means",
        design="randomized",
        estimand="ITT",
        terms=(Term("effect", 420.0, 100.0, 400),),
        n=400,
    )
    assert record_effect(con, "sales", "revenue", res) == [rec.id]
    row = get_hypothesis(con, rec.id).row
    assert row["observed_effect"] == pytest.approx(420.0)
    assert row["observed_conf_low"] == pytest.approx(420 - 1.959964 * 100, rel=1e-5)
    refused = res.with_refusal(["no overlap"])
    record_observed(
        con, rec.id, estimate=1.0, conf_low=0.0, conf_high=2.0, method="x", absolute_assumed_effect=500
    )
    assert record_effect(con, "sales", "revenue", refused) == []
    assert "suggested status: refuted" in get_hypothesis(con, rec.id).events["note"].iloc[-1]
    assert suggest_status(500, 200, 800) == "confirmed"
    assert suggest_status(500, -100, 300) == "refuted"
    assert suggest_status(500, -100, 900) == "inconclusive"
    assert suggest_status(-2.0, -3.0, -0.5) == "confirmed"


def test_spec_hypotheses_sync_once_and_keep_status(con: Any) -> None:
    spec = parse_spec(SPEC)
    assert sync_spec_hypotheses(con, spec) == ["sales-revenue"]
    review_hypothesis(con, "sales-revenue", status="piloting")
    assert sync_spec_hypotheses(con, spec) == []
    changed = parse_spec(SPEC.replace("0.05", "0.07"))
    sync_spec_hypotheses(con, changed)
    rec = get_hypothesis(con, "sales-revenue")
    assert rec.row["assumed_effect"] == pytest.approx(0.07)
    assert rec.status == "piloting"
    assert list(rec.events["event"]) == ["added", "reviewed", "updated"]
    other = parse_spec(SPEC.replace('id = "sales-skills"', 'id = "other"'))
    with pytest.raises(DataError, match="unique across programs"):
        sync_spec_hypotheses(con, other)


def test_plan_round_trips_marks_piloting_and_reports_deviations(con: Any) -> None:
    add_hypothesis(con, program_id="sales", kpi="revenue", assumed_effect=0.05, today=date(2025, 1, 1))
    plan = make_plan(
        program_id="sales",
        primary_kpi="revenue",
        start=date(2025, 1, 15),
        guardrails=["errors"],
        n_planned=400,
        n_treatment=200,
        n_control=200,
    )
    assert plan.intervention_start == date(2025, 2, 1)
    assert plan.measurement_end == date(2025, 4, 30)
    assert plan.baseline_start == date(2024, 11, 1)
    assert plan.interim_looks == (date(2025, 2, 28), date(2025, 3, 31))
    stored = save_plan(con, plan)
    assert stored.version == 1
    assert load_plan(con, "sales") == stored
    assert save_plan(con, plan).version == 2
    assert require_plan(con, "sales").version == 2
    with pytest.raises(DataError, match="learnroi design"):
        require_plan(con, "nope")
    assert list_hypotheses(con)["status"].item() == "piloting"
    assert "analysis" in list_hypotheses(con, today=date(2025, 5, 2))["due"].item()
    assert plan_deviations(stored, kpi="revenue", design="randomized", n=390, guardrails=["errors"]) == []
    devs = plan_deviations(
        stored, kpi="deal_size", design="matched", n=300, guardrails=[], measurement_end=date(2025, 3, 31)
    )
    assert len(devs) == 5
    staggered = make_plan(
        program_id="onb",
        primary_kpi="weeks_to_productivity",
        start=date(2025, 1, 1),
        design="staggered",
        rollout_months=2,
    )
    assert staggered.measurement_end == date(2025, 5, 31)
    assert staggered.analysis_design == "staggered"


def test_interim_looks_are_stored(con: Any) -> None:
    res = sequential_test(
        np.array([0.1, 0.2]), np.array([0.02, 0.01]), planned_variance=0.01, n=[100, 200], planned_n=200
    )
    assert record_looks(con, "sales", "revenue", res) == 2
    assert record_looks(con, "sales", "revenue", res) == 2
    assert con.execute("SELECT count(*) FROM interim_looks").fetchone()[0] == 2
