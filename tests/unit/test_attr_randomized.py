"""Unit checks of the randomized-pilot estimators: formulas against hand algebra and statsmodels,
error paths with hints, and the randomization checks."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from learnroi.attribution.randomized import (
    crossover_check,
    cuped,
    difference_in_means,
    difference_in_proportions,
    regression_adjusted,
    sample_ratio_test,
)
from learnroi.core.errors import DataError


def _data(seed: int = 1, n: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    team = rng.integers(0, 40, n)
    d = (team % 2 == 0).astype(float)
    pre = rng.normal(10, 2, n)
    y = 2 + 0.8 * pre + 1.5 * d + rng.normal(0, 1, 40)[team] + rng.normal(0, 1, n)
    return y, d, pre, team


def test_difference_in_means_matches_hand_formula() -> None:
    y, d, _, _ = _data()
    res = difference_in_means(y, d)
    y1, y0 = y[d == 1], y[d == 0]
    assert res.estimate == pytest.approx(y1.mean() - y0.mean())
    assert res.std_error == pytest.approx(np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0)))
    lo, hi = res.conf_int()
    assert lo < res.estimate < hi
    assert set(res.tidy().columns) >= {"term", "estimate", "std_error", "conf_low", "conf_high", "p_value"}


def test_cluster_robust_uses_cluster_count_and_widens() -> None:
    y, d, _, team = _data()
    naive = difference_in_means(y, d)
    clus = difference_in_means(y, d, cluster=team)
    assert clus.estimate == pytest.approx(naive.estimate)
    assert clus.extra["n_clusters"] == 40
    assert clus.std_error > naive.std_error  # team shocks are positively correlated within arm
    fit = sm.OLS(y, sm.add_constant(d)).fit(cov_type="cluster", cov_kwds={"groups": team})
    assert clus.std_error == pytest.approx(fit.bse[1])


def test_cuped_reduces_variance_and_matches_ancova_point() -> None:
    y, d, pre, _ = _data(2)
    raw = difference_in_means(y, d)
    res = cuped(y, d, pre)
    assert res.std_error < raw.std_error
    assert res.extra["variance_reduction"] > 0.3
    pre_missing = pre.copy()
    pre_missing[:50] = np.nan
    part = cuped(y, d, pre_missing)
    assert part.extra["share_with_pre"] == pytest.approx(350 / 400)
    assert raw.std_error > part.std_error > res.std_error * 0.99


def test_lin_regression_has_hc2() -> None:
    y, d, pre, _ = _data(3)
    res = regression_adjusted(y, d, pre)
    zc = pre - pre.mean()
    X = np.column_stack([np.ones_like(y), d, zc, zc * d])
    fit = sm.OLS(y, X).fit(cov_type="HC2")
    assert res.estimate == pytest.approx(fit.params[1])
    assert res.std_error == pytest.approx(fit.bse[1])


def test_proportions() -> None:
    y = np.r_[np.ones(30), np.zeros(70), np.ones(20), np.zeros(80)]
    d = np.r_[np.ones(100), np.zeros(100)]
    res = difference_in_proportions(y, d)
    assert res.estimate == pytest.approx(0.1)
    assert res.std_error == pytest.approx(np.sqrt(0.3 * 0.7 / 100 + 0.2 * 0.8 / 100))
    with pytest.raises(DataError, match="0/1"):
        difference_in_proportions(y * 2, d)


def test_srm_and_crossover() -> None:
    assert sample_ratio_test([5000, 5000], [0.5, 0.5]).passed
    bad = sample_ratio_test([5000, 4600], [0.5, 0.5])
    assert not bad.passed
    assert bad.value is not None
    assert bad.value < 0.001
    arm = np.r_[np.ones(100), np.zeros(100)]
    took = np.r_[np.ones(90), np.zeros(10), np.ones(20), np.zeros(80)]
    diag = crossover_check(arm, took)
    assert diag.value == pytest.approx(0.2)
    assert not diag.passed


def test_errors_carry_hints() -> None:
    with pytest.raises(DataError, match="Hint:"):
        difference_in_means([1.0, 2.0], [1, 1])
    with pytest.raises(DataError, match="missing"):
        difference_in_means([1.0, np.nan, 3.0, 4.0], [1, 0, 1, 0])
    with pytest.raises(DataError, match="planned"):
        sample_ratio_test([10, 10], [1.0])
