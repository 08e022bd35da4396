"""Retention estimators (learnroi.attribution.survival) against hand computations and closed forms.

Kaplan–Meier (1958) and Greenwood (1926) are computed by hand on a small table; the Cox (1972) hazard
ratio against a direct maximisation of the partial likelihood (no ties, so Breslow = Efron = exact);
the exit proportion against randomized.difference_in_proportions.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize, stats

from learnroi.attribution import cox_hazard_ratio, difference_in_proportions, exit_proportion, km_retention
from learnroi.core.errors import DataError, UsageError

# arm A: the textbook table; arm B: exits at 2 and 7, censored at 4, 8, 9
T_A = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.0, 6.0]
E_A = [1, 1, 0, 1, 0, 1, 1, 0]
T_B = [2.0, 4.0, 7.0, 8.0, 9.0]
E_B = [1, 0, 1, 0, 0]


def _two_arms() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array(T_A + T_B),
        np.array(E_A + E_B, dtype=float),
        np.array(["A"] * len(T_A) + ["B"] * len(T_B)),
    )


@pytest.mark.parametrize(
    ("horizon", "s_a", "var_a", "s_b", "var_b"),
    [
        # S_A(4) = 7/8 · 6/7 · 4/5 = 0.6; Greenwood Σ d/(n(n − d)) = 1/56 + 1/42 + 1/20
        (4.0, 0.6, 0.36 * (1 / 56 + 1 / 42 + 1 / 20), 0.8, 0.64 * (1 / 20)),
        # S_A(5.5) = 0.6 · 1/3 (two exits among three at risk); S_B(5.5) = 4/5
        (5.5, 0.2, 0.04 * (1 / 56 + 1 / 42 + 1 / 20 + 2 / 3), 0.8, 0.64 * (1 / 20)),
        # before the first exit nothing has happened: S = 1 with zero variance
        (0.5, 1.0, 0.0, 1.0, 0.0),
    ],
)
def test_km_and_greenwood_by_hand(horizon: float, s_a: float, var_a: float, s_b: float, var_b: float) -> None:
    t, e, arm = _two_arms()
    res = km_retention(t, e, arm, horizon=horizon, reference="A")
    rows = {r["arm"]: r for r in res.extra["arms"]}
    assert rows["A"]["retention"] == pytest.approx(s_a)
    assert rows["A"]["std_error"] == pytest.approx(math.sqrt(var_a))
    assert rows["B"]["retention"] == pytest.approx(s_b)
    assert rows["B"]["std_error"] == pytest.approx(math.sqrt(var_b))
    assert res.terms[0].term == "B - A"
    assert res.estimate == pytest.approx(s_b - s_a)
    assert res.std_error == pytest.approx(math.sqrt(var_a + var_b))
    if var_a + var_b > 0:
        lo, hi = res.conf_int()
        assert (lo + hi) / 2 == pytest.approx(s_b - s_a)
        assert hi - lo == pytest.approx(2 * 1.959963984540054 * math.sqrt(var_a + var_b))


def test_km_naive_contrast_and_refusal_when_nobody_reaches_horizon() -> None:
    t, e, arm = _two_arms()
    res = km_retention(t, e, arm, horizon=4.0, reference="A")
    # naive: A stays = 1 − 3/8 exits by month 4, B = 1 − 1/5
    assert res.contrasts[0].estimate == pytest.approx((1 - 1 / 5) - (1 - 3 / 8))
    assert res.identified
    json.dumps(res.to_dict())
    assert {c["arm"] for c in res.extra["curves"]} == {"A", "B"}
    late = km_retention(t, e, arm, horizon=6.5, reference="A")  # arm A's last person leaves follow-up at 6
    assert not late.identified
    assert "'A'" in late.reasons[0]


def test_boolean_arm_names_treatment_and_uses_false_as_reference() -> None:
    t, e, arm = _two_arms()
    res = km_retention(t, e, arm == "B", horizon=4.0)
    assert res.terms[0].term == "treatment"
    assert res.extra["reference"] is False
    assert res.estimate == pytest.approx(0.8 - 0.6)


def test_exit_proportion_matches_difference_in_proportions_without_censoring() -> None:
    rng = np.random.default_rng(3)
    n = 300
    treated = rng.integers(0, 2, n).astype(bool)
    t = rng.exponential(np.where(treated, 40.0, 25.0))
    e = (t <= 18).astype(float)
    t = np.minimum(t, 18.0)  # everyone followed 18 months: no censoring before the 12-month horizon
    res = exit_proportion(t, e, treated, horizon=12.0)
    ref = difference_in_proportions((t <= 12) & (e == 1), treated)
    assert res.identified
    assert res.estimate == pytest.approx(ref.estimate)
    assert res.std_error == pytest.approx(ref.std_error)
    assert res.conf_int() == pytest.approx(ref.conf_int())
    censored = exit_proportion(np.where(treated, np.minimum(t, 6.0), t), e * (~treated | (t <= 6)), treated)
    assert not censored.identified
    assert censored.extra["censored_before_horizon"] > 0
    assert censored.to_dict()["estimate"] is None


def test_exit_proportion_multi_arm_and_cluster() -> None:
    rng = np.random.default_rng(4)
    n = 600
    arm = rng.choice(["control", "digital", "blended"], n)
    team = rng.integers(0, 40, n)
    t = np.full(n, 24.0)
    e = (rng.random(n) < np.where(arm == "blended", 0.1, 0.2)).astype(float)
    t[e == 1] = rng.uniform(0, 24, int(e.sum()))
    res = exit_proportion(t, e, arm, reference="control", cluster=team)
    assert [x.term for x in res.terms] == ["blended - control", "digital - control"]
    keep = arm != "digital"
    left = ((e == 1) & (t <= 12))[keep]
    ref = difference_in_proportions(left, arm[keep] == "blended", cluster=team[keep])
    assert res.estimate == pytest.approx(ref.estimate)
    assert res.std_error == pytest.approx(ref.std_error)


def _partial_loglik(b: float, t: np.ndarray, e: np.ndarray, x: np.ndarray) -> float:
    risk = t[None, :] >= t[:, None]  # risk[i, j]: j still at risk at i's time
    denom = (risk * np.exp(b * x)[None, :]).sum(axis=1)
    return float(((b * x - np.log(denom)) * e).sum())


def test_cox_matches_direct_partial_likelihood() -> None:
    rng = np.random.default_rng(5)
    n = 200
    x = rng.integers(0, 2, n).astype(float)
    T = rng.exponential(1 / np.where(x == 1, 0.5, 1.0))
    C = rng.uniform(0, 3, n)
    t, e = np.minimum(T, C), (T <= C).astype(float)
    res = cox_hazard_ratio(t, e, x.astype(bool))
    opt = optimize.minimize_scalar(
        lambda b: -_partial_loglik(b, t, e, x), bounds=(-5, 5), method="bounded", options={"xatol": 1e-10}
    )
    b = float(opt.x)
    h = 1e-4
    info = (
        -(_partial_loglik(b + h, t, e, x) - 2 * _partial_loglik(b, t, e, x) + _partial_loglik(b - h, t, e, x))
        / h**2
    )
    assert res.estimate == pytest.approx(math.exp(b), rel=1e-5)
    assert res.std_error == pytest.approx(1 / math.sqrt(info), rel=1e-3)
    lo, hi = res.conf_int()
    assert math.log(lo) == pytest.approx(b - 1.959963984540054 / math.sqrt(info), rel=1e-3)
    assert math.log(hi) == pytest.approx(b + 1.959963984540054 / math.sqrt(info), rel=1e-3)
    # Grambsch & Therneau (1994) with g(t) = rank, by brute-force risk sets
    ev = e == 1
    risk = t[None, :] >= t[ev][:, None]
    w = np.exp(b * x)
    mean = (risk * w * x).sum(axis=1) / (risk * w).sum(axis=1)
    V = (risk * w * x * x).sum(axis=1) / (risk * w).sum(axis=1) - mean**2
    g = stats.rankdata(t[ev])
    gc = g - g.mean()
    U = (gc * (x[ev] - mean)).sum()
    var_u = (gc**2 * V).sum() - (gc * V).sum() ** 2 / V.sum()
    assert res.diagnostics[0].name == "proportional_hazards"
    assert res.diagnostics[0].value == pytest.approx(stats.chi2.sf(U**2 / var_u, 1), rel=1e-3)


def test_cox_covariates_cluster_and_multi_arm() -> None:
    rng = np.random.default_rng(6)
    n = 900
    arm = rng.choice(["control", "digital", "blended"], n)
    z = rng.normal(size=n)
    rate = 0.05 * np.exp(0.5 * z) * np.select([arm == "blended", arm == "digital"], [0.5, 0.8], 1.0)
    T, C = rng.exponential(1 / rate), rng.uniform(6, 30, n)
    t, e = np.minimum(T, C), (T <= C).astype(float)
    team = rng.integers(0, 50, n)
    res = cox_hazard_ratio(t, e, arm, reference="control", covariates=z, cluster=team)
    assert [x.term for x in res.terms] == ["blended vs control", "digital vs control"]
    assert res.extra["n_clusters"] == 50
    assert res.extra["n_covariates"] == 1
    plain = cox_hazard_ratio(t, e, arm, reference="control", covariates=z)
    assert res.estimate == pytest.approx(plain.estimate)  # robust covariance leaves the point estimate
    assert res.std_error != pytest.approx(plain.std_error, rel=1e-6)
    assert 0.3 < res.estimate < 0.8


def test_ph_check_flags_crossing_hazards() -> None:
    """Treated people leave early more often and late less often (Weibull shape 0.4 vs exponential)."""
    rng = np.random.default_rng(7)
    n = 2000
    x = rng.integers(0, 2, n).astype(bool)
    T = np.where(x, 20 * rng.weibull(0.4, n), rng.exponential(20, n))
    t, e = np.minimum(T, 36.0), (T <= 36.0).astype(float)
    res = cox_hazard_ratio(t, e, x)
    assert not res.diagnostics[0].passed
    assert "Kaplan-Meier" in res.summary()


def test_no_exits_edge_cases() -> None:
    t = np.array([12.0, 14.0, 20.0, 13.0])
    e = np.zeros(4)
    arm = np.array([True, False, True, False])
    res = km_retention(t, e, arm)
    assert res.estimate == 0.0
    assert res.extra["arms"][0]["retention"] == 1.0
    with pytest.raises(DataError, match="Hint:"):
        cox_hazard_ratio(t, e, arm)


@pytest.mark.parametrize(
    ("time", "event", "arm", "kwargs", "error"),
    [
        ([1.0, -2.0, 3.0, 4.0], [1, 0, 1, 0], [0, 0, 1, 1], {}, DataError),
        ([1.0, np.nan, 3.0, 4.0], [1, 0, 1, 0], [0, 0, 1, 1], {}, DataError),
        ([1.0, 2.0, 3.0, 4.0], [1, 2, 1, 0], [0, 0, 1, 1], {}, DataError),
        ([1.0, 2.0, 3.0, 4.0], [1, 0, 1], [0, 0, 1, 1], {}, DataError),
        ([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0], [0, 0, 0, 1], {}, DataError),
        ([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0], [0, 0, 1, 1], {"horizon": 0.0}, UsageError),
        ([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0], [0, 0, 1, 1], {"reference": 7}, UsageError),
    ],
)
def test_bad_input_raises_with_hint(
    time: list[float], event: list[int], arm: list[int], kwargs: dict[str, object], error: type[Exception]
) -> None:
    for fn in (km_retention, exit_proportion):
        with pytest.raises(error, match="Hint:"):
            fn(time, event, arm, **kwargs)  # type: ignore[operator]
