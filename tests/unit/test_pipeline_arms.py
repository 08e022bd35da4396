"""Which blend pays: per-arm effect, cost and ROI of a hand-built four-arm pilot with planted effects.

The store is built from small hand tables (``store_from_tables``): 4 arms x 30 support agents, the
KPI ``escalations`` observed only in the 3-month window (no pre-period, so no CUPED), with a base
level that has the same distribution in every arm and a planted per-arm shift. Every expected number
below is computed by hand from the planted values and the contract's rules (blended-contract.md §4):

- effect of arm a = planted shift (arm means of the base pattern are equal by construction);
- cost of arm a = its own ledger lines + shared lines x 30 / 90 + 30 learners x hours x 50/h;
- benefit of arm a = -effect x 100 (cost per escalation) x 30 people x 12 months (no decay, no discount).

Would catch: arms mislabelled or compared with the wrong reference, shared costs split by the wrong
count, one arm's lines or participants' time charged to another, the control's time charged at all,
reach left at the program's value instead of n_a, a non-monetized KPI crashing instead of costs only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from learnroi.attribution.chooser import DesignInfo, attribute
from learnroi.core.program import ProgramSpec, load_spec, parse_spec
from learnroi.metrics import build_panel, connect
from learnroi.pipeline.arms import ARM_COLUMNS, analyze_arms
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.pipeline.programs import register_spec
from learnroi.roi.arms import arm_ledger, arm_shares
from learnroi.store import Store

ARMS = ("control", "digital", "blended", "classroom")
SHIFT = {"control": 0.0, "digital": -0.5, "blended": -2.0, "classroom": -1.8}
HOURS = {"digital": 1.0, "blended": 2.0, "classroom": 4.0, "control": 0.0}
OWN = {"digital": 1000.0, "blended": 3000.0, "classroom": 12000.0}
SHARED = 6000.0
PER_ARM = 30
RATE = 50.0  # loaded_salary 104,000 / 2,080 standard hours
VALUE = 100.0  # cost per escalation
MONTHS = ("2024-07-01", "2024-08-01", "2024-09-01")

SPEC = """
[program]
id = "blend-test"
name = "Blend test"
audience = "support"
design = "randomized"
primary_kpi = "escalations"
start = 2024-07-01
horizon_months = 12
evaluation_window_months = 3
currency = "USD"

[[kpis]]
business_kpi = "escalations"
unit = "escalations per agent-month"
direction = "decrease"
path = "service"
monetized = true
rule = "incidents_avoided"
value_per_unit = "cost_per_escalation"
per = "person_month"

[[kpis]]
business_kpi = "csat"
unit = "score"
direction = "increase"
path = "experience"
monetized = false
per = "person_month"

[assumptions]
cost_per_escalation = { value = 100.0, unit = "USD", source = "test" }

[pilot]
allocation = 0.75
"""


def _tables() -> dict[str, pa.Table]:
    n = PER_ARM * len(ARMS)
    ids = [f"E{i:03d}" for i in range(n)]
    arm = [ARMS[i % 4] for i in range(n)]
    base = [10.0 + (i % 5) * 0.5 for i in range(n)]  # i = 4k + r: every arm holds each i % 5 six times
    employees = pa.table(
        {
            "employee_id": ids,
            "email": [f"{e.lower()}@x.example" for e in ids],
            "department": ["support"] * n,
            "role": ["support"] * n,
            "hire_date": ["2020-01-01"] * n,
            "loaded_salary": [104_000.0] * n,
            "standard_hours": [2080.0] * n,
        }
    )
    assignments = pa.table(
        {
            "program_id": ["blend-test"] * n,
            "employee_id": ids,
            "arm": arm,
            "assigned_date": ["2024-06-15"] * n,
        }
    )
    perf = [
        (e, m, kpi, b + (SHIFT[a] if kpi == "escalations" else -SHIFT[a]) + j * 0.1)
        for e, a, b in zip(ids, arm, base, strict=True)
        for j, m in enumerate(MONTHS)
        for kpi in ("escalations", "csat")
    ]
    performance = pa.table(
        dict(zip(("employee_id", "period", "kpi", "value"), map(list, zip(*perf, strict=True)), strict=True))
    )
    learners = [(e, a) for e, a in zip(ids, arm, strict=True) if a != "control"]
    events = pa.table(
        {
            "event_id": [f"ev{i}" for i in range(len(learners))],
            "learner_email": [f"{e.lower()}@x.example" for e, _ in learners],
            "program_id": ["blend-test"] * len(learners),
            "course_id": [f"c-{a}" for _, a in learners],
            "module_id": [f"m-{a}" for _, a in learners],
            "event_type": ["completed"] * len(learners),
            "timestamp": ["2024-07-02T10:00:00+00:00"] * len(learners),
            "duration_seconds": [HOURS[a] * 3600 for _, a in learners],
        }
    )
    ledger = pa.table(
        {
            "program_id": ["blend-test"] * 5 + ["other"],
            "line_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
            "category": [
                "design_development",
                "delivery",
                "delivery",
                "delivery",
                "design_development",
                "delivery",
            ],
            "amount": [SHARED, OWN["digital"], OWN["blended"], OWN["classroom"], 500.0, 99_999.0],
            "currency": ["USD"] * 6,
            "arm": ["", "digital", "blended", "classroom", "control", ""],
        }
    )
    return {
        "employees": employees,
        "assignments": assignments,
        "performance": performance,
        "lms_events": events,
        "cost_ledger": ledger,
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("arms") / "program-blend-test.toml"
    path.write_text(SPEC, encoding="utf-8")
    with store_from_tables(_tables()) as s:
        register_spec(s, path)
        yield s


def _spec(store: Store, tmp_path: Path) -> ProgramSpec:
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return load_spec(path)


def test_per_arm_effect_cost_and_roi_match_hand_computation(store: Store, tmp_path: Path) -> None:
    res = analyze_arms(store, _spec(store, tmp_path), draws=2000)
    assert res is not None
    assert res.identified, res.reasons
    t = res.tidy().set_index("arm")
    assert list(res.tidy().columns) == ARM_COLUMNS
    assert sorted(t.index) == ["blended", "classroom", "digital"]
    for a in t.index:
        assert t.loc[a, "effect"] == pytest.approx(SHIFT[a], abs=1e-9)
        assert t.loc[a, "n"] == PER_ARM
        assert t.loc[a, "conf_low"] < SHIFT[a] < t.loc[a, "conf_high"]
        assert 0 <= t.loc[a, "p_adjusted"] <= 1
    # simultaneous intervals are wider than each arm's own t interval
    c = {x["arm"]: x for x in res.effects.extra["contrasts"]}
    assert all(t.loc[a, "conf_high"] > c[a]["conf_high_unadjusted"] for a in t.index)
    for a in t.index:  # the control's line (500) and the other program's line are nobody's cost here
        cost = OWN[a] + SHARED / 3 + PER_ARM * HOURS[a] * RATE
        benefit = -SHIFT[a] * VALUE * PER_ARM * 12
        assert t.loc[a, "cost"] == pytest.approx(cost, rel=1e-12)
        # the parts the workbook's Blend sheet splits: own lines, share of the shared lines, learners' time
        assert t.loc[a, "cost_arm"] == pytest.approx(OWN[a], rel=1e-12)
        assert t.loc[a, "cost_shared"] == pytest.approx(SHARED / 3, rel=1e-12)
        assert t.loc[a, "cost_participant_time"] == pytest.approx(PER_ARM * HOURS[a] * RATE, rel=1e-12)
        assert t.loc[a, "cost_per_learner"] == pytest.approx(cost / PER_ARM, rel=1e-12)
        assert t.loc[a, "benefit"] == pytest.approx(benefit, rel=1e-9)
        assert t.loc[a, "roi_pct"] == pytest.approx((benefit - cost) / cost * 100, rel=1e-9)
        assert t.loc[a, "roi_conf_low"] < t.loc[a, "roi_pct"] < t.loc[a, "roi_conf_high"]
    assert res.best() == "blended"  # 800 % vs classroom 224 %, digital 300 %
    d = res.to_dict()
    assert {x["arm"] for x in d["arms"]} == set(t.index)
    assert all(x["versus"] == "control" and x["roi"]["cost"] == x["cost"] for x in d["arms"])
    assert "blended" in res.summary()
    assert "simultaneous" in res.summary()


def test_headline_pools_every_arm_against_control(store: Store, tmp_path: Path) -> None:
    spec = _spec(store, tmp_path)
    panel = build_panel(connect(store.con), spec.id, "escalations")
    att = attribute(panel.frame, DesignInfo.from_spec(spec))
    assert att.identified, att.reasons
    assert att.design == "randomized"
    pooled = np.mean([SHIFT[a] for a in ARMS if a != "control"])  # equal arm sizes
    assert att.estimate == pytest.approx(pooled, abs=1e-9)
    srm = next(d for d in att.result.diagnostics if d.name == "sample_ratio_mismatch")  # type: ignore[union-attr]
    assert "0.250, 0.250, 0.250, 0.250" in srm.note
    assert srm.passed


def test_srm_over_arms_refuses_every_arm(store: Store, tmp_path: Path) -> None:
    """Planned 0.5 treated (1/6 per arm) against 3/4 observed: a sample-ratio mismatch, nothing claimed."""
    spec = _spec(store, tmp_path)
    spec = spec.model_copy(update={"pilot": spec.pilot.model_copy(update={"allocation": 0.5})})  # type: ignore[union-attr]
    res = analyze_arms(store, spec, draws=500)
    assert res is not None
    assert not res.identified
    assert any("sample-ratio" in r for r in res.reasons)
    assert res.tidy()["roi_pct"].isna().all()
    assert (res.tidy()["cost"] > 0).all()


def test_unmonetized_kpi_gives_costs_only_and_other_designs_have_no_arms(
    store: Store, tmp_path: Path
) -> None:
    spec = _spec(store, tmp_path)
    res = analyze_arms(store, spec, kpi="csat", draws=500)
    assert res is not None
    t = res.tidy().set_index("arm")
    for a in t.index:
        assert t.loc[a, "effect"] == pytest.approx(-SHIFT[a], abs=1e-9)
    assert t["roi_pct"].isna().all()
    assert (t["cost"] > 0).all()
    observational = spec.model_copy(
        update={"program": spec.program.model_copy(update={"design": "observational"})}
    )
    assert analyze_arms(store, observational) is None


def test_ledger_split_by_arm() -> None:
    spec = parse_spec(SPEC, source="test")
    shares = arm_shares({"control": 10, "a": 10, "b": 30})
    assert shares == {"a": 0.25, "b": 0.75}
    ledger = pd.DataFrame(
        {
            "program_id": ["blend-test"] * 4,
            "category": ["design_development"] * 4,
            "amount": [400.0, 10.0, 20.0, 7.0],
            "arm": [None, "a", "b", "control"],
        }
    )
    got = arm_ledger(ledger, spec, "b", shares["b"])
    assert got is not None
    assert got["amount"].sum() == pytest.approx(20.0 + 400.0 * 0.75)
    assert ledger["amount"].tolist() == [400.0, 10.0, 20.0, 7.0]  # the caller's frame is untouched
