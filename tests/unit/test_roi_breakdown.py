"""ROI per cohort and per year (learnroi.roi.breakdown): cohort costs add up to the program's fully loaded
cost, equal effects with reach-prorated costs give every cohort the program's ROI, a zero effect gives
-100 %, the total is compute_roi on the whole program with the reach-weighted effect, the per-year table
ends at the program's ROI, and bad inputs fail with a Hint."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import DataError, LearnroiError, UsageError
from learnroi.core.program import ProgramSpec, parse_spec
from learnroi.roi import (
    EffectInput,
    PhillipsRules,
    RoiBreakdown,
    compute_roi,
    pooled_effect,
    roi_by_cohort,
    roi_by_year,
    template_text,
)

DRAWS = 2_000
SPEC = parse_spec(template_text())  # reach 400 (300-500), revenue per rep-month
KPI = "revenue"
LEDGER = pd.DataFrame(
    {
        "program_id": ["sales-skills"] * 3,
        "category": ["delivery", "platform", "facilitators"],
        "amount": [12_345.67, 2_000.01, 3_333.33],
        "currency": ["USD"] * 3,
    }
)
TIME = pd.DataFrame(
    {
        "employee_id": ["E1", "E2", "E3", "E4"],
        "hours": [2.5, 3.0, 1.25, 4.0],
        "hourly_rate": [51.3, 40.7, 44.1, 60.9],
        "cohort": ["north", "north", "south", "south"],
    }
)
REACH = {"north": 100.0, "south": 300.0}


def _effects(north: float, south: float, se: float = 50.0) -> dict[str, EffectInput]:
    return {"north": EffectInput(KPI, north, se), "south": EffectInput(KPI, south, se)}


def _run(effects: dict[str, EffectInput], **kw: Any) -> RoiBreakdown:
    args: dict[str, Any] = {"reach": REACH, "ledger": LEDGER, "draws": DRAWS, "seed": 7, **kw}
    return roi_by_cohort(SPEC, effects, **args)


@pytest.mark.parametrize(
    "time", [None, TIME, TIME.drop(columns="cohort")], ids=["no-time", "by-cohort", "shared"]
)
@pytest.mark.parametrize("shares", [None, {"north": 0.6, "south": 0.4}], ids=["by-reach", "given"])
def test_cohort_costs_add_up_to_the_program_cost(
    time: pd.DataFrame | None, shares: dict[str, float] | None
) -> None:
    out = _run(_effects(300.0, 200.0), participant_time=time, cost_shares=shares)
    program = compute_roi(
        SPEC, EffectInput(KPI, 225.0, 0.0), ledger=LEDGER, participant_time=time, draws=DRAWS
    )
    assert out.total.cost == pytest.approx(program.cost, abs=1e-9)
    assert sum(r.cost for r in out.results) == pytest.approx(program.cost, abs=0.005)
    for cat, amount in program.cost_breakdown.items():
        assert sum(r.cost_breakdown.get(cat, 0.0) for r in out.results) == pytest.approx(amount, abs=0.005)
    if time is not None and "cohort" in time.columns:  # north's own learners' time, not a reach share
        north_time = float((TIME.hours * TIME.hourly_rate)[TIME.cohort == "north"].sum())
        assert out.result("north").cost_breakdown["participant_time"] == pytest.approx(north_time)


def test_equal_effects_and_reach_prorated_costs_give_the_program_roi() -> None:
    out = _run(_effects(250.0, 250.0), participant_time=TIME.drop(columns="cohort"))
    assert out.total.roi_pct is not None
    for res in out.results:
        assert res.roi_pct == pytest.approx(out.total.roi_pct, rel=1e-12)
        assert res.bcr == pytest.approx(out.total.bcr, rel=1e-12)


def test_a_cohort_with_zero_effect_loses_its_whole_cost() -> None:
    out = _run({"north": EffectInput(KPI, 0.0, 0.0), "south": EffectInput(KPI, 300.0, 40.0)})
    north = out.result("north")
    assert north.roi_pct == pytest.approx(-100.0)
    assert north.benefit == 0.0
    assert north.payback_months is None


def test_total_is_compute_roi_on_the_whole_program_with_the_reach_weighted_effect() -> None:
    effects = _effects(300.0, 200.0, se=60.0)
    out = _run(effects, participant_time=TIME)
    pooled = pooled_effect(effects, REACH)
    assert pooled.estimate == pytest.approx(0.25 * 300 + 0.75 * 200)
    assert pooled.std_error == pytest.approx(60.0 * np.sqrt(0.25**2 + 0.75**2))
    whole = compute_roi(SPEC, pooled, ledger=LEDGER, participant_time=TIME, draws=DRAWS, seed=7)
    assert out.total.to_dict() == whole.to_dict()
    assert out.total.benefit == pytest.approx(sum(r.benefit or 0.0 for r in out.results), rel=1e-12)
    assert out.total.net_benefit == pytest.approx(sum(r.net_benefit or 0.0 for r in out.results), rel=1e-12)


def test_tables_and_reproducibility() -> None:
    a = _run(_effects(300.0, 200.0), participant_time=TIME)
    b = _run(_effects(300.0, 200.0), participant_time=TIME)
    c = _run(_effects(300.0, 200.0), participant_time=TIME, seed=8)
    assert a.to_dict() == b.to_dict()
    assert a.tidy().equals(b.tidy())
    assert a.result("south").roi_conf_low != c.result("south").roi_conf_low
    tidy = a.tidy()
    assert list(tidy["cohort"]) == ["north", "south", "total"]
    assert list(tidy.columns[3:]) == [
        "benefit",
        "cost",
        "net_benefit",
        "roi_pct",
        "roi_conf_low",
        "roi_conf_high",
        "p_roi_positive",
        "bcr",
        "payback_months",
    ]
    json.dumps(a.to_dict(), allow_nan=False)
    assert "north" in a.summary()
    assert "total" in a.summary()


def test_by_year_counts_the_cost_up_front_and_ends_at_the_roi() -> None:
    spec = SPEC.model_copy(update={"program": SPEC.program.model_copy(update={"horizon_months": 30})})
    res = compute_roi(
        spec,
        EffectInput(KPI, 250.0, 0.0),
        ledger=LEDGER,
        draws=DRAWS,
        rules=PhillipsRules(first_year_only=False),
    )
    table = roi_by_year(res)
    assert list(table["year"]) == [1, 2, 3]
    assert table["benefit"].sum() == pytest.approx(res.benefit)
    assert table["cost"].sum() == pytest.approx(res.cost)
    assert table["cost"].iloc[0] == res.cost
    assert table["cumulative_roi_pct"].iloc[-1] == pytest.approx(res.roi_pct)
    assert table["cumulative_roi_pct"].is_monotonic_increasing
    both = _run(_effects(300.0, 200.0)).by_year()
    assert set(both["cohort"]) == {"north", "south", "total"}


def _with_extra_row(time: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            time,
            pd.DataFrame({"employee_id": ["E9"], "hours": [1.0], "hourly_rate": [1.0], "cohort": ["west"]}),
        ]
    )


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"reach": {"north": 100.0}}, UsageError),
        ({"reach": {"north": 0.0, "south": 300.0}}, UsageError),
        ({"reach": {"north": float("nan"), "south": 300.0}}, UsageError),
        ({"cost_shares": {"north": 0.5, "south": 0.6}}, UsageError),
        ({"cost_shares": {"north": 1.0}}, UsageError),
        ({"cost_shares": {"north": 0.0, "south": 1.0}}, DataError),
        ({"participant_time": _with_extra_row(TIME)}, DataError),
        (
            {"effects": {"north": EffectInput(KPI, 1.0), "south": EffectInput(KPI, 1.0, source="forecast")}},
            UsageError,
        ),
        ({"effects": {"total": EffectInput(KPI, 1.0)}, "reach": {"total": 1.0}}, UsageError),
    ],
    ids=[
        "missing-reach",
        "zero-reach",
        "nan-reach",
        "shares-sum",
        "shares-keys",
        "no-cost",
        "unknown-cohort",
        "mixed-source",
        "reserved",
    ],
)
def test_bad_inputs_say_what_to_do(kwargs: dict[str, Any], error: type[LearnroiError]) -> None:
    effects = kwargs.pop("effects", _effects(300.0, 200.0))
    with pytest.raises(error) as info:
        _run(effects, **kwargs)
    assert "Hint:" in str(info.value)
    assert info.value.hint


def test_the_callers_inputs_are_not_modified() -> None:
    spec_before: ProgramSpec = SPEC.model_copy(deep=True)
    time_before = TIME.copy()
    _run(_effects(300.0, 200.0), participant_time=TIME)
    assert spec_before == SPEC
    pd.testing.assert_frame_equal(TIME, time_before)


def test_a_cohort_the_design_did_not_identify_has_no_roi_and_neither_has_the_total() -> None:
    effects = {
        "north": EffectInput(KPI, 300.0, 50.0, identified=False, reasons=("pre-trends",)),
        "south": EffectInput(KPI, 200.0, 50.0),
    }
    out = _run(effects, participant_time=TIME)
    assert out.result("north").roi_pct is None
    assert out.result("south").roi_pct is not None
    assert out.total.roi_pct is None
    assert "cohort north: pre-trends" in out.total.reasons
    assert sum(r.cost for r in out.results) == pytest.approx(out.total.cost, abs=0.005)
    assert set(out.by_year()["cohort"]) == {"south"}
    assert "not identified" in out.summary()
