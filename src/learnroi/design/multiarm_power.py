"""Power, sample size and MDE for a multi-arm pilot: k treatment arms, each compared with one shared control.

The analysis (:func:`learnroi.attribution.multiarm.multiarm`, ``family="reference"``) reports each arm
against control with simultaneous intervals at a family-wise ``alpha``, so each comparison is tested
against Dunnett's many-to-one critical value rather than the two-arm ``z_{1-alpha/2}``:

* critical value: the ``1 - alpha`` quantile of ``max_j |T_j|`` over the k comparisons, where the
  comparisons share the control mean and are equicorrelated with ``r = n_t / (n_t + n_c)`` (0.5 with
  equal arms). With that one-factor structure the joint law reduces to a one-dimensional integral
  (Dunnett 1955, eq. 2; Dunnett & Sobel 1955) — integrated here on a fixed grid, averaged over the
  chi distribution of the variance estimate for the t version (``N - k - 1`` df);
* allocation: the square-root rule, control share ``sqrt(k) / (k + sqrt(k))`` (``n_c = sqrt(k) n_t``),
  which minimises the variance of the k arm-vs-control contrasts for a given total (Dunnett 1955, sec. 5);
* power: per comparison (the chance that a given arm with the assumed effect is declared different
  from control), noncentral t with noncentrality ``d sqrt(n_t n_c / (n_t + n_c))`` (normal for proportions).

Effects are standardized as in :mod:`learnroi.design.power` (CUPED, design effect, Cohen's h).
References: Dunnett (1955), "A multiple comparison procedure for comparing several treatments with a
control", JASA 50(272): 1096-1121; Hothorn, Bretz & Westfall (2008), Biometrical J. 50(3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import optimize, stats

from learnroi.core.errors import SpecError
from learnroi.design.power import (
    KpiKind,
    PowerResult,
    _check,
    design_effect,
    mde_from_std,
    standardized_effect,
)

CONTROL = "control"
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(80)  # Gauss-Hermite nodes for the shared-control factor
_U, _W_U = _GH_X, _GH_W / math.sqrt(2 * math.pi)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(120)
_P, _W_P = (_GL_X + 1) / 2, _GL_W / 2  # Gauss-Legendre on the quantiles of the chi variable (t version)


def sqrt_rule_control_share(k: int) -> float:
    """Dunnett's (1955) optimal control share for k arms vs one control: ``sqrt(k) / (k + sqrt(k))``."""
    return math.sqrt(k) / (k + math.sqrt(k))


def _joint_coverage(c: Any, k: int, r: float) -> Any:
    """P(max_j |Z_j| <= c) for k standard normals with common correlation r >= 0 (Dunnett 1955, eq. 2)."""
    c = np.asarray(c, dtype=float)[..., None]
    a, b = math.sqrt(r), math.sqrt(1.0 - r)
    inner = stats.norm.cdf((c - a * _U) / b) - stats.norm.cdf((-c - a * _U) / b)
    return np.sum(_W_U * np.clip(inner, 0.0, 1.0) ** k, axis=-1)


@lru_cache(maxsize=4096)
def dunnett_critical(k: int, alpha: float = 0.05, *, r: float = 0.5, df: float | None = None) -> float:
    """Two-sided many-to-one critical value: ``P(max_j |T_j| <= c) = 1 - alpha`` (Dunnett 1955).

    ``r`` is the correlation between comparisons (``n_t / (n_t + n_c)``), ``df`` the degrees of freedom of
    the pooled variance (None: known variance, the normal version). ``k = 1`` gives the t (or z) quantile.
    """
    if k < 1 or not 0 < alpha < 1 or not 0 <= r < 1:
        raise SpecError(
            f"need k >= 1 arms, 0 < alpha < 1, 0 <= r < 1; got k={k}, alpha={alpha}, r={r}",
            hint="Give at least one treatment arm and a family-wise alpha such as 0.05.",
        )
    if k == 1:
        return float(stats.norm.isf(alpha / 2) if df is None else stats.t.isf(alpha / 2, df))
    if df is None:

        def gap(c: float) -> float:
            return float(_joint_coverage(c, k, r)) - (1 - alpha)

    else:
        s = np.sqrt(stats.chi2.ppf(_P, df) / df)  # the studentizing factor, T = Z / s

        def gap(c: float) -> float:
            return float(np.sum(_W_P * _joint_coverage(c * s, k, r))) - (1 - alpha)

    return float(optimize.brentq(gap, 0.5, 20.0, xtol=1e-10))


def _arm_sizes(n_total: float, k: int, control_share: float) -> tuple[float, float]:
    return n_total * (1 - control_share) / k, n_total * control_share


def multiarm_power(
    d: float, n_total: float, *, k: int, control_share: float, alpha: float, test: str, m: float = 1.0
) -> float:
    """Per-comparison power of one arm vs control at standardized effect ``d`` and ``n_total`` units.

    The comparison is tested at Dunnett's family-wise critical value; ``test="t"`` uses the noncentral t
    with ``n_total / m - (k + 1)`` df (``m`` = cluster size, so df count clusters), ``"z"`` the normal.
    """
    n_t, n_c = _arm_sizes(n_total, k, control_share)
    r = n_t / (n_t + n_c)
    nc = abs(d) * math.sqrt(n_t * n_c / (n_t + n_c))
    if test == "z":
        crit = dunnett_critical(k, alpha, r=r)
        return float(stats.norm.sf(crit - nc) + stats.norm.cdf(-crit - nc))
    df = max(n_total / m - (k + 1), 1.0)
    crit = dunnett_critical(k, alpha, r=r, df=df)
    out = float(stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc))
    return 1.0 if math.isnan(out) else out


def n_for_power(
    d: float, target: float, *, k: int, control_share: float, alpha: float, test: str, m: float = 1.0
) -> float:
    """Smallest continuous total size whose per-comparison power reaches ``target``."""
    n_t_share = (1 - control_share) / k
    crit_z = dunnett_critical(k, alpha, r=n_t_share / (n_t_share + control_share))
    z = crit_z + stats.norm.ppf(target)
    n_z = (z / abs(d)) ** 2 * (1 / n_t_share + 1 / control_share)  # normal closed form (Dunnett 1955)
    if test == "z":
        return float(n_z)

    def gap(n: float) -> float:
        return multiarm_power(d, n, k=k, control_share=control_share, alpha=alpha, test=test, m=m) - target

    lo = max((k + 2) * m + 1.0, float(k + 3))
    hi = max(n_z * 2 + 10 * m * (k + 1), lo + 1)
    if gap(lo) >= 0:
        return lo
    return float(optimize.brentq(gap, lo, hi, xtol=1e-4))


def mde_std(
    n_total: float, target: float, *, k: int, control_share: float, alpha: float, test: str, m: float = 1.0
) -> float:
    """Standardized minimum detectable effect per comparison at ``n_total`` units."""

    def gap(d: float) -> float:
        return (
            multiarm_power(d, n_total, k=k, control_share=control_share, alpha=alpha, test=test, m=m) - target
        )

    n_t, n_c = _arm_sizes(n_total, k, control_share)
    hi = 2.0 * (dunnett_critical(k, alpha) + stats.norm.ppf(target)) / math.sqrt(n_t * n_c / (n_t + n_c))
    while gap(hi) < 0:
        hi *= 2.0
    return float(optimize.brentq(gap, 1e-9, hi, xtol=1e-10))


def check_arms(arms: Sequence[str], control_share: float | None) -> tuple[tuple[str, ...], float]:
    """Treatment-arm labels (``control`` dropped if listed, order kept, no duplicates) and the control share."""
    labels = tuple(a.strip() for a in arms if a.strip() and a.strip() != CONTROL)
    if len(labels) < 1 or len(set(labels)) != len(labels) or "treatment" in labels:
        raise SpecError(
            f"need distinct treatment-arm labels other than 'control'/'treatment'; got {list(arms)}",
            hint="e.g. --arms digital,blended,classroom (control is added).",
        )
    share = sqrt_rule_control_share(len(labels)) if control_share is None else control_share
    if not 0 < share < 1:
        raise SpecError(f"control share must be in (0, 1); got {share}", hint="Use e.g. 0.37, or omit it.")
    return labels, share


def whole_arms(n_total: float, k: int, control_share: float, m: float = 1.0) -> tuple[int, int]:
    """Per-arm and control sizes rounded up (to whole clusters of ``m`` when ``m`` is a whole number > 1)."""
    n_t, n_c = _arm_sizes(n_total, k, control_share)
    if m > 1 and float(m).is_integer():
        return (
            math.ceil(n_t / m - 1e-9) * int(m),
            math.ceil(n_c / m - 1e-9) * int(m),
        )
    return math.ceil(n_t - 1e-9), math.ceil(n_c - 1e-9)


def plan_multiarm_power(
    *,
    kpi: str,
    kind: KpiKind,
    effect: float,
    baseline: float,
    arms: Sequence[str],
    sd: float | None = None,
    rho: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    cluster_cv: float = 0.0,
    control_share: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    n_available: int | None = None,
) -> PowerResult:
    """Size a control + k-arm pilot: per-arm n so each arm-vs-control comparison has ``power`` to detect
    ``effect`` at the family-wise ``alpha`` (Dunnett 1955 critical value, square-root allocation).

    ``n_treatment`` is the size of each arm, ``n_control`` the control's; ``power_available`` and
    ``mde_available`` are per comparison at ``n_available`` people split the same way.
    """
    labels, share = check_arms(arms, control_share)
    k = len(labels)
    _check(1 - share, alpha, rho, icc)
    if not 0 < power < 1:
        raise SpecError(f"power must be in (0, 1); got {power}", hint="Use e.g. --power 0.8.")
    test = "t" if kind == "mean" else "z"
    deff = design_effect(cluster_size, icc, cluster_cv)
    shrink = math.sqrt((1 - rho**2) * deff)
    d = standardized_effect(effect, kind=kind, baseline=baseline, sd=sd, rho=rho, deff=deff)
    if d == 0:
        raise SpecError(
            "the assumed effect is zero, so no pilot can detect it",
            hint="Set the hypothesis's assumed effect (the smallest effect worth acting on).",
        )
    m = max(cluster_size, 1.0)
    opts: dict[str, Any] = {"k": k, "control_share": share, "alpha": alpha, "test": test, "m": m}
    n_arm, n_ctrl = whole_arms(n_for_power(d, power, **opts), k, share, m)
    clusters = None
    if cluster_size > 1:
        clusters = k * math.ceil(n_arm / cluster_size - 1e-9) + math.ceil(n_ctrl / cluster_size - 1e-9)
    p_av = mde_av = None
    detectable = True
    advice: tuple[str, ...] = ()
    if n_available is not None:
        if n_available > (k + 2) * m + 1:
            p_av = multiarm_power(d, float(n_available), **opts)
            mde_av = mde_from_std(
                mde_std(float(n_available), power, **opts),
                kind=kind,
                baseline=baseline,
                sd=sd,
                shrink=shrink,
            )
        else:
            p_av, mde_av = 0.0, math.inf
        detectable = p_av >= power
        if not detectable:
            advice = (
                f"Each arm needs about {n_arm:,} people and control {n_ctrl:,} "
                f"({k * n_arm + n_ctrl:,} in all); pool cohorts, lengthen the window or test fewer arms.",
            )
    crit = dunnett_critical(k, alpha, r=(1 - share) / k / ((1 - share) / k + share))
    method = (
        f"{k} arms vs control, Dunnett many-to-one (family-wise alpha {alpha:g}, normal critical value {crit:.3f}), "
        + ("t-test" if kind == "mean" else "z-test (Cohen's h)")
        + f", control share {share:.1%}"
        + (" (square-root rule)" if control_share is None else "")
        + (f", CUPED rho = {rho:.2f}" if rho else "")
        + (f", design effect {deff:.2f} (m = {cluster_size:g}, ICC = {icc:.3f})" if deff != 1 else "")
    )
    return PowerResult(
        kpi=kpi,
        kind=kind,
        effect=effect,
        baseline=baseline,
        sd=sd,
        rho=rho,
        icc=icc,
        cluster_size=cluster_size,
        design_effect=deff,
        allocation=1 - share,
        alpha=alpha,
        target_power=power,
        n_required=k * n_arm + n_ctrl,
        n_treatment=n_arm,
        n_control=n_ctrl,
        clusters_required=clusters,
        n_available=n_available,
        power_available=p_av,
        mde_available=mde_av,
        detectable=detectable,
        advice=advice,
        method=method,
        arms=labels,
        control_share=share,
    )
