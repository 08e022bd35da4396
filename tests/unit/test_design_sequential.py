"""The always-valid p-value and confidence sequence follow Johari et al. (2017) and Howard et al. (2021).

Checks the mSPRT likelihood ratio against its closed form at one look, the duality between the
p-value and the confidence sequence (0 is excluded exactly when p <= alpha), monotonicity over looks,
the width-optimal mixture at the planned size, and the decisions `sequential_test` reports.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from learnroi.core.errors import DataError, SpecError
from learnroi.design import (
    always_valid,
    difference_in_means,
    mixture_tau2,
    planned_variance,
    sequential_test,
)


def test_one_look_matches_the_closed_form() -> None:
    est, v, tau2 = 0.3, 0.01, 0.05
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * est**2 / (2 * v * (v + tau2)))
    p, lo, hi = always_valid([est], [v], tau2=tau2, alpha=0.05)
    assert p[0] == pytest.approx(min(1.0, 1 / lam))
    radius = math.sqrt(v * (v + tau2) / tau2 * (2 * math.log(20) + math.log((v + tau2) / v)))
    assert (lo[0], hi[0]) == pytest.approx((est - radius, est + radius))


def test_p_value_and_sequence_are_dual_and_monotone() -> None:
    rng = np.random.default_rng(11)
    n = np.arange(20, 401, 20)
    est = 0.15 + rng.normal(0, 1, n.size) * np.sqrt(2 / n)
    v = 2 / n
    tau2 = mixture_tau2(2 / 400, 0.05)
    p, lo, hi = always_valid(est, v, tau2=tau2, alpha=0.05)
    assert (np.diff(p) <= 0).all()
    assert (np.diff(lo) >= 0).all()
    assert (np.diff(hi) <= 0).all()
    # without the running intersection, "0 outside the interval" <=> "p <= alpha" at each look
    p1, lo1, hi1 = zip(
        *(always_valid([e], [vv], tau2=tau2) for e, vv in zip(est, v, strict=True)), strict=True
    )
    excl = np.array([lo_[0] > 0 or hi_[0] < 0 for lo_, hi_ in zip(lo1, hi1, strict=True)])
    assert (excl == (np.array([q[0] for q in p1]) <= 0.05)).all()


def test_mixture_is_width_optimal_at_the_planned_variance() -> None:
    v = 0.004
    tau2 = mixture_tau2(v, 0.05)

    def width(t2: float) -> float:
        return float(always_valid([0.0], [v], tau2=t2)[2][0])

    assert width(tau2) <= min(width(tau2 * 0.7), width(tau2 * 1.4))


def test_sequential_test_decisions_and_table() -> None:
    pv = planned_variance(1.0, 200, 200)
    n = np.array([100, 200, 300, 400])
    est, var = difference_in_means(n / 2, [0.9, 0.9, 0.9, 0.9], 1.0, n / 2, 0.0, 1.0)
    res = sequential_test(est, var, planned_variance=pv, n=n, planned_n=400)
    assert res.looks["reject"].iloc[0]
    assert "look 1" in res.decision
    tidy = res.tidy()
    for col in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "n", "method", "information"):
        assert col in tidy.columns
    assert res.to_dict()["looks"][0]["look"] == 1
    null = sequential_test([0.01, -0.02], [2 / 100, 2 / 150], planned_variance=pv)
    assert null.decision.startswith("continue")
    done = sequential_test([0.01, -0.02], [2 / 100, pv], planned_variance=pv)
    assert done.decision.startswith("planned size reached")
    assert "always-valid" in done.summary()


def test_bad_inputs_raise_with_hint() -> None:
    with pytest.raises(DataError, match="Hint:"):
        sequential_test([0.1, 0.2], [0.01], planned_variance=0.01)
    with pytest.raises(SpecError, match="Hint:"):
        sequential_test([0.1], [0.01], planned_variance=0.01, alpha_interim=0.1)
