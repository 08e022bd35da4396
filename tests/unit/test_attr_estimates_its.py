"""Unit checks of estimate-based isolation (Phillips), interrupted time series and mediation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from learnroi.attribution.estimates import (
    estimate_isolation,
    estimates_from_frame,
    isolate_benefit,
    phillips_claims,
)
from learnroi.attribution.its import its, segmented_regression
from learnroi.attribution.mediation import mediation
from learnroi.core.errors import DataError


def test_phillips_isolation_arithmetic() -> None:
    """validation-targets §4: $100,000 x 30 % x 90 % = $27,000."""
    assert isolate_benefit(100_000, 0.30, 0.90) == pytest.approx(27_000)
    with pytest.raises(DataError, match="Hint:"):
        isolate_benefit(100_000, 30, 0.9)


def test_non_respondents_count_zero_and_extremes_are_excluded() -> None:
    imp = np.array([10.0, 12, 8, 11, 9, 500])  # 500 is an extreme claim
    share = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.9])
    conf = np.array([0.8, 0.8, 0.8, 0.8, 0.8, 1.0])
    res = estimate_isolation(imp, share, conf, n_participants=10)
    assert res.estimate == pytest.approx((10 + 12 + 8 + 11 + 9) * 0.4 / 10)
    assert res.extra["n_used"] == 5
    assert res.extra["credibility"] == "least"
    assert res.design == "estimates"
    assert any("least credible" in d.note for d in res.diagnostics)
    bad_share = estimate_isolation(np.array([10.0, 10]), np.array([1.5, 0.5]), np.array([1.0, 1.0]))
    assert bad_share.estimate == pytest.approx(5 / 2)


def test_estimates_from_survey_frame() -> None:
    df = pd.DataFrame(
        {
            "program_id": ["p", "p", "p", "q"],
            "respondent_role": ["participant", "participant", "manager", "participant"],
            "kpi": ["revenue"] * 4,
            "improvement": [100.0, 200, 300, 400],
            "share_attributed": [0.5, 0.5, 0.5, 0.5],
            "confidence": [1.0, 0.5, 1.0, 1.0],
        }
    )
    res = estimates_from_frame(df, kpi="revenue", program_id="p", n_participants=4)
    assert res.estimate == pytest.approx((50 + 50) / 4)
    with pytest.raises(DataError, match="surveys"):
        estimates_from_frame(df, kpi="errors", program_id="p")


def test_one_rule_set_lowest_claim_one_sided_fence() -> None:
    """The Phillips rules of the module docstring: the lowest claim per person counts, a claim above
    Q3 + 3 IQR of the per-person claims counts zero, an unusually *low* claim is kept (dropping it would
    raise the estimate), and the fence still screens when most claims are equal (a MAD rule would not)."""
    imp = np.array([100.0, 50, 100, 100, 100, 100, 100_000, -300])
    share = np.full(8, 0.5)
    conf = np.array([0.8, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8])
    who = ["E1", "E1", "E2", "E3", "E4", "E5", "E6", "E7"]
    pc = phillips_claims(imp, share, conf, subject=who, n_participants=10)
    # E1 = min(40, 25); E2..E5 = 40; E6 = 40,000 is far out (counted 0); E7 = -120 kept; 3 non-respondents
    want = np.array([25.0, 40, 40, 40, 40, 0, -120, 0, 0, 0])
    np.testing.assert_allclose(pc.claims, want)
    assert (pc.n_people, pc.n_extreme, pc.n_used, pc.n_non_respondents) == (7, 1, 6, 3)
    assert pc.se == pytest.approx(want.std(ddof=1) / np.sqrt(10))
    same = np.array([40.0] * 5 + [41.0])
    assert phillips_claims(same, np.ones(6), np.ones(6)).n_extreme == 1  # MAD = 0, IQR fence still screens
    with pytest.raises(DataError, match="participants"):
        phillips_claims(imp, share, conf, subject=who, n_participants=3)


def test_attribution_and_roi_agree_on_one_survey() -> None:
    """The design chooser's labelled fallback and the estimate-based ROI read the same survey the same
    way (they used to apply different extreme rules and only the ROI took the lowest claim per person)."""
    from learnroi.roi import effect_from_estimates

    survey = pd.DataFrame(
        {
            "program_id": ["p"] * 7,
            "subject_id": ["E1", "E1", "E2", "E3", "E4", "E5", "E6"],
            "kpi": ["k"] * 7,
            "improvement": [100.0, 50, 100, 100, 100, 100, 100_000],
            "share_attributed": [0.5] * 7,
            "confidence": [0.8, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8],
        }
    )
    attr = estimates_from_frame(survey, kpi="k", program_id="p", n_participants=10)
    roi = effect_from_estimates(survey, "k", participants=10, program="p")
    assert attr.estimate == pytest.approx(roi.estimate)
    assert attr.estimate == pytest.approx((25 + 4 * 40) / 10)
    assert attr.terms[0].std_error == pytest.approx(roi.std_error)
    assert attr.extra["n_respondents"] == 6


def test_segmented_regression_matches_statsmodels_hac() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(40, dtype=float)
    y = 5 + 0.1 * t + (t >= 24) * (2 + 0.2 * (t - 24)) + rng.normal(size=40)
    res = segmented_regression(y, t, start=24, errors="newey-west", maxlags=2)
    post = (t >= 24).astype(float)
    X = np.column_stack([np.ones(40), t - 24, post, (t - 24) * post])
    fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    level = res.tidy().set_index("term").loc["level change"]
    assert level.estimate == pytest.approx(fit.params[2])
    assert level.std_error == pytest.approx(fit.bse[2])
    assert res.estimate == pytest.approx(fit.params[2] + fit.params[3] * 7.5)
    ar1 = segmented_regression(y, t, start=24)
    assert ar1.extra["errors"] == "ar1"
    assert abs(ar1.estimate - res.estimate) < 1.0


def test_its_on_a_frame_and_short_series_refused() -> None:
    periods = pd.date_range("2024-01-01", periods=20, freq="MS")
    df = pd.DataFrame({"period": np.repeat(periods, 3), "v": np.tile([1.0, 2.0, 3.0], 20)})
    df.loc[df.period >= "2025-01-01", "v"] += 4
    res = its(df, outcome="v", period="period", start="2025-01-01")
    assert res.terms[1].estimate == pytest.approx(4.0)
    with pytest.raises(DataError, match="periods"):
        segmented_regression(np.arange(5.0), np.arange(5.0), start=4)


def test_mediation_point_estimates_equal_the_two_regressions() -> None:
    rng = np.random.default_rng(2)
    n = 400
    d = rng.integers(0, 2, n).astype(float)
    m = 0.5 * d + rng.normal(size=n)
    y = 0.3 * d + 0.7 * m + rng.normal(size=n)
    res = mediation(y, d, m, n_boot=100, seed=1)
    a = sm.OLS(m, sm.add_constant(d)).fit().params[1]
    fit_y = sm.OLS(y, np.column_stack([np.ones(n), d, m])).fit().params
    assert res.terms[0].estimate == pytest.approx(a * fit_y[2])
    assert res.terms[1].estimate == pytest.approx(fit_y[1])
    assert res.terms[2].estimate == pytest.approx(a * fit_y[2] + fit_y[1])
    inter = mediation(y, d, m, n_boot=100, seed=1, interaction=True)
    assert inter.terms[2].estimate == pytest.approx(res.terms[2].estimate, abs=0.05)
    with pytest.raises(DataError, match="same treatment"):
        mediation(y, np.ones(n), m)


def test_prais_winsten_equals_gls_with_the_ar1_covariance() -> None:
    """The vectorized Prais–Winsten fit at a given ρ is GLS with Σ_ij = ρ^|i−j| / (1 − ρ²) (statsmodels)."""
    from learnroi.attribution.its import _design, _prais_winsten

    rng = np.random.default_rng(4)
    t = np.arange(30, dtype=float)
    X, _ = _design(t, 20.0)
    y = X @ np.array([3.0, 0.1, 1.0, 0.2]) + rng.normal(size=30)
    rho = 0.55
    b, inv, s2 = _prais_winsten(y[None], X, np.array([rho]))
    sigma = rho ** np.abs(t[:, None] - t[None, :]) / (1 - rho**2)
    ref = sm.GLS(y, X, sigma=sigma).fit()
    np.testing.assert_allclose(b[0], ref.params, rtol=1e-10)
    np.testing.assert_allclose(inv[0] * s2[0], ref.cov_params(), rtol=1e-8)


def test_its_ar1_is_seeded_and_its_rho_is_less_biased_than_the_residuals() -> None:
    """Same seed, same interval; the point estimate does not depend on the seed. On a strongly
    autocorrelated series the median-unbiased ρ sits above the raw residual autocorrelation."""
    rng = np.random.default_rng(9)
    t = np.arange(24, dtype=float)
    e = np.zeros(24)
    for j in range(1, 24):
        e[j] = 0.7 * e[j - 1] + rng.normal()
    y = 5 + 0.1 * t + (t >= 16) * 2.0 + e
    a, b = segmented_regression(y, t, start=16, seed=1), segmented_regression(y, t, start=16, seed=1)
    c = segmented_regression(y, t, start=16, seed=2)
    assert a.conf_int() == b.conf_int()
    assert a.estimate == c.estimate
    assert a.conf_int() != c.conf_int()
    assert a.extra["rho"] > a.extra["rho_residual"]
