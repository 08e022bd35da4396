"""compute_roi end to end: the formulas of docs/dev/roi-formulas.md month by month, the refusal when the
effect is not identified (contracts §3), basis labels, fully loaded costs from frames of every kind, the
monetization rules, the Monte Carlo / tornado / scenario tables and the JSON contract (contracts §1)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from learnroi.attribution.result import EffectResult, Term
from learnroi.core.errors import DataError, SpecError, UsageError
from learnroi.core.program import Hypothesis, ProgramSpec, parse_spec
from learnroi.roi import CONTRACT_FIELDS, EffectInput, PhillipsRules, compute_roi, template_text
from learnroi.roi.result import TIDY_COLUMNS

DRAWS = 2_000
SPEC = parse_spec(template_text())
LEDGER = pd.DataFrame(
    {
        "program_id": ["p", "p", "p", "other"],
        "line_id": ["1", "2", "3", "4"],
        "category": ["delivery", "platform", "delivery", "delivery"],
        "amount": [1_000.0, 500.0, 250.0, 99_999.0],
        "currency": ["USD"] * 4,
    }
)
TIME = pd.DataFrame(
    {"employee_id": ["E1", "E2", "E2"], "hours": [2.0, 3.0, 1.0], "hourly_rate": [50.0, 40.0, 40.0]}
)
SALES = LEDGER.assign(program_id="sales-skills")


def _spec(
    kpi: dict[str, Any], assumptions: dict[str, Any], costs: list[dict[str, Any]] | None = None, **prog: Any
) -> ProgramSpec:
    return ProgramSpec.model_validate(
        {
            "program": {
                "id": "p",
                "name": "P",
                "audience": "a",
                "design": "randomized",
                "primary_kpi": kpi["business_kpi"],
                **prog,
            },
            "kpis": [kpi],
            "assumptions": {
                k: (v if isinstance(v, dict) else {"value": v, "source": "t"}) for k, v in assumptions.items()
            },
            "costs": costs if costs is not None else [{"category": "delivery", "amount": 10_000}],
        }
    )


def _revenue(h: float | None = 9.0, r: float = 0.08, **prog: Any) -> ProgramSpec:
    kpi = {
        "business_kpi": "revenue",
        "unit": "USD",
        "path": "s",
        "rule": "revenue_margin",
        "value_per_unit": "m",
    }
    a: dict[str, Any] = {"reach": 100, "adoption": 0.8, "m": 0.35, "discount_rate": r}
    if h is not None:
        a["decay_half_life_months"] = h
    return _spec(kpi, a, **prog)


def _explicit(
    effect: float,
    margin: float,
    n: float,
    horizon: int,
    window: int,
    h: float | None,
    r: float,
    profile: list[float] | None = None,
) -> float:
    """docs/dev/roi-formulas.md written out as a loop over months."""
    total = 0.0
    for m in range(1, horizon + 1):
        if profile:
            k = len(profile)
            d = profile[min(m, k) - 1] * (0.5 ** ((m - k) / h) if (h and m > k) else 1.0)
        else:
            d = 1.0 if m <= window or h is None else 0.5 ** ((m - window) / h)
        total += effect * margin * n * d * (1 + r) ** (-m / 12)
    return total


@pytest.mark.parametrize(
    ("h", "r", "horizon", "first_year"),
    [(9.0, 0.08, 12, True), (None, 0.0, 12, True), (4.0, 0.1, 36, False), (4.0, 0.1, 36, True)],
)
def test_benefit_follows_the_formulas_month_by_month(
    h: float | None, r: float, horizon: int, first_year: bool
) -> None:
    spec = _revenue(h, r, horizon_months=horizon, evaluation_window_months=6)
    res = compute_roi(
        spec,
        EffectInput(kpi="revenue", estimate=1_000.0),
        draws=DRAWS,
        rules=PhillipsRules(first_year_only=first_year),
    )
    months = min(horizon, 12) if first_year else horizon
    want = _explicit(1_000.0, 0.35, 80, months, 6, h, r)
    assert res.benefit == pytest.approx(want, rel=1e-12)
    assert len(res.schedule) == months == res.horizon_months
    assert sum(m["benefit"] for m in res.schedule) == pytest.approx(want, rel=1e-12)
    assert res.schedule[-1]["cumulative"] == pytest.approx(want, rel=1e-12)
    assert sum(y["benefit"] for y in res.benefit_by_year) == pytest.approx(want, rel=1e-12)
    assert len(res.benefit_by_year) == math.ceil(months / 12)
    assert res.payback_months == pytest.approx(res.cost / (want / months), rel=1e-12)
    assert res.npv == pytest.approx(want - res.cost, rel=1e-12)
    if first_year and horizon > 12:
        assert any("12 of the spec's 36 months" in r for r in res.rules)
    assert any(("OFF" if not first_year else "on") + ": first-year" in r for r in res.rules)
    assert res.to_dict()["rule_switches"]["first_year_only"] is first_year


def test_decay_profile_from_an_event_study() -> None:
    spec = _revenue(6.0, 0.05)
    profile = [0.5, 1.0, 1.2]
    res = compute_roi(
        spec, EffectInput(kpi="revenue", estimate=1_000.0, decay_profile=tuple(profile)), draws=DRAWS
    )
    assert res.benefit == pytest.approx(_explicit(1_000.0, 0.35, 80, 12, 6, 6.0, 0.05, profile), rel=1e-12)


def test_not_identified_computes_no_roi() -> None:
    eff = EffectInput(
        kpi="revenue", estimate=500.0, std_error=100.0, identified=False, reasons=("pre-trends differ",)
    )
    res = compute_roi(SPEC, eff, ledger=SALES, draws=DRAWS)
    assert not res.identified
    assert not res.computed
    for name in (
        "benefit",
        "net_benefit",
        "roi_pct",
        "roi_conf_low",
        "roi_conf_high",
        "p_roi_positive",
        "bcr",
        "npv",
        "break_even_effect",
    ):
        assert getattr(res, name) is None, name
    assert res.reasons == ("pre-trends differ",)
    assert "NOT IDENTIFIED" in res.summary()
    assert "pre-trends differ" in res.summary()
    assert res.cost > 0


def test_unknown_standard_error() -> None:
    refused = EffectInput(
        kpi="revenue", estimate=math.nan, std_error=math.nan, identified=False, reasons=("x",)
    )
    assert compute_roi(SPEC, refused, ledger=SALES, draws=DRAWS).roi_pct is None
    res = compute_roi(
        SPEC, EffectInput(kpi="revenue", estimate=500.0, std_error=math.nan), ledger=SALES, draws=DRAWS
    )
    assert any("no standard error" in n for n in res.notes)
    assert res.effect["std_error"] is None
    assert res.tornado[0]["name"] != "effect"
    with pytest.raises(UsageError):
        EffectInput(kpi="revenue", estimate=1.0, std_error=-1.0)


def test_from_effect_result_and_refusal() -> None:
    ok = EffectResult("diff-in-means", "randomized", "ITT", (Term("effect", 420.0, 90.0, 800),), n=800)
    eff = EffectInput.from_effect_result(ok, "revenue")
    assert (eff.estimate, eff.std_error, eff.identified, eff.source, eff.n) == (
        420.0,
        90.0,
        True,
        "attributed",
        800,
    )
    assert compute_roi(SPEC, eff, ledger=SALES, draws=DRAWS).identified
    refused = EffectInput.from_effect_result(ok.with_refusal(["sample ratio mismatch"]), "revenue")
    res = compute_roi(SPEC, refused, ledger=SALES, draws=DRAWS)
    assert res.roi_pct is None
    assert res.reasons == ("sample ratio mismatch",)
    with pytest.raises(UsageError, match="which KPI"):
        EffectInput.from_effect_result(ok)
    est = EffectResult(
        "estimate-based isolation (Phillips)", "estimates", "claimed ATT", (Term("e", 300.0, 50.0, 40),), n=40
    )
    from_est = EffectInput.from_effect_result(est, "revenue")
    assert from_est.source == "estimates"
    assert not from_est.identified
    with pytest.raises(UsageError, match='basis="estimates"'):
        compute_roi(SPEC, from_est, ledger=SALES, draws=DRAWS)
    labelled = compute_roi(SPEC, from_est, basis="estimates", ledger=SALES, draws=DRAWS)
    assert labelled.basis == "estimates"
    assert labelled.roi_pct is not None
    assert not labelled.identified
    assert "ESTIMATE-BASED" in labelled.summary()


def test_forecast_from_a_hypothesis() -> None:
    hyp = SPEC.hypotheses[0]
    assert isinstance(hyp, Hypothesis)
    with pytest.raises(SpecError, match="relative") as info:
        EffectInput.from_hypothesis(hyp)
    assert "baseline" in info.value.hint
    eff = EffectInput.from_hypothesis(hyp, baseline=20_000.0)
    assert eff.estimate == pytest.approx(hyp.assumed_effect * 20_000.0)
    res = compute_roi(SPEC, eff, basis="forecast", ledger=SALES, draws=DRAWS)
    assert res.basis == "forecast"
    assert not res.identified
    assert "FORECAST" in res.summary()
    with pytest.raises(UsageError):
        compute_roi(SPEC, eff, ledger=SALES, draws=DRAWS)


def _frames(kind: str) -> tuple[Any, Any]:
    if kind == "pandas":
        return LEDGER, TIME
    if kind == "arrow":
        return pa.Table.from_pandas(LEDGER), pa.Table.from_pandas(TIME)
    pl = pytest.importorskip("polars")
    return pl.from_pandas(LEDGER), pl.from_pandas(TIME)


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_fully_loaded_costs(kind: str) -> None:
    costs = [
        {"category": "evaluation", "amount": 300.0},
        {"category": "design_development", "amount": 10_000.0, "prorate_over_users": 400},
        {"category": "acquisition", "amount": 1_000.0, "prorate_over_users": 10},  # capped at the amount
    ]
    spec = _spec(
        {"business_kpi": "k", "unit": "u", "path": "p", "rule": "custom", "expression": "gain"},
        {"reach": 100, "adoption": 0.8},
        costs,
    )
    ledger, time = _frames(kind)
    before = LEDGER.copy()
    res = compute_roi(
        spec, EffectInput(kpi="k", estimate=10.0), ledger=ledger, participant_time=time, draws=DRAWS
    )
    pd.testing.assert_frame_equal(LEDGER, before)  # the caller's frame is not modified
    want = {
        "delivery": 1_250.0,
        "platform": 500.0,
        "participant_time": 2 * 50 + 4 * 40,
        "evaluation": 300.0,
        "design_development": 10_000 * 80 / 400,
        "acquisition": 1_000.0,
    }
    assert res.cost_breakdown == pytest.approx(want)
    assert res.cost == pytest.approx(sum(want.values()))
    assert res.learners == 2
    assert res.cost_per_learner == pytest.approx(res.cost / 2)


@pytest.mark.parametrize(
    ("frame", "match", "where"),
    [
        (
            LEDGER.assign(category=["delivery", "snacks", "delivery", "delivery"]),
            "snacks",
            "cost ledger row 2 column category",
        ),
        (LEDGER.assign(amount=[1.0, "1,000", 1.0, 1.0]), "not a number", "cost ledger row 2 column amount"),
        (LEDGER.drop(columns="amount"), "no column amount", "cost ledger"),
    ],
)
def test_bad_ledgers_name_the_row(frame: pd.DataFrame, match: str, where: str) -> None:
    with pytest.raises(DataError, match=match) as info:
        compute_roi(_revenue(), EffectInput(kpi="revenue", estimate=1.0), ledger=frame, draws=DRAWS)
    assert info.value.where == where
    assert info.value.hint


def test_bad_participant_time_and_currency() -> None:
    bad = TIME.assign(hourly_rate=[50.0, np.nan, 40.0])
    with pytest.raises(DataError, match="hourly_rate") as info:
        compute_roi(_revenue(), EffectInput(kpi="revenue", estimate=1.0), participant_time=bad, draws=DRAWS)
    assert info.value.where == "participant time row 2 column hourly_rate"
    with pytest.raises(SpecError, match="EUR"):
        compute_roi(
            _revenue(),
            EffectInput(kpi="revenue", estimate=1.0),
            ledger=LEDGER.assign(currency="EUR"),
            draws=DRAWS,
        )


def test_zero_cost_and_missing_reach() -> None:
    kpi = {"business_kpi": "k", "unit": "u", "path": "p", "rule": "custom", "expression": "gain"}
    with pytest.raises(DataError, match="zero") as info:
        compute_roi(_spec(kpi, {"reach": 1}, []), EffectInput(kpi="k", estimate=1.0), draws=DRAWS)
    assert "ledger" in info.value.hint
    with pytest.raises(SpecError, match="reach"):
        compute_roi(_spec(kpi, {}), EffectInput(kpi="k", estimate=1.0), draws=DRAWS)
    res = compute_roi(_spec(kpi, {}), EffectInput(kpi="k", estimate=1.0), participant_time=TIME, draws=DRAWS)
    assert res.assumptions[0]["name"] == "reach"
    assert res.assumptions[0]["value"] == 2  # reach falls back to the learners in the participant-time frame


@pytest.mark.parametrize(
    ("kpi", "assumptions", "effect", "want"),
    [
        (
            {"rule": "time_saved", "value_per_unit": "hourly", "redeployed": True},
            {"hourly": 60.0},
            2.0,
            2.0 * 60.0,
        ),
        (
            {"rule": "incidents_avoided", "value_per_unit": "each", "direction": "decrease"},
            {"each": 800.0},
            -0.5,
            0.5 * 800.0,
        ),
        ({"rule": "retention", "value_per_unit": "replace"}, {"replace": 30_000.0}, 0.02, 0.02 * 30_000.0),
        (
            {"rule": "custom", "expression": "max(gain, 0) * price * (1 - cut) ** 2"},
            {"price": 10.0, "cut": 0.5},
            8.0,
            8.0 * 10.0 * 0.25,
        ),
        ({"rule": "custom", "expression": "max(gain, 0) * price"}, {"price": 10.0}, -8.0, 0.0),
    ],
)
def test_monetization_rules(
    kpi: dict[str, Any], assumptions: dict[str, float], effect: float, want: float
) -> None:
    link = {"business_kpi": "k", "unit": "u", "path": "p", "per": "person", **kpi}
    res = compute_roi(
        _spec(link, {"reach": 10, **assumptions}), EffectInput(kpi="k", estimate=effect), draws=DRAWS
    )
    assert res.benefit == pytest.approx(want * 10, rel=1e-12, abs=1e-12)


def test_kpi_must_be_listed_and_monetized() -> None:
    with pytest.raises(SpecError, match="not monetized") as info:
        compute_roi(SPEC, EffectInput(kpi="deal_size", estimate=1.0), ledger=SALES, draws=DRAWS)
    assert "revenue" in info.value.hint
    with pytest.raises(SpecError, match="does not list"):
        compute_roi(SPEC, EffectInput(kpi="nps", estimate=1.0), ledger=SALES, draws=DRAWS)


def test_missing_effect_is_no_improvement() -> None:
    res = compute_roi(SPEC, EffectInput(kpi="revenue", estimate=math.nan), ledger=SALES, draws=DRAWS)
    assert res.benefit == 0.0
    assert res.roi_pct == -100.0
    with pytest.raises(DataError):
        compute_roi(
            SPEC,
            EffectInput(kpi="revenue", estimate=math.nan),
            draws=DRAWS,
            rules=PhillipsRules(no_data_no_improvement=False),
        )


def test_uncertainty_tables() -> None:
    eff = EffectInput(kpi="revenue", estimate=600.0, std_error=150.0)
    res = compute_roi(SPEC, eff, ledger=SALES, draws=20_000, seed=7)
    assert res.roi_conf_low is not None
    assert res.roi_conf_high is not None
    assert res.roi_conf_low < res.roi_pct < res.roi_conf_high
    assert 0 < res.p_roi_positive < 1
    swings = [abs(b["roi_at_high"] - b["roi_at_low"]) for b in res.tornado]
    assert swings == sorted(swings, reverse=True)
    assert {b["name"] for b in res.tornado} == {
        "effect",
        "reach",
        "adoption",
        "decay_half_life_months",
        "discount_rate",
        "contribution_margin",
    }
    rois = [s["roi_pct"] for s in res.scenarios]
    assert [s["name"] for s in res.scenarios] == ["conservative", "expected", "optimistic"]
    assert rois == sorted(rois)
    assert rois[1] == pytest.approx(res.roi_pct)
    assert sum(res.histogram["counts"]) == 20_000
    assert len(res.histogram["edges"]) == len(res.histogram["counts"]) + 1
    # break-even: the effect at which benefit = cost
    assert res.break_even_effect is not None
    at_be = compute_roi(
        SPEC,
        EffectInput(kpi="revenue", estimate=res.break_even_effect),
        ledger=SALES,
        draws=DRAWS,
    )
    assert at_be.roi_pct == pytest.approx(0.0, abs=1e-9)
    # same seed, same answer; another seed, another Monte Carlo
    again = compute_roi(SPEC, eff, ledger=SALES, draws=20_000, seed=7)
    other = compute_roi(SPEC, eff, ledger=SALES, draws=20_000, seed=8)
    assert again.roi_conf_low == res.roi_conf_low
    assert other.roi_conf_low != res.roi_conf_low


def test_bootstrap_draws_drive_the_effect_distribution() -> None:
    rng = np.random.default_rng(3)
    boot = tuple(rng.normal(600.0, 150.0, 4_000))
    kpi = {
        "business_kpi": "k",
        "unit": "u",
        "path": "p",
        "rule": "custom",
        "expression": "gain",
        "per": "person",
    }
    spec = _spec(kpi, {"reach": 1}, [{"category": "delivery", "amount": 400.0}])
    res = compute_roi(spec, EffectInput(kpi="k", estimate=600.0, draws=boot), draws=50_000, seed=1)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    # ROI is linear in the effect here, so its interval is the bootstrap interval mapped through it
    assert res.roi_conf_low == pytest.approx((lo - 400) / 400 * 100, abs=2.0)
    assert res.roi_conf_high == pytest.approx((hi - 400) / 400 * 100, abs=2.0)


def test_json_and_tidy_contract() -> None:
    res = compute_roi(
        SPEC, EffectInput(kpi="revenue", estimate=500.0, std_error=100.0), ledger=SALES, draws=DRAWS
    )
    d = res.to_dict()
    assert list(d)[: len(CONTRACT_FIELDS)] == list(CONTRACT_FIELDS)
    json.dumps(d, allow_nan=False)
    for key in (
        "cost_breakdown",
        "schedule",
        "tornado",
        "scenarios",
        "histogram",
        "assumptions",
        "rules",
        "intangibles",
    ):
        assert d[key], key
    tidy = res.tidy()
    assert list(tidy.columns) == TIDY_COLUMNS
    row = tidy.set_index("term").loc["roi_pct"]
    assert row["estimate"] == pytest.approx(res.roi_pct)
    assert row["conf_low"] == pytest.approx(res.roi_conf_low)
    refused = compute_roi(
        SPEC, EffectInput(kpi="revenue", estimate=1.0, identified=False), ledger=SALES, draws=DRAWS
    )
    json.dumps(refused.to_dict(), allow_nan=False)


@pytest.mark.parametrize("kwargs", [{"draws": 10}, {"basis": "guess"}, {"level": 1.5}])
def test_usage_errors(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        compute_roi(SPEC, EffectInput(kpi="revenue", estimate=1.0), **kwargs)
