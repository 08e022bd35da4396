"""Properties the ROI must have whatever the inputs (Hypothesis): ROI rises with benefit and falls with
cost, ROI = (BCR - 1) x 100, the scenario bands are ordered, a zero effect loses the whole cost."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnroi.core.program import ProgramSpec
from learnroi.roi import EffectInput, compute_roi
from learnroi.roi.formulas import roi_pct

DRAWS = 200
money = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)
positive = st.floats(min_value=1.0, max_value=1e9, allow_nan=False)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(b1=money, b2=money, c=positive)
def test_roi_increases_with_benefit(b1: float, b2: float, c: float) -> None:
    lo, hi = sorted((b1, b2))
    assert float(roi_pct(lo, c)) <= float(roi_pct(hi, c))


@given(b=money, c1=positive, c2=positive)
def test_roi_decreases_with_cost(b: float, c1: float, c2: float) -> None:
    lo, hi = sorted((c1, c2))
    assert float(roi_pct(b, lo)) >= float(roi_pct(b, hi))


def _ranged(value: float, spread: float) -> dict[str, Any]:
    return {"value": value, "low": value * (1 - spread), "high": value * (1 + spread), "source": "h"}


@st.composite
def programs(draw: st.DrawFn) -> ProgramSpec:
    spread = draw(st.floats(0.0, 0.5))
    per = draw(st.sampled_from(["person_month", "person"]))
    return ProgramSpec.model_validate(
        {
            "program": {
                "id": "p",
                "name": "P",
                "audience": "a",
                "design": "randomized",
                "primary_kpi": "revenue",
                "horizon_months": draw(st.integers(1, 36)),
                "evaluation_window_months": draw(st.integers(1, 12)),
            },
            "kpis": [
                {
                    "business_kpi": "revenue",
                    "unit": "USD",
                    "path": "s",
                    "rule": "revenue_margin",
                    "value_per_unit": "contribution_margin",
                    "per": per,
                }
            ],
            "assumptions": {
                "reach": _ranged(draw(st.floats(1, 5_000)), spread),
                "adoption": {"value": 0.7, "low": 0.7 * (1 - spread), "high": 0.7, "source": "h"},
                "contribution_margin": _ranged(draw(st.floats(0.05, 0.6)), spread),
                "decay_half_life_months": _ranged(draw(st.floats(1, 24)), spread),
                "discount_rate": {"value": 0.08, "low": 0.0, "high": 0.08 + spread / 5, "source": "h"},
            },
            "costs": [
                {"category": "delivery", "amount": draw(st.floats(1_000, 1e6))},
                {"category": "design_development", "amount": 50_000, "prorate_over_users": 2_000},
            ],
        }
    )


@SETTINGS
@given(spec=programs(), effect=st.floats(-1e4, 1e4), se=st.floats(0, 5e3), seed=st.integers(0, 2**31))
def test_roi_is_bcr_minus_one_and_bands_are_ordered(
    spec: ProgramSpec, effect: float, se: float, seed: int
) -> None:
    res = compute_roi(spec, EffectInput(kpi="revenue", estimate=effect, std_error=se), draws=DRAWS, seed=seed)
    assert res.roi_pct is not None
    assert res.bcr is not None
    assert res.roi_pct == pytest.approx((res.bcr - 1) * 100, rel=1e-9, abs=1e-9)
    assert res.net_benefit == pytest.approx(res.bcr * res.cost - res.cost, rel=1e-9, abs=1e-6)
    rois = [s["roi_pct"] for s in res.scenarios]
    assert rois[0] <= rois[1] + 1e-9
    assert rois[1] <= rois[2] + 1e-9
    assert res.roi_conf_low is not None
    assert res.roi_conf_high is not None
    assert res.roi_conf_low <= res.roi_conf_high
    assert 0.0 <= (res.p_roi_positive or 0.0) <= 1.0


@SETTINGS
@given(spec=programs(), e1=st.floats(0, 1e4), e2=st.floats(0, 1e4))
def test_roi_increases_with_the_effect(spec: ProgramSpec, e1: float, e2: float) -> None:
    lo, hi = sorted((e1, e2))
    r_lo = compute_roi(spec, EffectInput(kpi="revenue", estimate=lo), draws=DRAWS).roi_pct
    r_hi = compute_roi(spec, EffectInput(kpi="revenue", estimate=hi), draws=DRAWS).roi_pct
    assert r_lo is not None
    assert r_hi is not None
    assert r_lo <= r_hi + 1e-9


@SETTINGS
@given(spec=programs())
def test_zero_effect_loses_the_whole_cost(spec: ProgramSpec) -> None:
    res = compute_roi(spec, EffectInput(kpi="revenue", estimate=0.0), draws=DRAWS)
    assert res.roi_pct == -100.0
    assert res.benefit == 0.0
    assert res.payback_months is None
    assert res.p_roi_positive == 0.0
