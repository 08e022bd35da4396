"""Unit checks of estimate-based isolation (Phillips), interrupted time series and mediation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from learnroi.attribution.estimates import estimate_isolation, estimates_from_frame, isolate_benefit
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
