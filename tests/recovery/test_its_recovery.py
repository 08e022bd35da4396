"""Recovery of a known level-and-slope change by the interrupted time series (validation-targets §5).

R = 500 series, seed fixed below: 60 months, the program starts in month 36, AR(1) errors (ρ = 0.3),
a pre-trend of 0.05 per month, a level change of 2 and a slope change of 0.1 per month. Truth: the
average post-period gap = 2 + 0.1·mean(months since start) = 3.15.

Bias rule: |bias| ≤ max(0.1·mean SE, 3·MC SE). Coverage: the §5 band at R = 500 is [0.925, 0.975],
asserted for the default (AR(1) GLS at a bias-corrected ρ). What it would catch: Newey–West HAC
intervals, which the issue first asked for, cover only ~85 % here (asserted below the band: that is why
they are not the default); plain iterated FGLS covers ~91 %. Recorded, not hidden: at ρ = 0.6 the
default covers ~91 % too (docs/explanation/methods/its.md). The naive before/after contrast
(post mean − pre mean, which ignores the pre-trend) is biased by ~+1.2 at the same seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from learnroi.attribution.its import segmented_regression

R = 500
T, T0, RHO = 60, 36, 0.3
SEED = 360
COVER_LO = 0.95 - 2.576 * math.sqrt(0.95 * 0.05 / R)
COVER_HI = 0.95 + 2.576 * math.sqrt(0.95 * 0.05 / R)


@pytest.fixture(scope="module")
def series() -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(SEED)
    t = np.arange(T, dtype=float)
    u = rng.normal(size=(R, T))
    e = np.empty((R, T))
    e[:, 0] = u[:, 0] / math.sqrt(1 - RHO**2)
    for j in range(1, T):  # the AR(1) recursion runs over 60 months, vectorized over replications
        e[:, j] = RHO * e[:, j - 1] + u[:, j]
    post = t >= T0
    y = 10 + 0.05 * t + post * (2 + 0.1 * (t - T0)) + e
    truth = 2 + 0.1 * float((t[post] - T0).mean())
    return y, t, truth


def _fit(y: np.ndarray, t: np.ndarray, errors: str) -> np.ndarray:
    rows = []
    for r in range(R):
        res = segmented_regression(y[r], t, start=T0, errors=errors)  # type: ignore[arg-type]
        lo, hi = res.conf_int()
        rows.append((res.estimate, res.std_error, lo, hi))
    return np.array(rows)


@pytest.mark.slow
def test_its_recovers_the_post_period_effect(series: tuple[np.ndarray, np.ndarray, float]) -> None:
    y, t, truth = series
    ar1 = _fit(y, t, "ar1")
    nw = _fit(y, t, "newey-west")
    for out in (ar1, nw):
        err = out[:, 0] - truth
        assert abs(err.mean()) <= max(0.1 * out[:, 1].mean(), 3 * err.std(ddof=1) / math.sqrt(R))
    cover_ar1 = np.mean((ar1[:, 2] <= truth) & (truth <= ar1[:, 3]))
    cover_nw = np.mean((nw[:, 2] <= truth) & (truth <= nw[:, 3]))
    assert COVER_LO <= cover_ar1 <= COVER_HI, cover_ar1
    assert cover_nw < COVER_LO, cover_nw


@pytest.mark.slow
def test_naive_before_after_fails_at_the_same_seeds(series: tuple[np.ndarray, np.ndarray, float]) -> None:
    y, t, truth = series
    naive = y[:, t >= T0].mean(axis=1) - y[:, t < T0].mean(axis=1)
    assert naive.mean() - truth > 1.0
