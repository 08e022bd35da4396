"""Interrupted time series: segmented regression with a level and a slope change at the program start,
with AR(1) GLS or Newey–West (HAC) standard errors from statsmodels.

y_t = b0 + b1·t + b2·post_t + b3·(t − t0)·post_t + e_t. The headline effect is the average gap between
the observed post-period series and the extrapolated pre-period trend, b2 + b3·mean(t − t0 | post).

Errors: ``"ar1"`` (default) is feasible GLS with AR(1) errors (statsmodels ``GLSAR``) at a
bias-corrected ρ: the lag-1 autocorrelation of the OLS residuals, plus (1 + 3ρ)/T (Kendall 1954, the
AR(1) small-sample bias) and k/T for the k fitted coefficients (an approximation we checked by
simulation), with t on T − k − 2 df (one for ρ, one for the Cochrane–Orcutt first observation).
``"newey-west"`` is OLS with HAC standard errors. Our simulations (60 months, ρ = 0.3): Newey–West
intervals for the post-period average covered 83–87 % (89 % at 200 months), plain iterated FGLS ~91 %,
bias-corrected FGLS ~93.5 % (95 % at ρ = 0; 91 % at ρ = 0.6) — see tests/recovery/test_its_recovery.py.
Without a comparison group this is the least credible design the chooser will run: any change that
happens at t0 for another reason is attributed to the program.

References: Wagner, Soumerai, Zhang & Ross-Degnan (2002), "Segmented regression analysis of interrupted
time series studies in medication use research", J. Clin. Pharm. Ther. 27(4); Newey & West (1987),
Econometrica 55(3) (and their 1994 lag rule, used for the default lag length).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm

from learnroi.attribution.result import Diagnostic, EffectResult, make_term
from learnroi.core.errors import DataError

MIN_PRE, MIN_POST = 8, 3
"""Wagner et al. (2002) recommend at least 8 observations on each side; we warn below 8 before and
refuse fewer than 3 after."""


def newey_west_lags(n: int) -> int:
    """Newey & West (1994) rule of thumb: floor(4 (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def segmented_regression(
    y: npt.ArrayLike,
    t: npt.ArrayLike,
    *,
    start: float,
    errors: Literal["ar1", "newey-west"] = "ar1",
    maxlags: int | None = None,
) -> EffectResult:
    """Segmented regression of the series ``y`` on time ``t`` (equally spaced, e.g. month index) with an
    interruption at ``start``. ``errors="ar1"``: FGLS with AR(1) errors; ``"newey-west"``: HAC (Bartlett
    kernel) SEs with ``maxlags`` (default: the Newey–West 1994 rule)."""
    yv = np.asarray(y, dtype=np.float64)
    tv = np.asarray(t, dtype=np.float64)
    if yv.shape != tv.shape or not np.isfinite(yv).all():
        raise DataError(
            "the series and its time index must align and have no gaps",
            hint="Aggregate the KPI to one value per period first (its() does this).",
        )
    post = (tv >= start).astype(np.float64)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < MIN_POST:
        raise DataError(
            f"interrupted time series needs >= 3 periods before and >= {MIN_POST} after; "
            f"got {n_pre} and {n_post}",
            hint="Record more periods of the KPI around the program start.",
        )
    elapsed = (tv - start) * post
    X = np.column_stack([np.ones_like(tv), tv - start, post, elapsed])
    lags = newey_west_lags(len(yv)) if maxlags is None else maxlags
    if errors == "ar1":
        resid = sm.OLS(yv, X).fit().resid
        r1 = float(np.sum(resid[1:] * resid[:-1]) / np.sum(resid**2))
        rho = float(np.clip(r1 + (1 + 3 * r1) / len(yv) + X.shape[1] / len(yv), -0.99, 0.99))
        fit = sm.GLSAR(yv, X, rho=[rho]).fit()
    else:
        fit = sm.OLS(yv, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags}, use_t=True)
        rho = float("nan")
    cov = np.asarray(fit.cov_params())
    c = np.array([0.0, 0.0, 1.0, float(elapsed[post == 1].mean())])
    avg = float(c @ fit.params)
    se = float(np.sqrt(c @ cov @ c))
    df = float(fit.df_resid) - (1.0 if errors == "ar1" else 0.0)
    terms = (
        make_term("average effect over the post period", avg, se, len(yv), df=df),
        make_term("level change", float(fit.params[2]), float(fit.bse[2]), len(yv), df=df),
        make_term("slope change per period", float(fit.params[3]), float(fit.bse[3]), len(yv), df=df),
        make_term("pre-period slope", float(fit.params[1]), float(fit.bse[1]), len(yv), df=df),
    )
    diags = (
        Diagnostic(
            "pre_periods",
            float(n_pre),
            float(MIN_PRE),
            n_pre >= MIN_PRE,
            f"{n_pre} periods before the start (Wagner et al. recommend >= {MIN_PRE})",
        ),
        Diagnostic(
            "no_comparison_group",
            None,
            None,
            True,
            "no untreated comparison: anything else that changed at the start is attributed to the program",
        ),
    )
    method = "AR(1) FGLS" if errors == "ar1" else f"Newey–West SE, {lags} lags"
    return EffectResult(
        method=f"segmented regression ({method})",
        design="its",
        estimand="ATT",
        terms=terms,
        n=len(yv),
        diagnostics=diags,
        extra={"errors": errors, "maxlags": lags, "rho": rho, "n_pre": n_pre, "n_post": n_post},
    )


def month_index(period: pd.Series) -> pd.Series:
    """Months since year 0 for a date column (equally spaced integers for monthly periods)."""
    p = pd.to_datetime(period)
    return (p.dt.year * 12 + p.dt.month - 1).astype("int64")


def its(
    df: pd.DataFrame,
    *,
    outcome: str,
    period: str,
    start: object,
    errors: Literal["ar1", "newey-west"] = "ar1",
    maxlags: int | None = None,
) -> EffectResult:
    """Segmented regression on the mean of ``outcome`` per ``period`` (a date column); ``start`` is the
    first treated period."""
    idx = month_index(df[period])
    series = df.assign(_t=idx).groupby("_t", sort=True)[outcome].mean()
    t0 = float(month_index(pd.Series([pd.Timestamp(str(start))])).iloc[0])
    res = segmented_regression(
        series.to_numpy(), series.index.to_numpy(dtype=np.float64), start=t0, errors=errors, maxlags=maxlags
    )
    return res
