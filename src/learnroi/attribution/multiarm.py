"""Multi-arm randomized pilots ("which blend pays"): every arm against a reference arm and, optionally,
every pair of arms, with simultaneous (family-wise) confidence intervals.

The simultaneous intervals use the single-step max-|t| method: the critical value is the ``level``
quantile of max_j |T_j| over the family of contrasts, whose joint law is multivariate t (normal when the
degrees of freedom are infinite) with the correlation of the contrast estimates. Against a reference arm
with a pooled variance this is Dunnett (1955); over all pairs it is Tukey's studentized range; in
general it is the max-T method of Hothorn, Bretz & Westfall (2008). Holm (1979) step-down adjusted
p-values are reported beside them.

The max-|t| quantile is computed by a seeded Monte Carlo simulation of the max statistic rather than
scipy's Genz integration, because scipy's ``multivariate_t.cdf`` is wrong for the singular correlation of
all-pairs families (it is checked against Genz on non-singular families and against Dunnett's and
Tukey's tables in the tests). Arm means, the Welch/pooled/cluster covariance, CUPED (through
:func:`learnroi.attribution.randomized.cuped`) and Holm (statsmodels) are otherwise reused.

References: Dunnett (1955), "A multiple comparison procedure for comparing several treatments with a
control", JASA 50(272); Holm (1979), "A simple sequentially rejective multiple test procedure",
Scand. J. Statist. 6(2); Hothorn, Bretz & Westfall (2008), "Simultaneous inference in general
parametric models", Biometrical J. 50(3); Deng et al. (2013) for CUPED.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from learnroi.attribution.randomized import _as_float, _check_finite, _groups, cuped, sample_ratio_test
from learnroi.attribution.result import Diagnostic, EffectResult, Term
from learnroi.core.errors import DataError, UsageError

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
Family = Literal["pairwise", "reference"]
N_SIM = 100_000
"""Draws of the max-|t| statistic; the Monte Carlo error of a 95 % critical value is about ±0.005."""


@dataclass(frozen=True)
class ArmMoments:
    """Arm labels, sizes, means and the covariance of the means, with the t degrees of freedom."""

    arms: tuple[Any, ...]
    n: npt.NDArray[np.int64]
    mean: FloatArray
    cov: FloatArray
    df_arm: FloatArray
    """Per-arm degrees of freedom (n_a − 1 for Welch; the family df for pooled/cluster)."""
    df: float | None
    """Family degrees of freedom when they do not depend on the contrast (pooled, cluster)."""


def arm_moments(
    y: FloatArray,
    codes: npt.NDArray[np.int64],
    arms: tuple[Any, ...],
    *,
    se: Literal["welch", "pooled"],
    groups: npt.NDArray[np.int64] | None,
) -> ArmMoments:
    """Arm means and their covariance: Welch (diagonal s²_a/n_a), pooled (Dunnett 1955: s²/n_a with
    N − k df) or cluster-robust. Teams randomized to arms (each team in one arm): CR1 within each arm,
    G_a/(G_a − 1)·Σ_g u_g²/n_a² with G_a − 1 df, combined by Welch–Satterthwaite — Welch on team means
    for equal team sizes; a pooled CR1 with G − 1 df under-covers with few teams per arm. Teams that
    span arms: CR1 from OLS on arm dummies with G − 1 df (Cameron & Miller 2015)."""
    k = len(arms)
    n = np.bincount(codes, minlength=k).astype(np.int64)
    if (n < 2).any():
        empty = [str(a) for a, m in zip(arms, n, strict=True) if m < 2]
        raise DataError(f"arms {empty} have fewer than 2 units", hint="Drop the arm or pool it.")
    sums = np.bincount(codes, weights=y, minlength=k)
    mean = sums / n
    resid = y - mean[codes]
    var = np.bincount(codes, weights=resid**2, minlength=k) / (n - 1)
    if groups is not None and _nested(groups, codes):
        return _cluster_by_arm(arms, n, mean, resid, codes, groups)
    if groups is not None:
        dummies = (codes[:, None] == np.arange(k)[None, :]).astype(np.float64)
        fit = sm.OLS(y, dummies).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        df = float(len(np.unique(groups)) - 1)
        return ArmMoments(arms, n, mean, np.asarray(fit.cov_params(), dtype=np.float64), np.full(k, df), df)
    if se == "pooled":
        df = float(n.sum() - k)
        s2 = float(((n - 1) * var).sum() / df)  # Dunnett (1955): one pooled variance, N − k df
        return ArmMoments(arms, n, mean, np.diag(s2 / n), np.full(k, df), df)
    return ArmMoments(arms, n, mean, np.diag(var / n), (n - 1).astype(np.float64), None)


def _nested(groups: npt.NDArray[np.int64], codes: npt.NDArray[np.int64]) -> bool:
    """True when every cluster lies in a single arm (cluster-randomized)."""
    lo = np.full(groups.max() + 1, codes.max() + 1)
    hi = np.full(groups.max() + 1, -1)
    np.minimum.at(lo, groups, codes)
    np.maximum.at(hi, groups, codes)
    return bool((lo == hi).all())


def _cluster_by_arm(
    arms: tuple[Any, ...],
    n: npt.NDArray[np.int64],
    mean: FloatArray,
    resid: FloatArray,
    codes: npt.NDArray[np.int64],
    groups: npt.NDArray[np.int64],
) -> ArmMoments:
    k = len(arms)
    u = np.bincount(groups, weights=resid)  # residual total of each team
    team_arm = np.zeros(len(u), dtype=np.int64)
    team_arm[groups] = codes
    g_a = np.bincount(team_arm, minlength=k)
    if (g_a < 2).any():
        raise DataError(
            "an arm has fewer than two teams", hint="Cluster-robust SEs need several teams per arm."
        )
    var = g_a / (g_a - 1) * np.bincount(team_arm, weights=u**2, minlength=k) / n.astype(np.float64) ** 2
    return ArmMoments(arms, n, mean, np.diag(var), (g_a - 1).astype(np.float64), None)


def contrast_matrix(k: int, family: Family) -> tuple[FloatArray, list[tuple[int, int]]]:
    """Rows arm_j − arm_i: every arm against arm 0 (the reference), then (``pairwise``) the other pairs."""
    pairs = [(0, j) for j in range(1, k)]
    if family == "pairwise":
        pairs += [(i, j) for i, j in combinations(range(1, k), 2)]
    C = np.zeros((len(pairs), k))
    for row, (i, j) in enumerate(pairs):
        C[row, i], C[row, j] = -1.0, 1.0
    return C, pairs


def max_t_distribution(
    corr: FloatArray, df: float | None, *, seed: int = 0, n_sim: int = N_SIM
) -> FloatArray:
    """Sorted draws of max_j |T_j| with T multivariate t(df) (normal when ``df`` is None) and correlation
    ``corr`` (may be singular). Seeded, so the critical value is reproducible."""
    rng = np.random.default_rng(seed)
    w, v = np.linalg.eigh(corr)
    root = v * np.sqrt(np.clip(w, 0.0, None))  # corr = root rootᵀ, also when singular
    z = rng.standard_normal((n_sim, corr.shape[0])) @ root.T
    if df is not None and math.isfinite(df):
        z /= np.sqrt(rng.chisquare(df, size=(n_sim, 1)) / df)
    return np.sort(np.abs(z).max(axis=1))


def _critical(draws: FloatArray, level: float) -> float:
    return float(np.quantile(draws, level, method="higher"))


def _adjusted_p(draws: FloatArray, t_abs: FloatArray) -> FloatArray:
    """Single-step max-T p-values P(max|T| ≥ |t_j|) (Hothorn et al. 2008 §3)."""
    above = len(draws) - np.searchsorted(draws, t_abs, side="left")
    return np.asarray((above + 1) / (len(draws) + 1), dtype=np.float64)


def holm(p: FloatArray) -> FloatArray:
    """Holm (1979) step-down adjusted p-values: max over i ≤ j of min(1, (m − i + 1)·p_(i)). Written here
    because statsmodels' ``multipletests`` runs a garbage collection on every call (~0.2 s)."""
    order = np.argsort(p, kind="stable")
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = stepped
    return out


def _welch_df(C: FloatArray, m: ArmMoments) -> FloatArray:
    """Welch–Satterthwaite df of each contrast from diagonal arm variances."""
    parts = C**2 * np.diag(m.cov)[None, :]
    return np.asarray(parts.sum(axis=1) ** 2 / (parts**2 / m.df_arm[None, :]).sum(axis=1), dtype=np.float64)


def _cuped_adjust(
    y: FloatArray, ref_mask: npt.NDArray[np.bool_], pre: ArrayLike
) -> tuple[FloatArray, dict[str, float]]:
    """CUPED with θ pooled over all arms, taken from :func:`randomized.cuped` (θ does not depend on the arm)."""
    x = _as_float(pre, "pre-period KPI")
    if x.shape != y.shape:
        raise DataError("pre-period KPI and outcome differ in length", hint="Align the arrays.")
    fit = cuped(y, ref_mask, x)
    theta = float(fit.extra["theta"])
    ok = np.isfinite(x)
    xc = np.where(ok, x - x[ok].mean(), 0.0)
    return y - theta * xc, {"theta": theta, "share_with_pre": float(ok.mean())}


def _arm_codes(
    arm: ArrayLike, n: int, arms: Sequence[Any] | None, reference: Any
) -> tuple[npt.NDArray[np.int64], tuple[Any, ...]]:
    labels = pd.Series(np.asarray(arm))
    if len(labels) != n:
        raise DataError("arm labels and outcome differ in length", hint="Pass one arm label per unit.")
    if labels.isna().any():
        raise DataError(f"{int(labels.isna().sum())} units have no arm", hint="Drop unassigned units first.")
    order = list(arms) if arms is not None else sorted(labels.unique().tolist(), key=str)
    if reference is not None:
        if reference not in order:
            raise UsageError(
                f"reference arm {reference!r} is not among {order}", hint="Name an existing arm."
            )
        order = [reference] + [a for a in order if a != reference]
    unknown = set(labels.unique().tolist()) - set(order)
    if unknown:
        raise DataError(
            f"units in arms {sorted(map(str, unknown))} not listed in arms", hint="List every arm."
        )
    if len(order) < 2:
        raise DataError("a comparison needs at least two arms", hint="Check the arm column.")
    codes = pd.Categorical(labels, categories=order).codes.astype(np.int64)
    return codes, tuple(order)


def multiarm(
    y: ArrayLike,
    arm: ArrayLike,
    *,
    reference: Any = None,
    arms: Sequence[Any] | None = None,
    family: Family = "pairwise",
    pre: ArrayLike | None = None,
    cluster: ArrayLike | None = None,
    se: Literal["welch", "pooled"] = "welch",
    level: float = 0.95,
    planned: Mapping[Any, float] | None = None,
    seed: int = 0,
    n_sim: int = N_SIM,
    estimand: str = "ITT",
) -> EffectResult:
    """Compare k randomized arms with simultaneous max-|t| intervals (Dunnett 1955; Hothorn et al. 2008).

    ``reference`` (default: the first of ``arms``, else the first label in sorted order) is the arm the
    others are compared with; ``family="pairwise"`` adds every other pair and adjusts over all of them,
    ``"reference"`` adjusts over the k − 1 comparisons with the reference only (narrower). Terms are
    ``"<arm> - <reference>"`` then ``"<later arm> - <earlier arm>"``; ``conf_low``/``conf_high`` and
    ``p_value`` are the simultaneous (family-wise) ones; ``extra["contrasts"]`` also holds the unadjusted
    interval and p-value and the Holm (1979) p-value, and ``extra["arms"]`` the per-arm means.
    ``se="welch"`` (default) uses per-arm variances and the smallest Welch df of the family;
    ``"pooled"`` is Dunnett's pooled variance with N − k df; ``cluster`` gives team-robust SEs: CR1 within
    each arm with Welch–Satterthwaite df when whole teams were randomized, else CR1 with G − 1 df. ``pre`` applies CUPED with θ pooled over arms (Deng et al. 2013). ``planned`` (arm →
    share) adds a sample-ratio check. The critical value comes from ``n_sim`` seeded draws of max|T|.
    """
    yv = _as_float(y, "outcome")
    _check_finite(yv, "outcome")
    if not 0 < level < 1:
        raise UsageError(f"level must be in (0, 1), got {level}", hint="Use e.g. level=0.95.")
    if family not in ("pairwise", "reference"):
        raise UsageError(f"unknown family {family!r}", hint='Use "pairwise" or "reference".')
    codes, order = _arm_codes(arm, len(yv), arms, reference)
    cuped_info: dict[str, float] = {}
    if pre is not None:
        yv, cuped_info = _cuped_adjust(yv, codes == 0, pre)
    groups = _groups(cluster, len(yv)) if cluster is not None else None
    mom = arm_moments(yv, codes, order, se=se, groups=groups)
    C, pairs = contrast_matrix(len(order), family)
    est = C @ mom.mean
    sigma = C @ mom.cov @ C.T
    ses = np.sqrt(np.diag(sigma))
    if not (ses > 0).all():
        raise DataError("an arm has no outcome variation", hint="Check the outcome: it is constant.")
    df_each = _welch_df(C, mom) if mom.df is None else np.full(len(pairs), mom.df)
    df_family = float(df_each.min())
    t_abs = np.abs(est / ses)
    q_each = stats.t.ppf(0.5 + level / 2, df_each)
    p_raw = 2 * stats.t.sf(t_abs, df_each)
    if len(pairs) == 1:  # one contrast: nothing to adjust, exact t
        crit, p_adj = float(q_each[0]), p_raw
    else:
        draws = max_t_distribution(sigma / np.outer(ses, ses), df_family, seed=seed, n_sim=n_sim)
        crit, p_adj = _critical(draws, level), _adjusted_p(draws, t_abs)
    p_holm = holm(p_raw)
    n_pair = mom.n[[i for i, _ in pairs]] + mom.n[[j for _, j in pairs]]
    names = [f"{order[j]} - {order[i]}" for i, j in pairs]
    terms = tuple(
        Term(
            names[r],
            float(est[r]),
            float(ses[r]),
            int(n_pair[r]),
            float(est[r] - crit * ses[r]),
            float(est[r] + crit * ses[r]),
            float(p_adj[r]),
            level,
        )
        for r in range(len(pairs))
    )
    contrast_rows = [
        {
            "term": names[r],
            "arm": order[j],
            "versus": order[i],
            "estimate": float(est[r]),
            "std_error": float(ses[r]),
            "conf_low": terms[r].conf_low,
            "conf_high": terms[r].conf_high,
            "p_value_adjusted": float(p_adj[r]),
            "p_value_holm": float(p_holm[r]),
            "conf_low_unadjusted": float(est[r] - q_each[r] * ses[r]),
            "conf_high_unadjusted": float(est[r] + q_each[r] * ses[r]),
            "p_value_unadjusted": float(p_raw[r]),
            "df": float(df_each[r]),
        }
        for r, (i, j) in enumerate(pairs)
    ]
    arm_rows = [
        {
            "arm": a,
            "n": int(mom.n[a_i]),
            "mean": float(mom.mean[a_i]),
            "std_error": float(math.sqrt(mom.cov[a_i, a_i])),
        }
        for a_i, a in enumerate(order)
    ]
    diagnostics: tuple[Diagnostic, ...] = ()
    if planned is not None:
        if missing := [str(a) for a in order if a not in planned]:
            raise UsageError(
                f"planned shares lack arms {missing}", hint="Give a planned share for every arm."
            )
        diagnostics = (sample_ratio_test(mom.n, [planned[a] for a in order]),)
    how = "cluster-robust" if groups is not None else f"{se} SE"
    return EffectResult(
        method=f"multi-arm max-|t| {'Tukey/Dunnett' if family == 'pairwise' else 'Dunnett'} ({how}"
        + (", CUPED)" if pre is not None else ")"),
        design="randomized",
        estimand=estimand,
        terms=terms,
        n=len(yv),
        diagnostics=diagnostics,
        identified=all(d.passed for d in diagnostics),
        reasons=tuple(f"check {d.name} failed: {d.note}" for d in diagnostics if not d.passed),
        extra={
            "reference": order[0],
            "family": family,
            "level": level,
            "critical_value": crit,
            "df": df_family if math.isfinite(df_family) else None,
            "n_sim": n_sim,
            "seed": seed,
            "arms": arm_rows,
            "contrasts": contrast_rows,
            "n_clusters": None if groups is None else len(np.unique(groups)),
            **cuped_info,
        },
    )
