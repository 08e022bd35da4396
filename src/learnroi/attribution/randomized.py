"""Randomized pilots: difference in means, regression adjustment, CUPED, proportions, and the checks
that say whether the randomization held (sample-ratio mismatch, crossover).

Pure functions on arrays. Regressions go through statsmodels (HC2 and cluster-robust covariances);
the difference in means, CUPED and the sample-ratio test are a few lines of numpy/scipy algebra on
sufficient statistics, written here so that the formulas sit next to their citations.

References: Imbens & Rubin (2015), *Causal Inference*, ch. 6 (Neyman variance, Welch);
Lin (2013), "Agnostic notes on regression adjustments to experimental data", Ann. Appl. Stat. 7(1);
Deng, Xu, Kohavi & Walker (2013), "Improving the sensitivity of online controlled experiments by
utilizing pre-experiment data" (CUPED), WSDM; Fabijan et al. (2019), "Diagnosing sample ratio
mismatch in online controlled experiments", KDD.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from learnroi.attribution.result import Diagnostic, EffectResult, make_term
from learnroi.core.errors import DataError

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
SRM_ALPHA = 0.001
"""A sample-ratio mismatch is declared at p < 0.001 (Fabijan et al. 2019)."""


def _as_float(x: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise DataError(f"{name} must be one-dimensional", hint=f"Pass one value of {name} per unit.")
    return arr


def _as_treat(d: ArrayLike, n: int) -> npt.NDArray[np.bool_]:
    arr = np.asarray(d)
    if arr.shape != (n,):
        raise DataError("treatment indicator and outcome differ in length", hint="Align the arrays.")
    out = arr.astype(bool)
    if out.all() or not out.any():
        raise DataError("both arms need at least one unit", hint="Check the arm column: one arm is empty.")
    return out


def _check_finite(y: FloatArray, name: str) -> None:
    if not np.isfinite(y).all():
        raise DataError(
            f"{name} has {int((~np.isfinite(y)).sum())} missing or infinite values",
            hint="Drop or impute the missing outcomes before estimating (and report how many).",
        )


def _ols_coef(
    y: FloatArray,
    X: FloatArray,
    col: int,
    *,
    cov: str,
    groups: npt.NDArray[np.int64] | None,
) -> tuple[float, float, float | None]:
    """Coefficient, standard error and t degrees of freedom of column ``col`` of an OLS fit."""
    model = sm.OLS(y, X)
    if groups is not None:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df: float | None = float(len(np.unique(groups)) - 1)
    else:
        fit = model.fit(cov_type=cov, use_t=True)
        df = float(fit.df_resid)
    return float(fit.params[col]), float(fit.bse[col]), df


def _groups(cluster: ArrayLike | None, n: int) -> npt.NDArray[np.int64] | None:
    if cluster is None:
        return None
    codes, _ = pd.factorize(pd.Series(np.asarray(cluster)), use_na_sentinel=True)
    if codes.shape != (n,) or (codes < 0).any():
        raise DataError("cluster labels are missing or misaligned", hint="Give every unit its team id.")
    return codes.astype(np.int64)


def _n_clusters(groups: npt.NDArray[np.int64] | None) -> int | None:
    return None if groups is None else len(np.unique(groups))


def _result(
    method: str, estimand: str, est: float, se: float, n: int, df: float | None, **extra: object
) -> EffectResult:
    return EffectResult(
        method=method,
        design="randomized",
        estimand=estimand,
        terms=(make_term("treatment", est, se, n, df=df),),
        n=n,
        extra=dict(extra),
    )


def difference_in_means(
    y: ArrayLike,
    treated: ArrayLike,
    *,
    se: Literal["welch", "classical"] = "welch",
    cluster: ArrayLike | None = None,
    estimand: str = "ITT",
) -> EffectResult:
    """Mean outcome of the treatment arm minus the control arm (Neyman; Imbens & Rubin 2015 ch. 6).

    ``se="welch"`` uses unequal variances s1²/n1 + s0²/n0 with Welch–Satterthwaite degrees of
    freedom; ``"classical"`` the pooled variance. With ``cluster`` (teams were randomized) the SE is
    cluster-robust (CR1) with G − 1 degrees of freedom.
    """
    yv = _as_float(y, "outcome")
    _check_finite(yv, "outcome")
    d = _as_treat(treated, len(yv))
    g = _groups(cluster, len(yv))
    y1, y0 = yv[d], yv[~d]
    n1, n0 = len(y1), len(y0)
    est = float(y1.mean() - y0.mean())
    if g is not None:
        X = np.column_stack([np.ones(len(yv)), d.astype(float)])
        est, s, df = _ols_coef(yv, X, 1, cov="nonrobust", groups=g)
        return _result(
            "difference in means (cluster-robust)",
            estimand,
            est,
            s,
            len(yv),
            df,
            n_treated=n1,
            n_control=n0,
            n_clusters=_n_clusters(g),
        )
    v1, v0 = y1.var(ddof=1) / n1, y0.var(ddof=1) / n0
    if se == "welch":
        s = float(np.sqrt(v1 + v0))
        df = float((v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1)))
    else:
        pooled = ((n1 - 1) * y1.var(ddof=1) + (n0 - 1) * y0.var(ddof=1)) / (n1 + n0 - 2)
        s, df = float(np.sqrt(pooled * (1 / n1 + 1 / n0))), float(n1 + n0 - 2)
    return _result(
        f"difference in means ({se} SE)", estimand, est, s, len(yv), df, n_treated=n1, n_control=n0
    )


def regression_adjusted(
    y: ArrayLike,
    treated: ArrayLike,
    covariates: ArrayLike,
    *,
    interacted: bool = True,
    cov: Literal["HC2", "HC1", "HC3", "nonrobust"] = "HC2",
    cluster: ArrayLike | None = None,
    estimand: str = "ITT",
) -> EffectResult:
    """Regression-adjusted effect. Default: Lin (2013) — covariates centred and interacted with the
    treatment, HC2 standard errors — which never hurts asymptotic precision under randomization.
    ``interacted=False, cov="nonrobust"`` is the classical ANCOVA (LaLonde / Dehejia–Wahba tables).
    """
    yv = _as_float(y, "outcome")
    _check_finite(yv, "outcome")
    d = _as_treat(treated, len(yv)).astype(float)
    Z = np.asarray(covariates, dtype=np.float64)
    Z = Z.reshape(len(yv), -1)
    if not np.isfinite(Z).all():
        raise DataError("covariates have missing values", hint="Impute them or add a missing flag.")
    Zc = Z - Z.mean(axis=0)
    cols = [np.ones(len(yv)), d, Zc] + ([Zc * d[:, None]] if interacted else [])
    X = np.column_stack(cols)
    g = _groups(cluster, len(yv))
    est, s, df = _ols_coef(yv, X, 1, cov=cov, groups=g)
    name = (
        "regression adjustment (Lin 2013, HC2)"
        if interacted and cov == "HC2"
        else (f"regression adjustment ({'interacted' if interacted else 'additive'}, {cov})")
    )
    if g is not None:
        name += " cluster-robust"
    return _result(name, estimand, est, s, len(yv), df, n_covariates=Z.shape[1], n_clusters=_n_clusters(g))


def cuped(
    y: ArrayLike,
    treated: ArrayLike,
    pre: ArrayLike,
    *,
    cluster: ArrayLike | None = None,
    estimand: str = "ITT",
) -> EffectResult:
    """CUPED (Deng et al. 2013): subtract θ·(pre − mean pre), θ = cov(y, pre)/var(pre) pooled over arms,
    then take the difference in means. Units without a pre-period value get no adjustment (their
    centred pre value is 0), which keeps the estimate unbiased under randomization.
    """
    yv = _as_float(y, "outcome")
    _check_finite(yv, "outcome")
    x = _as_float(pre, "pre-period KPI")
    if x.shape != yv.shape:
        raise DataError("pre-period KPI and outcome differ in length", hint="Align the arrays.")
    ok = np.isfinite(x)
    if ok.sum() < 3:
        raise DataError(
            "too few units have a pre-period KPI for CUPED",
            hint="Use difference_in_means, or record a baseline period.",
        )
    xc = np.where(ok, x - x[ok].mean(), 0.0)
    vx = float(np.var(xc[ok], ddof=1))
    theta = float(np.cov(yv[ok], xc[ok], ddof=1)[0, 1] / vx) if vx > 0 else 0.0
    adjusted = yv - theta * xc  # Deng et al. (2013) eq. (4)
    res = difference_in_means(adjusted, treated, se="welch", cluster=cluster, estimand=estimand)
    raw = difference_in_means(yv, treated, se="welch", cluster=cluster, estimand=estimand)
    reduction = 1 - (res.std_error / raw.std_error) ** 2 if raw.std_error > 0 else 0.0
    extra = dict(res.extra, theta=theta, variance_reduction=float(reduction), share_with_pre=float(ok.mean()))
    return EffectResult(
        method="CUPED (Deng et al. 2013)",
        design="randomized",
        estimand=estimand,
        terms=res.terms,
        n=res.n,
        extra=extra,
    )


def difference_in_proportions(
    success: ArrayLike, treated: ArrayLike, *, cluster: ArrayLike | None = None, estimand: str = "ITT"
) -> EffectResult:
    """Difference of two proportions with the unpooled (Wald) SE √(p1(1−p1)/n1 + p0(1−p0)/n0)."""
    yv = _as_float(success, "outcome")
    _check_finite(yv, "outcome")
    if not np.isin(yv, (0.0, 1.0)).all():
        raise DataError("a proportion needs a 0/1 outcome", hint="Use difference_in_means otherwise.")
    if cluster is not None:
        return difference_in_means(yv, treated, cluster=cluster, estimand=estimand)
    d = _as_treat(treated, len(yv))
    p1, p0 = yv[d].mean(), yv[~d].mean()
    n1, n0 = int(d.sum()), int((~d).sum())
    s = float(np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))
    return _result(
        "difference in proportions (Wald)",
        estimand,
        float(p1 - p0),
        s,
        len(yv),
        None,
        p_treatment=float(p1),
        p_control=float(p0),
    )


def sample_ratio_test(counts: ArrayLike, planned: ArrayLike, *, alpha: float = SRM_ALPHA) -> Diagnostic:
    """Chi-square goodness-of-fit of the arm sizes against the planned allocation (Fabijan et al. 2019).

    ``counts`` are the units per arm, ``planned`` the planned shares (or weights) in the same order.
    Passes unless p < ``alpha`` (0.001): a mismatch means assignment or data capture went wrong.
    """
    obs = np.asarray(counts, dtype=np.float64)
    w = np.asarray(planned, dtype=np.float64)
    if obs.shape != w.shape or obs.size < 2 or (w <= 0).any():
        raise DataError(
            "sample-ratio test needs one positive planned share per arm",
            hint="Pass e.g. counts=[n_treatment, n_control], planned=[0.5, 0.5].",
        )
    expected = obs.sum() * w / w.sum()
    chi2, p = stats.chisquare(obs, expected)
    shares = ", ".join(f"{o / obs.sum():.3f}" for o in obs)
    plan = ", ".join(f"{x:.3f}" for x in w / w.sum())
    return Diagnostic(
        name="sample_ratio_mismatch",
        value=float(p),
        threshold=alpha,
        passed=bool(p >= alpha),
        note=f"arm shares {shares} vs planned {plan}; chi-square {float(chi2):.2f}, p = {float(p):.3g}",
    )


def crossover_check(
    arm_treatment: ArrayLike, took_program: ArrayLike, *, tolerance: float = 0.05
) -> Diagnostic:
    """Share of the control arm that took the program anyway (contamination). The ITT stays unbiased
    for the effect of *offering* the program, but is diluted; above ``tolerance`` the note says so."""
    a = np.asarray(arm_treatment).astype(bool)
    t = np.asarray(took_program).astype(bool)
    ctrl = ~a
    share = float(t[ctrl].mean()) if ctrl.any() else 0.0
    uptake = float(t[a].mean()) if a.any() else 0.0
    return Diagnostic(
        name="crossover",
        value=share,
        threshold=tolerance,
        passed=share <= tolerance,
        note=(
            f"{share:.1%} of the control arm took the program; {uptake:.1%} of the treatment arm did. "
            "The ITT measures the effect of offering the program and is diluted by crossover."
        ),
    )
