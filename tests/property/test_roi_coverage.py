"""Monte Carlo ROI interval coverage of a known true ROI (validation-targets.md §5).

A program's true effect theta is known; each replication draws the attribution's estimate from its
sampling distribution N(theta, SE) and runs compute_roi with that estimate and SE; the nominal 95 % ROI
interval must cover the true ROI (computed here from docs/dev/roi-formulas.md, written out as a loop) in
0.95 +/- 2.576 sqrt(0.95 x 0.05 / R) of the replications. The estimates for all replications are drawn in
one vectorized call; each compute_roi call is itself vectorized over its Monte Carlo draws.

What it would catch: an interval that ignores the effect's sampling error (assumption ranges only, or a
point "range") covers about 0 %; 5th-95th percentiles instead of 2.5th-97.5th cover about 90 %; drawing
from SE x sqrt(n) or SE / sqrt(n) covers ~100 % or ~30 %; dropping discounting or decay in the draws
but not in the point estimate shifts the interval off the truth.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from learnroi.core.program import ProgramSpec
from learnroi.roi import EffectInput, compute_roi

R = 1_000
SEED = 20_261_128
DRAWS = 4_000
BAND = 2.576 * math.sqrt(0.95 * 0.05 / R)


def _fixed(v: float) -> dict[str, Any]:
    return {"value": v, "source": "known truth"}


def _spec(kpi: dict[str, Any], assumptions: dict[str, float], cost: float) -> ProgramSpec:
    return ProgramSpec.model_validate(
        {
            "program": {
                "id": "p",
                "name": "P",
                "audience": "a",
                "design": "randomized",
                "primary_kpi": kpi["business_kpi"],
                "horizon_months": 12,
                "evaluation_window_months": 6,
            },
            "kpis": [kpi],
            "assumptions": {k: _fixed(v) for k, v in assumptions.items()},
            "costs": [{"category": "delivery", "amount": cost}],
        }
    )


REVENUE = _spec(
    {"business_kpi": "revenue", "unit": "USD", "path": "s", "rule": "revenue_margin", "value_per_unit": "m"},
    {"reach": 200, "adoption": 0.8, "m": 0.35, "decay_half_life_months": 6, "discount_rate": 0.08},
    300_000.0,
)
ONBOARDING = _spec(
    {
        "business_kpi": "weeks",
        "unit": "weeks",
        "direction": "decrease",
        "path": "o",
        "rule": "weeks_to_productivity",
        "value_per_unit": "monthly",
        "per": "person",
    },
    {"reach": 60, "monthly": 10_000},
    400_000.0,
)


def _true_revenue_roi(theta: float) -> float:
    benefit = sum(
        theta * 0.35 * 160 * (1.0 if m <= 6 else 0.5 ** ((m - 6) / 6)) * 1.08 ** (-m / 12)
        for m in range(1, 13)
    )
    return (benefit - 300_000.0) / 300_000.0 * 100


def _true_onboarding_roi(theta: float) -> float:
    benefit = -theta * 10_000 * 12 / 52 * 60
    return (benefit - 400_000.0) / 400_000.0 * 100


@pytest.mark.slow
@pytest.mark.parametrize(
    ("spec", "kpi", "theta", "se", "truth"),
    [
        (REVENUE, "revenue", 400.0, 150.0, _true_revenue_roi),
        (ONBOARDING, "weeks", -3.0, 0.8, _true_onboarding_roi),
    ],
    ids=["revenue", "onboarding"],
)
def test_roi_interval_covers_the_true_roi(
    spec: ProgramSpec, kpi: str, theta: float, se: float, truth: Any
) -> None:
    true_roi = truth(theta)
    estimates = np.random.default_rng(SEED).normal(theta, se, size=R)
    covered = np.empty(R, dtype=bool)
    widths = np.empty(R)
    for i, est in enumerate(estimates):
        res = compute_roi(
            spec, EffectInput(kpi=kpi, estimate=float(est), std_error=se), draws=DRAWS, seed=SEED + i
        )
        assert res.roi_conf_low is not None
        assert res.roi_conf_high is not None
        covered[i] = res.roi_conf_low <= true_roi <= res.roi_conf_high
        widths[i] = res.roi_conf_high - res.roi_conf_low
    coverage = float(covered.mean())
    assert abs(coverage - 0.95) <= BAND, f"coverage {coverage:.3f} outside 0.95 +/- {BAND:.3f} (R = {R})"
    assert np.median(widths) > 0
