"""Retention as an outcome of a randomized program: who leaves, and when.

Three estimators, each comparing every arm with a reference arm (a boolean ``treated`` works: control is
the reference):

- :func:`exit_proportion` — share leaving within the horizon, through
  :func:`learnroi.attribution.randomized.difference_in_proportions`. Valid only when everyone was
  followed for the whole horizon; otherwise it is returned marked not identified (censored people would
  be counted as stayers, which biases the exit rate down).
- :func:`km_retention` — Kaplan–Meier retention at the horizon by arm (statsmodels ``SurvfuncRight``)
  with Greenwood standard errors, and the difference with a normal interval; handles independent
  right-censoring (people hired late, or data pulled before their horizon).
- :func:`cox_hazard_ratio` — Cox proportional-hazards ratio (statsmodels ``PHReg``, Efron ties), with
  an optional cluster-robust covariance and a proportional-hazards check on Schoenfeld residuals.

References: Kaplan & Meier (1958), "Nonparametric estimation from incomplete observations", JASA 53(282);
Greenwood (1926), "The natural duration of cancer", Reports on Public Health and Medical Subjects 33;
Cox (1972), "Regression models and life-tables", JRSS-B 34(2); Efron (1977), JASA 72(359) for ties;
Grambsch & Therneau (1994), Biometrika 81(3) for the proportional-hazards check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

from learnroi.attribution.multiarm import _arm_codes
from learnroi.attribution.randomized import _as_float, _groups, difference_in_proportions
from learnroi.attribution.result import Diagnostic, EffectResult, Term, make_term
from learnroi.core.errors import DataError, UsageError

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
PH_ALPHA = 0.01
"""The proportional-hazards check fails at p < 0.01 (Grambsch & Therneau 1994, rank-of-time scale)."""


def _survival_data(time: ArrayLike, event: ArrayLike) -> tuple[FloatArray, FloatArray]:
    t = _as_float(time, "time")
    e = _as_float(event, "event")
    if e.shape != t.shape:
        raise DataError(
            "time and event differ in length", hint="Pass one time and one event flag per person."
        )
    if not np.isfinite(t).all() or (t < 0).any():
        raise DataError(
            "time has missing, negative or infinite values",
            hint="Time is months from the program start to exit or to the end of follow-up (censoring).",
        )
    if not np.isin(e, (0.0, 1.0)).all():
        raise DataError(
            "event must be 0/1 (1 = left, 0 = still employed / censored)", hint="Recode the event."
        )
    return t, e


def _prepare(
    time: ArrayLike, event: ArrayLike, arm: ArrayLike, arms: Sequence[Any] | None, reference: Any
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int64], tuple[Any, ...]]:
    t, e = _survival_data(time, event)
    codes, order = _arm_codes(arm, len(t), arms, reference)
    if (np.bincount(codes, minlength=len(order)) < 2).any():
        raise DataError("every arm needs at least two people", hint="Drop or pool the near-empty arm.")
    return t, e, codes, order


def _name(order: tuple[Any, ...], j: int, sep: str) -> str:
    if set(order) == {False, True}:
        return "treatment"
    return f"{order[j]}{sep}{order[0]}"


def _check_horizon(horizon: float) -> None:
    if not (math.isfinite(horizon) and horizon > 0):
        raise UsageError(f"horizon must be a positive number of months, got {horizon}", hint="Use e.g. 12.")


def exit_proportion(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    *,
    horizon: float = 12.0,
    reference: Any = None,
    arms: Sequence[Any] | None = None,
    cluster: ArrayLike | None = None,
    estimand: str = "ITT",
) -> EffectResult:
    """Share who left within ``horizon`` months, each arm minus the reference (difference in proportions,
    unpooled Wald SE). People censored before the horizon make it not identified: use :func:`km_retention`.
    """
    _check_horizon(horizon)
    t, e, codes, order = _prepare(time, event, arm, arms, reference)
    left = ((e == 1) & (t <= horizon)).astype(np.float64)
    early = int(((e == 0) & (t < horizon)).sum())
    g = None if cluster is None else np.asarray(cluster)
    terms: list[Term] = []
    shares = [{"arm": order[0], "n": int((codes == 0).sum()), "exit_share": float(left[codes == 0].mean())}]
    for j in range(1, len(order)):
        keep = (codes == 0) | (codes == j)
        fit = difference_in_proportions(
            left[keep], codes[keep] == j, cluster=None if g is None else g[keep], estimand=estimand
        )
        terms.append(replace(fit.terms[0], term=_name(order, j, " - ")))
        shares.append(
            {"arm": order[j], "n": int((codes == j).sum()), "exit_share": float(left[codes == j].mean())}
        )
    res = EffectResult(
        method=f"difference in exit proportions within {horizon:g} months",
        design="randomized",
        estimand=estimand,
        terms=tuple(terms),
        n=len(t),
        extra={"horizon": horizon, "reference": order[0], "arms": shares, "censored_before_horizon": early},
    )
    if early:
        return res.with_refusal(
            [
                f"{early} people were censored (still employed, followed < {horizon:g} months) before the "
                "horizon and would count as stayers; use km_retention, which handles censoring"
            ]
        )
    return res


def _km_at(t: FloatArray, e: FloatArray, horizon: float) -> tuple[float, float, SurvfuncRight | None]:
    """Kaplan–Meier S(horizon) and its Greenwood SE (statsmodels' ``surv_prob_se`` is Greenwood 1926)."""
    if not e.any():
        return 1.0, 0.0, None
    sf = SurvfuncRight(t, e)
    idx = int(np.searchsorted(sf.surv_times, horizon, side="right")) - 1
    if idx < 0:
        return 1.0, 0.0, sf
    return float(sf.surv_prob[idx]), float(sf.surv_prob_se[idx]), sf


def km_retention(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    *,
    horizon: float = 12.0,
    reference: Any = None,
    arms: Sequence[Any] | None = None,
    level: float = 0.95,
    estimand: str = "ITT",
) -> EffectResult:
    """Kaplan–Meier (1958) retention at ``horizon`` by arm and each arm's difference from the reference,
    S_a(h) − S_ref(h), SE √(Greenwood_a + Greenwood_ref) (Greenwood 1926), normal interval.

    Assumes censoring independent of the exit time within each arm (true for administrative censoring:
    hire dates, the data pull). Not identified when an arm has nobody still followed at the horizon.
    ``extra["arms"]`` has per-arm retention, ``extra["curves"]`` the survival curves; ``contrasts``
    holds the naive "1 − exited/all" difference that ignores censoring.
    """
    _check_horizon(horizon)
    t, e, codes, order = _prepare(time, event, arm, arms, reference)
    z = float(stats.norm.ppf(0.5 + level / 2))
    rows, curves, reasons = [], [], []
    s_h, se_h = np.empty(len(order)), np.empty(len(order))
    for j, a in enumerate(order):
        tj, ej = t[codes == j], e[codes == j]
        s_h[j], se_h[j], sf = _km_at(tj, ej, horizon)
        at_risk = int((tj >= horizon).sum())
        if at_risk == 0:
            reasons.append(
                f"nobody in arm {a!r} is followed to {horizon:g} months, so its retention is unknown"
            )
        rows.append(
            {
                "arm": a,
                "n": len(tj),
                "exits": int(ej.sum()),
                "at_risk_at_horizon": at_risk,
                "retention": float(s_h[j]),
                "std_error": float(se_h[j]),
                "conf_low": float(max(0.0, s_h[j] - z * se_h[j])),
                "conf_high": float(min(1.0, s_h[j] + z * se_h[j])),
                "naive_retention": float(1 - ((ej == 1) & (tj <= horizon)).mean()),
            }
        )
        if sf is not None:
            curves += [
                {"arm": a, "time": float(u), "survival": float(p), "std_error": float(s)}
                for u, p, s in zip(sf.surv_times, sf.surv_prob, sf.surv_prob_se, strict=True)
            ]
    terms, naive = [], []
    for j in range(1, len(order)):
        n_pair = int(rows[0]["n"] + rows[j]["n"])
        se = math.sqrt(se_h[j] ** 2 + se_h[0] ** 2)
        terms.append(make_term(_name(order, j, " - "), s_h[j] - s_h[0], se, n_pair, level=level))
        keep = (codes == 0) | (codes == j)
        stayed = 1.0 - ((e[keep] == 1) & (t[keep] <= horizon))
        crude = difference_in_proportions(stayed, codes[keep] == j, estimand=estimand).terms[0]
        naive.append(
            replace(crude, term=f"naive {_name(order, j, ' - ')} (1 - exited/all, ignores censoring)")
        )
    res = EffectResult(
        method=f"Kaplan-Meier retention at {horizon:g} months (Greenwood SE)",
        design="randomized",
        estimand=estimand,
        terms=tuple(terms),
        n=len(t),
        contrasts=tuple(naive),
        extra={"horizon": horizon, "reference": order[0], "arms": rows, "curves": curves},
    )
    return res.with_refusal(reasons) if reasons else res


def _ph_check(fit: Any, X: FloatArray, t: FloatArray, e: FloatArray, n_arms: int) -> Diagnostic:
    """Grambsch & Therneau (1994) score test of proportional hazards for the arm coefficients, with
    g(t) = rank of the exit time: U = Σ_k (g_k − ḡ) r_k over exits (r = Schoenfeld residuals),
    Var(U) = Σ g̃²V_k − (Σ g̃V_k)(Σ V_k)⁻¹(Σ g̃V_k), V_k the covariance of X in the weighted risk set.
    Written here because statsmodels' PHReg has no such test."""
    ev = np.flatnonzero(e == 1)
    if len(ev) < 4:
        return Diagnostic("proportional_hazards", None, PH_ALPHA, True, "too few exits to check")
    resid = np.asarray(fit.schoenfeld_residuals, dtype=np.float64)[ev]
    w = np.exp((X - X.mean(axis=0)) @ np.asarray(fit.params, dtype=np.float64))
    order = np.argsort(-t, kind="stable")  # cumulative sums over descending time = risk-set sums
    s0 = np.cumsum(w[order])
    s1 = np.cumsum(w[order, None] * X[order], axis=0)
    s2 = np.cumsum(w[order, None, None] * X[order, :, None] * X[order, None, :], axis=0)
    first = np.searchsorted(-t[order], -t[ev], side="right") - 1
    m = s1[first] / s0[first, None]
    V = s2[first] / s0[first, None, None] - m[:, :, None] * m[:, None, :]
    g = stats.rankdata(t[ev])
    gc = g - g.mean()
    U = gc @ resid
    B = np.tensordot(gc, V, axes=1)
    var_u = np.tensordot(gc**2, V, axes=1) - B @ np.linalg.pinv(V.sum(axis=0)) @ B
    a = slice(0, n_arms)
    chi2 = float(U[a] @ np.linalg.pinv(var_u[a, a]) @ U[a])
    p = float(stats.chi2.sf(chi2, n_arms))
    return Diagnostic(
        name="proportional_hazards",
        value=p,
        threshold=PH_ALPHA,
        passed=p >= PH_ALPHA,
        note=(
            f"Grambsch-Therneau test on the arm terms, chi-square {chi2:.2f} ({n_arms} df), p = {p:.3g}; "
            "if it fails the hazard ratio is an average over follow-up: read the Kaplan-Meier retention "
            "difference instead"
        ),
    )


def cox_hazard_ratio(
    time: ArrayLike,
    event: ArrayLike,
    arm: ArrayLike,
    *,
    reference: Any = None,
    arms: Sequence[Any] | None = None,
    covariates: ArrayLike | None = None,
    cluster: ArrayLike | None = None,
    ties: Literal["efron", "breslow"] = "efron",
    level: float = 0.95,
    estimand: str = "ITT",
) -> EffectResult:
    """Hazard ratio of leaving, each arm against the reference (Cox 1972; statsmodels PHReg).

    ``estimate``, ``conf_low`` and ``conf_high`` are on the ratio scale (exp of the coefficient);
    ``std_error`` is the SE of the log hazard ratio. ``covariates`` (n × p) adjust for baseline
    characteristics; ``cluster`` gives the robust sandwich covariance (Lin & Wei 1989) by team.
    """
    t, e, codes, order = _prepare(time, event, arm, arms, reference)
    if e.sum() < 2:
        raise DataError("fewer than two exits: a hazard ratio cannot be estimated", hint="Use km_retention.")
    k = len(order)
    X = (codes[:, None] == np.arange(1, k)[None, :]).astype(np.float64)
    n_cov = 0
    if covariates is not None:
        Z = np.asarray(covariates, dtype=np.float64).reshape(len(t), -1)
        if not np.isfinite(Z).all():
            raise DataError("covariates have missing values", hint="Impute them or add a missing flag.")
        X, n_cov = np.column_stack([X, Z - Z.mean(axis=0)]), Z.shape[1]
    g = _groups(cluster, len(t)) if cluster is not None else None
    fit = PHReg(t, X, status=e, ties=ties).fit(groups=g)
    beta, se = np.asarray(fit.params, dtype=np.float64), np.asarray(fit.bse, dtype=np.float64)
    if not np.isfinite(se[: k - 1]).all():
        raise DataError(
            "the Cox fit did not converge (an arm has no exits?)", hint="Use km_retention instead."
        )
    z = float(stats.norm.ppf(0.5 + level / 2))
    names = [_name(order, j, " vs ") for j in range(1, k)]
    terms = tuple(
        Term(
            names[j],
            float(np.exp(beta[j])),
            float(se[j]),
            int(((codes == 0) | (codes == j + 1)).sum()),
            float(np.exp(beta[j] - z * se[j])),
            float(np.exp(beta[j] + z * se[j])),
            float(2 * stats.norm.sf(abs(beta[j] / se[j]))),
            level,
        )
        for j in range(k - 1)
    )
    return EffectResult(
        method=f"Cox proportional hazards ({ties} ties{', cluster-robust' if g is not None else ''})",
        design="randomized",
        estimand=f"{estimand} hazard ratio of leaving",
        terms=terms,
        n=len(t),
        diagnostics=(_ph_check(fit, X, t, e, k - 1),),
        extra={
            "reference": order[0],
            "scale": "hazard ratio (std_error on the log scale)",
            "log_hazard_ratio": [float(b) for b in beta[: k - 1]],
            "exits": int(e.sum()),
            "n_covariates": n_cov,
            "n_clusters": None if g is None else len(np.unique(g)),
        },
    )
