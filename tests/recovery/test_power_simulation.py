"""Simulated pilots at the size `plan_power` computes reach the power it states (validation-targets §5).

Each case simulates R = 2,000 pilots at once (one array; seeds fixed below, never changed to pass) at the
computed size, analyses them the way the plan pre-registers, and checks that the share of rejections lies
within 3 points + 2.576 Monte Carlo SEs of the stated power. What each case would catch:

* unequal allocation: a formula that ignores the split (sizes as if 50/50) gives 61 % power, not 80 %,
  at a 1:4 split;
* CUPED: shrinking the variance by (1 - rho) instead of (1 - rho^2) at rho = 0.7 gives 58 % power; not
  shrinking it at all asks for twice the people (checked: n < 0.55 x the unadjusted n);
* cluster randomization: ignoring the design effect (ICC 0.05, m = 20: DE 1.95) gives 49 % power;
* proportions: the normal formula with p0 (1 - p0) for both arms at p0 = 0.10, +4 points gives 74 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from learnroi.design import plan_power, power_from_std_effect

R = 2_000
SEEDS = {"allocation": 20251101, "cuped": 20251102, "cluster": 20251103, "proportion": 20251104}


def band(stated: float) -> float:
    """Pass band around the stated power: 3 points + 2.576 Monte Carlo standard errors (validation-targets §5)."""
    return 0.03 + 2.576 * math.sqrt(stated * (1 - stated) / R)


def pooled_t_reject(y1: np.ndarray, y0: np.ndarray, alpha: float, df_adjust: int = 0) -> np.ndarray:
    """Two-sided pooled-variance t-test per row (replications on axis 0)."""
    n1, n0 = y1.shape[1], y0.shape[1]
    sp2 = ((n1 - 1) * y1.var(axis=1, ddof=1) + (n0 - 1) * y0.var(axis=1, ddof=1)) / (n1 + n0 - 2)
    t = (y1.mean(axis=1) - y0.mean(axis=1)) / np.sqrt(sp2 * (1 / n1 + 1 / n0))
    return np.asarray(2 * stats.t.sf(np.abs(t), n1 + n0 - 2 - df_adjust) <= alpha)


@pytest.mark.slow
def test_unequal_allocation_mean_kpi() -> None:
    res = plan_power(kpi="revenue", kind="mean", effect=250.0, baseline=10_000, sd=1_000.0, allocation=0.2)
    rng = np.random.default_rng(SEEDS["allocation"])
    y1 = rng.normal(250.0, 1_000.0, (R, res.n_treatment))
    y0 = rng.normal(0.0, 1_000.0, (R, res.n_control))
    simulated = pooled_t_reject(y1, y0, 0.05).mean()
    stated = float(power_from_std_effect(0.25, res.n_required, allocation=0.2))
    assert stated >= 0.8
    assert abs(simulated - stated) <= band(stated), (simulated, stated)


@pytest.mark.slow
def test_cuped_adjusted_mean_kpi() -> None:
    rho, sd, effect = 0.7, 1_000.0, 150.0
    res = plan_power(kpi="revenue", kind="mean", effect=effect, baseline=10_000, sd=sd, rho=rho)
    n1, n0 = res.n_treatment, res.n_control
    rng = np.random.default_rng(SEEDS["cuped"])
    x = rng.normal(0.0, sd, (R, n1 + n0))
    y = rho * x + math.sqrt(1 - rho**2) * rng.normal(0.0, sd, (R, n1 + n0))
    y[:, :n1] += effect
    # CUPED (Deng et al. 2013): theta = pooled within-arm cov(x, y) / var(x); analyse y - theta x.
    xc = np.concatenate(
        [x[:, :n1] - x[:, :n1].mean(1, keepdims=True), x[:, n1:] - x[:, n1:].mean(1, keepdims=True)], 1
    )
    yc = np.concatenate(
        [y[:, :n1] - y[:, :n1].mean(1, keepdims=True), y[:, n1:] - y[:, n1:].mean(1, keepdims=True)], 1
    )
    theta = (xc * yc).sum(1, keepdims=True) / (xc**2).sum(1, keepdims=True)
    adj = y - theta * x
    simulated = pooled_t_reject(adj[:, :n1], adj[:, n1:], 0.05, df_adjust=1).mean()
    d = effect / (sd * math.sqrt(1 - rho**2))
    stated = float(power_from_std_effect(d, res.n_required))
    assert (
        res.n_required < plan_power(kpi="r", kind="mean", effect=effect, baseline=1, sd=sd).n_required * 0.55
    )
    assert abs(simulated - stated) <= band(stated), (simulated, stated)


@pytest.mark.slow
def test_cluster_randomized_mean_kpi() -> None:
    m, icc, sd, effect = 20, 0.05, 1.0, 0.25
    res = plan_power(kpi="k", kind="mean", effect=effect, baseline=0, sd=sd, icc=icc, cluster_size=m)
    assert res.clusters_required is not None
    k1, k0 = res.n_treatment // m, res.n_control // m
    rng = np.random.default_rng(SEEDS["cluster"])
    sb, sw = math.sqrt(icc) * sd, math.sqrt(1 - icc) * sd

    def arm(k: int, shift: float) -> np.ndarray:
        people = rng.normal(0, sw, (R, k, m)) + rng.normal(0, sb, (R, k, 1)) + shift
        return people.mean(axis=2)  # analysis on cluster means (Donner & Klar 2000)

    simulated = pooled_t_reject(arm(k1, effect), arm(k0, 0.0), 0.05).mean()
    d = effect / (sd * math.sqrt(res.design_effect))
    stated = float(power_from_std_effect(d, res.n_required, units_per_df=m))
    assert stated >= 0.8
    assert abs(simulated - stated) <= band(stated), (simulated, stated)


@pytest.mark.slow
def test_proportion_kpi() -> None:
    p0, effect = 0.10, 0.04
    res = plan_power(kpi="win_rate", kind="proportion", effect=effect, baseline=p0)
    rng = np.random.default_rng(SEEDS["proportion"])
    n1, n0 = res.n_treatment, res.n_control
    x1 = rng.binomial(n1, p0 + effect, R)
    x0 = rng.binomial(n0, p0, R)
    p1h, p0h = x1 / n1, x0 / n0
    pool = (x1 + x0) / (n1 + n0)
    z = (p1h - p0h) / np.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n0))  # the usual pooled two-proportion test
    simulated = (2 * stats.norm.sf(np.abs(z)) <= 0.05).mean()
    h = 2 * math.asin(math.sqrt(p0 + effect)) - 2 * math.asin(math.sqrt(p0))
    stated = float(power_from_std_effect(h, res.n_required, test="z"))
    assert abs(simulated - stated) <= band(stated), (simulated, stated)
