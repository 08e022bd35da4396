"""The ROI arithmetic of the Phillips ROI Methodology and the user's own monetization examples.

Sources: Phillips & Phillips, *The ROI Methodology* (BCR = benefits / fully loaded costs, ROI % =
(benefits - costs) / costs x 100; estimate-based isolation = improvement x share x confidence), as quoted
in /work/shared/reference/validation-targets.md §4: $350,000 vs $200,000 -> BCR 1.75, ROI 75 %;
$60,000 vs $20,000 -> BCR 3.0, ROI 200 %; $100,000 x 30 % x 90 % = $27,000. The user's examples
(roi-methodology.md, contracts §3): onboarding 12 -> 9 weeks at $10,000 a month = $6,923.08 per hire;
sales: deal size +4 % x contribution margin.

Tolerances: these are exact arithmetic; 1e-9 relative covers float rounding only, and the dollar figure
published to the cent is compared after rounding to cents.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from learnroi.core.program import ProgramSpec
from learnroi.roi import EffectInput, PhillipsRules, compute_roi, effect_from_estimates, phillips_adjust
from learnroi.roi.formulas import bcr, roi_pct

DRAWS = 1_000


def _spec(kpi: dict[str, Any], assumptions: dict[str, Any], cost: float, **program: Any) -> ProgramSpec:
    return ProgramSpec.model_validate(
        {
            "program": {
                "id": "p",
                "name": "P",
                "audience": "everyone",
                "design": "randomized",
                "primary_kpi": kpi["business_kpi"],
                **program,
            },
            "kpis": [kpi],
            "assumptions": {k: {"value": v, "source": "test"} for k, v in assumptions.items()},
            "costs": [{"category": "delivery", "amount": cost}],
        }
    )


def _money_spec(cost: float) -> ProgramSpec:
    """A spec whose benefit is the effect itself (once, one person): the effect is the benefit in dollars."""
    kpi = {
        "business_kpi": "benefit",
        "unit": "USD",
        "path": "p",
        "rule": "custom",
        "expression": "gain",
        "per": "person",
    }
    return _spec(kpi, {"reach": 1}, cost)


@pytest.mark.parametrize(
    ("benefit", "cost", "want_bcr", "want_roi"),
    [(350_000.0, 200_000.0, 1.75, 75.0), (60_000.0, 20_000.0, 3.0, 200.0)],
)
def test_phillips_bcr_and_roi(benefit: float, cost: float, want_bcr: float, want_roi: float) -> None:
    assert float(bcr(benefit, cost)) == pytest.approx(want_bcr, rel=1e-9)
    assert float(roi_pct(benefit, cost)) == pytest.approx(want_roi, rel=1e-9)
    res = compute_roi(_money_spec(cost), EffectInput(kpi="benefit", estimate=benefit), draws=DRAWS)
    assert res.benefit == pytest.approx(benefit, rel=1e-9)
    assert res.cost == pytest.approx(cost, rel=1e-9)
    assert res.bcr == pytest.approx(want_bcr, rel=1e-9)
    assert res.roi_pct == pytest.approx(want_roi, rel=1e-9)
    assert res.net_benefit == pytest.approx(benefit - cost, rel=1e-9)
    # a fixed effect and fixed assumptions: the interval collapses onto the point
    assert res.roi_conf_low == pytest.approx(want_roi, rel=1e-9)
    assert res.roi_conf_high == pytest.approx(want_roi, rel=1e-9)
    assert res.p_roi_positive == 1.0


def test_estimate_based_isolation() -> None:
    assert float(phillips_adjust(100_000, 0.30, 0.90)) == pytest.approx(27_000.0, rel=1e-9)
    survey = pd.DataFrame(
        {
            "program_id": ["p"],
            "respondent_id": ["R1"],
            "subject_id": ["E1"],
            "kpi": ["benefit"],
            "improvement": [100_000.0],
            "share_attributed": [0.30],
            "confidence": [0.90],
        }
    )
    eff = effect_from_estimates(survey, "benefit", participants=1)
    assert eff.estimate == pytest.approx(27_000.0, rel=1e-9)
    res = compute_roi(_money_spec(20_000.0), eff, basis="estimates", draws=DRAWS)
    assert res.benefit == pytest.approx(27_000.0, rel=1e-9)
    assert res.basis == "estimates"
    assert not res.identified  # estimate-based is labelled, never presented as identified
    # switching principle 7 off counts the unadjusted share: 100,000 x 30 %
    raw = effect_from_estimates(
        survey, "benefit", participants=1, rules=PhillipsRules(adjust_by_confidence=False)
    )
    assert raw.estimate == pytest.approx(30_000.0, rel=1e-9)


def test_onboarding_weeks_to_productivity() -> None:
    """12 -> 9 weeks at $10,000 a month: 3 x 10,000 x 12 / 52 = $6,923.08 per hire (contracts §3)."""
    kpi = {
        "business_kpi": "weeks_to_productivity",
        "unit": "weeks",
        "direction": "decrease",
        "path": "onboarding",
        "rule": "weeks_to_productivity",
        "value_per_unit": "monthly_cost_per_hire",
        "per": "person",
    }
    spec = _spec(kpi, {"reach": 1, "monthly_cost_per_hire": 10_000}, 1_000.0)
    res = compute_roi(spec, EffectInput(kpi="weeks_to_productivity", estimate=9.0 - 12.0), draws=DRAWS)
    assert res.benefit is not None
    assert round(res.benefit, 2) == 6_923.08
    hires = _spec(kpi, {"reach": 40, "monthly_cost_per_hire": 10_000}, 1_000.0)
    res40 = compute_roi(hires, EffectInput(kpi="weeks_to_productivity", estimate=-3.0), draws=DRAWS)
    assert res40.benefit == pytest.approx(40 * 3 * 10_000 * 12 / 52, rel=1e-12)


def test_sales_deal_size_times_margin() -> None:
    """Deal size +4 % on $25,000 deals, 2 deals a rep-month: +$2,000 revenue x 35 % margin x 50 reps x 12."""
    kpi = {
        "business_kpi": "revenue",
        "unit": "USD per rep-month",
        "path": "sales",
        "rule": "revenue_margin",
        "value_per_unit": "contribution_margin",
    }
    spec = _spec(kpi, {"reach": 50, "contribution_margin": 0.35}, 100_000.0, horizon_months=12)
    incremental_revenue = 0.04 * 25_000 * 2
    res = compute_roi(spec, EffectInput(kpi="revenue", estimate=incremental_revenue), draws=DRAWS)
    want = incremental_revenue * 0.35 * 50 * 12
    assert res.benefit == pytest.approx(want, rel=1e-12)
    assert res.roi_pct == pytest.approx((want - 100_000) / 100_000 * 100, rel=1e-12)
    assert res.payback_months == pytest.approx(100_000 / (want / 12), rel=1e-12)
