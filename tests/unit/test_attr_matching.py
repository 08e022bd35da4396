"""Unit checks of matching, weighting, balance and overlap on small hand-made data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from learnroi.attribution.matching import (
    aipw,
    design_matrix,
    fit_propensity,
    ipw,
    match_att,
    matched_cohort,
    nearest_neighbor_match,
)
from learnroi.attribution.overlap import balance, overlap, trim_mask
from learnroi.core.errors import LearnroiError


def test_tie_goes_to_first_control_in_data_order() -> None:
    score = np.array([0.5, 0.4, 0.6, 0.4, 0.6, 0.9])
    d = np.array([1, 0, 0, 0, 0, 1])
    m = nearest_neighbor_match(score, d)
    assert m.control_index[0, 0] == 1  # 0.4 and 0.6 are equally far: unit 1 comes first
    assert m.control_index[1, 0] == 2  # 0.9: nearest is 0.6, units 2 and 4 tie -> 2
    w = m.weights(len(score))
    assert w.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0, 1.0]


def test_k_neighbours_caliper_and_without_replacement() -> None:
    score = np.array([0.50, 0.52, 0.47, 0.90, 0.30, 0.51])
    d = np.array([1, 0, 0, 1, 0, 1])
    k2 = nearest_neighbor_match(score, d, k=2)
    assert sorted(k2.control_index[0].tolist()) == [1, 2]
    cal = nearest_neighbor_match(score, d, caliper=0.5)  # 0.5 SD of the score ≈ 0.1
    assert cal.control_index[1, 0] == -1  # 0.90 has no control within the caliper
    assert cal.matched.tolist() == [True, False, True]
    nr = nearest_neighbor_match(score, d, replace=False)
    used = nr.control_index[nr.control_index >= 0]
    assert len(set(used.tolist())) == len(used)


def test_match_att_is_mean_of_matched_differences() -> None:
    score = np.array([0.2, 0.21, 0.8, 0.79, 0.5, 0.52])
    d = np.array([1, 0, 1, 0, 0, 1])
    y = np.array([5.0, 3.0, 9.0, 6.0, 1.0, 4.0])
    att, se, n1 = match_att(y, score, nearest_neighbor_match(score, d))
    assert att == pytest.approx(np.mean([5 - 3, 9 - 6, 4 - 1]))
    assert n1 == 3
    assert se > 0


def _ai2016_by_loops(y: np.ndarray, d: np.ndarray, p: np.ndarray, Z: np.ndarray, tau: float) -> float:
    """Abadie & Imbens (2016) Theorem 2 terms unit by unit (L = 2 covariance neighbours, M = 1)."""
    n, n1 = len(y), d.sum()
    f = p * (1 - p)
    info = sum(f[i] * np.outer(Z[i], Z[i]) for i in range(n)) / n
    c_t, tau_theta = np.zeros(Z.shape[1]), np.zeros(Z.shape[1])
    for i in range(n):
        covs, mus = {}, {}
        for arm in (1, 0):
            idx = np.flatnonzero(d == arm)
            near = idx[np.argsort(np.abs(p[idx] - p[i]), kind="stable")[:2]]
            covs[arm] = np.cov(Z[near].T, y[near])[-1, :-1]
            mus[arm] = y[i] if d[i] == arm else y[near[0]]
        c_t += f[i] * (covs[1] + p[i] / (1 - p[i]) * covs[0]) / n1
        tau_theta += Z[i] * f[i] * (mus[1] - mus[0] - tau) / n1
    return float(-c_t @ np.linalg.solve(info, c_t) + tau_theta @ np.linalg.solve(info, tau_theta)) / n


def test_ai2016_se_matches_a_unit_by_unit_computation() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 2))
    d = rng.random(300) < 1 / (1 + np.exp(-(0.3 + x[:, 0] - 0.5 * x[:, 1])))
    y = x[:, 0] + x[:, 1] + (2 + x[:, 0]) * d + rng.normal(size=300)
    fit = fit_propensity(x, d)
    mt = nearest_neighbor_match(fit.score, d)
    tau, se06, _ = match_att(y, fit.score, mt)
    tau16, se16, _ = match_att(y, fit.score, mt, fit=fit)  # ai2016 is the default with a fit
    assert tau16 == tau
    expected = se06**2 + _ai2016_by_loops(y, d.astype(int), fit.score, fit.design, tau)
    assert se16 == pytest.approx(np.sqrt(expected), rel=1e-10)
    assert match_att(y, fit.score, mt, fit=fit, se="ai2006")[1] == se06
    with pytest.raises(LearnroiError, match="Abadie"):
        match_att(y, fit.score, nearest_neighbor_match(fit.score, d, caliper=1e-6), fit=fit)
    with pytest.raises(LearnroiError, match="se must be one of"):
        match_att(y, fit.score, mt, se="bootstrap")  # type: ignore[arg-type]


def test_propensity_matches_statsmodels_and_converges() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)) * [1, 100, 0.01]  # badly scaled on purpose
    d = rng.random(500) < 1 / (1 + np.exp(-(X[:, 0] + X[:, 1] / 100)))
    fit = fit_propensity(X, d)
    ref = sm.Logit(d.astype(float), sm.add_constant(X)).fit(disp=0)
    assert np.allclose(fit.score, ref.predict(sm.add_constant(X)), atol=1e-8)
    assert fit.converged
    assert not fit.separation


def test_separation_is_flagged() -> None:
    x = np.arange(20, dtype=float)
    fit = fit_propensity(x, x >= 10)
    assert fit.separation


def test_ipw_and_aipw_on_a_randomized_sample_equal_the_difference_in_means() -> None:
    rng = np.random.default_rng(1)
    d = np.r_[np.ones(100), np.zeros(100)]
    y = 1 + 2 * d + rng.normal(size=200)
    x = np.zeros((200, 1))
    fit = fit_propensity(np.c_[rng.normal(size=200)] * 0, d)
    diff = y[d == 1].mean() - y[d == 0].mean()
    assert ipw(y, d, fit)[0] == pytest.approx(diff)
    assert aipw(y, d, x, fit)[0] == pytest.approx(diff)
    assert ipw(y, d, fit, estimand="ATE")[0] == pytest.approx(diff)


def test_balance_and_overlap_and_trim() -> None:
    X = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 1, 0, 0, 1, 0]})
    d = np.array([1, 1, 1, 0, 0, 0])
    tab = balance(X, d, np.ones(6))
    sd_a = np.sqrt((1.0 + 1.0) / 2)
    assert tab.loc[0, "smd_before"] == pytest.approx((1 - 4) / sd_a)
    assert tab.loc[0, "smd_after"] == pytest.approx(tab.loc[0, "smd_before"])
    score = np.array([0.95, 0.5, 0.4, 0.3, 0.2, 0.45])
    diag = overlap(score, d)
    assert diag[0].value == pytest.approx(2 / 3)  # 0.95 and 0.5 lie above the controls' 0.45
    assert not diag[0].passed
    assert trim_mask(score, 0.1).tolist() == [False, True, True, True, True, True]


def test_design_matrix_dummies() -> None:
    df = pd.DataFrame({"role": ["a", "b", "c", "a"], "t": [1, 2, 3, 4]})
    X = design_matrix(df, ["role", "t"])
    assert list(X.columns) == ["role_b", "role_c", "t"]


def test_matched_cohort_refuses_on_imbalance_and_reports_balance() -> None:
    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=n)
    d = rng.random(n) < 1 / (1 + np.exp(-1.5 * x))
    y = 2 * x + 1.0 * d + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "d": d, "x": x, "role": rng.choice(["a", "b"], n)})
    res = matched_cohort(df, outcome="y", treated="d", covariates=["x", "role"])
    assert res.identified
    assert abs(res.estimate - 1.0) < 4 * res.std_error
    assert {r["covariate"] for r in res.extra["balance"]} == {"x", "role_b"}
    assert "balance_max_smd" in {dg.name for dg in res.diagnostics}
    strict = matched_cohort(df, outcome="y", treated="d", covariates=["x"], method="nn", smd_threshold=1e-6)
    assert not strict.identified
    assert any("SMD" in r for r in strict.reasons)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_vectorized_matching_equals_brute_force(k: int) -> None:
    """Against an O(n_t x n_c) brute force: nearest by distance, ties to the first control in data order,
    on scores rounded to force many exact ties."""
    rng = np.random.default_rng(k)
    score = np.round(rng.random(300), 2)
    d = rng.random(300) < 0.3
    m = nearest_neighbor_match(score, d, k=k)
    t_idx, c_idx = np.flatnonzero(d), np.flatnonzero(~d)
    dist = np.abs(score[t_idx][:, None] - score[c_idx][None, :])
    order = np.lexsort((np.broadcast_to(c_idx, dist.shape), dist), axis=1)[:, :k]
    np.testing.assert_array_equal(m.control_index, c_idx[order])


def _stacked_sandwich_se(y: np.ndarray, d: np.ndarray, X: np.ndarray, Z: np.ndarray, estimand: str) -> float:
    """The AIPW SE from first principles: every estimating equation (logit score, the two OLS normal
    equations, the normalized weighted means, the regression mean) stacked, the Jacobian A by central
    differences, V = A⁻¹ B A⁻ᵀ / n (Lunceford & Davidian 2004), and the delta method for τ."""
    n, q, k = len(y), Z.shape[1], X.shape[1]

    def moments(theta: np.ndarray) -> np.ndarray:
        g, b1, b0, mu = theta[:q], theta[q : q + k], theta[q + k : q + 2 * k], theta[q + 2 * k :]
        p = 1 / (1 + np.exp(-Z @ g))
        m1, m0 = X @ b1, X @ b0
        cols = [Z * (d - p)[:, None], X * (d * (y - m1))[:, None], X * ((1 - d) * (y - m0))[:, None]]
        if estimand == "ATE":
            a1, a0 = d / p, (1 - d) / (1 - p)
            cols += [a1 * (y - m1 - mu[0]), a0 * (y - m0 - mu[1]), m1 - m0 - mu[2]]
        else:
            cols += [d * (y - m0 - mu[0]), (1 - d) * p / (1 - p) * (y - m0 - mu[1])]
        return np.column_stack(cols)

    g = sm.Logit(d, Z).fit(disp=0, tol=1e-14, maxiter=100, method="newton").params
    b1 = np.linalg.lstsq(X[d == 1], y[d == 1], rcond=None)[0]
    b0 = np.linalg.lstsq(X[d == 0], y[d == 0], rcond=None)[0]
    p = 1 / (1 + np.exp(-Z @ g))
    if estimand == "ATE":
        a1, a0 = d / p, (1 - d) / (1 - p)
        mu = [a1 @ (y - X @ b1) / a1.sum(), a0 @ (y - X @ b0) / a0.sum(), np.mean(X @ (b1 - b0))]
    else:
        w0 = (1 - d) * p / (1 - p)
        mu = [d @ (y - X @ b0) / d.sum(), w0 @ (y - X @ b0) / w0.sum()]
    theta = np.r_[g, b1, b0, mu]
    G = moments(theta)
    assert np.abs(G.mean(axis=0)).max() < 1e-8  # theta solves every equation
    A = np.empty((len(theta), len(theta)))
    for j in range(len(theta)):
        h = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += h
        down[j] -= h
        A[:, j] = (moments(up).mean(axis=0) - moments(down).mean(axis=0)) / (2 * h)
    V = np.linalg.solve(A, G.T @ G / n) @ np.linalg.inv(A).T / n
    grad = np.zeros(len(theta))
    grad[q + 2 * k :] = [1.0, -1.0, 1.0][: len(mu)]
    return float(np.sqrt(grad @ V @ grad))


@pytest.mark.parametrize("estimand", ["ATT", "ATE"])
def test_aipw_se_is_the_stacked_m_estimation_sandwich(estimand: str) -> None:
    """The wrong outcome model (x1² only) makes the nuisance terms matter: the analytic SE must equal
    the numerically differentiated sandwich (the coverage consequence: tests/recovery)."""
    rng = np.random.default_rng(5)
    n = 400
    x = rng.normal(size=(n, 2))
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))).astype(float)
    y = 1 + 1.5 * x[:, 0] + x[:, 1] + (2 + 0.5 * x[:, 0]) * d + rng.normal(size=n)
    fit = fit_propensity(x, d)
    _, se, _ = aipw(y, d, x[:, :1] ** 2, fit, estimand=estimand)  # type: ignore[arg-type]
    expected = _stacked_sandwich_se(y, d, np.c_[np.ones(n), x[:, :1] ** 2], sm.add_constant(x), estimand)
    assert se == pytest.approx(expected, rel=1e-6)
