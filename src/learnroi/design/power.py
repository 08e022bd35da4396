"""Power, sample size and minimum detectable effect for a two-arm pilot on a mean or a proportion KPI.

The closed forms are the textbook ones, written out so that one vectorized function covers every
adjustment the planner needs at once (statsmodels' ``TTestIndPower`` / ``NormalIndPower`` take a
standardized effect and two sample sizes; the tests check these functions against them):

* mean KPI: two-sample t-test power from the noncentral t (Cohen 1988, ch. 2), with the outcome
  variance reduced by a pre-period covariate, ``sd**2 * (1 - rho**2)`` (CUPED, Deng et al. 2013, eq. 4);
* proportion KPI: Cohen's arcsine effect size ``h = 2 asin(sqrt p1) - 2 asin(sqrt p0)`` with the normal
  test (Cohen 1988, ch. 6), the same covariate adjustment applied to ``h``;
* cluster randomization: the variance inflated by the design effect ``1 + (m - 1) ICC`` (Donner & Klar
  2000, eq. 3.4), with ``(1 + cv**2) m`` in place of ``m`` for unequal clusters (Eldridge et al. 2006), and
  the t degrees of freedom counted in clusters;
* unequal allocation: a share ``allocation`` of units treated, ``n1 = allocation * n``;
* several treatment arms against one control (``arms``): Dunnett's many-to-one critical value and the
  square-root allocation rule, in :mod:`learnroi.design.multiarm_power`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from learnroi.core.errors import SpecError

KpiKind = Literal["mean", "proportion"]


def design_effect(cluster_size: float = 1.0, icc: float = 0.0, cluster_cv: float = 0.0) -> float:
    """Variance inflation of cluster randomization, ``1 + ((1 + cv^2) m - 1) ICC`` (Eldridge et al. 2006)."""
    m_eff = (1.0 + cluster_cv**2) * cluster_size
    return 1.0 + max(m_eff - 1.0, 0.0) * icc


def _arm_sizes(n_total: Any, allocation: float) -> tuple[Any, Any]:
    return n_total * allocation, n_total * (1.0 - allocation)


def _check(allocation: float, alpha: float, rho: float, icc: float) -> None:
    problems = []
    if not 0 < allocation < 1:
        problems.append(f"allocation must be in (0, 1); got {allocation}")
    if not 0 < alpha < 1:
        problems.append(f"alpha must be in (0, 1); got {alpha}")
    if not -1 < rho < 1:
        problems.append(f"the pre/post correlation must be in (-1, 1); got {rho}")
    if not 0 <= icc < 1:
        problems.append(f"the ICC must be in [0, 1); got {icc}")
    if problems:
        raise SpecError(
            "; ".join(problems), hint="Fix the pilot settings ([pilot] in the spec or the options)."
        )


def standardized_effect(
    effect: float,
    *,
    kind: KpiKind,
    baseline: float,
    sd: float | None = None,
    rho: float = 0.0,
    deff: float = 1.0,
) -> float:
    """The effect in standard units of one unit's adjusted outcome, after CUPED and the design effect.

    Mean KPI: ``effect / (sd sqrt(1 - rho^2) sqrt(deff))``; proportion KPI: Cohen's h of
    ``baseline + effect`` against ``baseline`` divided by the same factor.
    """
    shrink = math.sqrt((1.0 - rho**2) * deff)
    if kind == "mean":
        if sd is None or not sd > 0:
            raise SpecError(
                f"a mean KPI needs a positive standard deviation; got {sd}",
                hint="Ingest the KPI's history (performance data) or pass --sd.",
            )
        return effect / (sd * shrink)
    p1 = baseline + effect
    if not (0 < baseline < 1 and 0 <= p1 <= 1):
        raise SpecError(
            f"a proportion KPI needs 0 < baseline < 1 and 0 <= baseline + effect <= 1; got {baseline}, {effect}",
            hint="Give proportion effects in proportion points (0.03 = three points).",
        )
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(baseline))
    return h / shrink


def power_from_std_effect(
    d: Any,
    n_total: Any,
    *,
    allocation: float = 0.5,
    alpha: float = 0.05,
    test: str = "t",
    units_per_df: float = 1.0,
) -> Any:
    """Two-sided power at standardized effect ``d`` and ``n_total`` units (arrays broadcast).

    ``test="t"``: noncentral t with ``n_total / units_per_df - 2`` degrees of freedom (units_per_df is the
    cluster size, so the df count clusters); ``test="z"``: the normal test. Both tails are counted, as
    statsmodels does.
    """
    d = np.asarray(d, dtype=float)
    n1, n0 = _arm_sizes(np.asarray(n_total, dtype=float), allocation)
    nc = np.abs(d) * np.sqrt(n1 * n0 / (n1 + n0))
    if test == "z":
        crit = stats.norm.isf(alpha / 2)
        return stats.norm.sf(crit - nc) + stats.norm.cdf(-crit - nc)
    df = np.maximum(np.asarray(n_total, dtype=float) / units_per_df - 2.0, 1.0)
    crit = stats.t.isf(alpha / 2, df)
    out = stats.nct.sf(crit, df, nc) + stats.nct.cdf(-crit, df, nc)
    # scipy's noncentral t returns NaN far in the tail, where the power is 1 to machine precision
    return np.where(np.isnan(out), 1.0, out)


@dataclass(frozen=True)
class PowerResult:
    """The planner's answer for one KPI: the size needed, the power and MDE at the size available, advice.

    ``effect`` and ``mde`` are in the KPI's unit (proportion points for a proportion KPI).
    ``detectable`` is False when the units available cannot reach ``target_power``; ``advice`` then says
    what would (more people, a longer window, pooled cohorts, a better covariate).
    """

    kpi: str
    kind: KpiKind
    effect: float
    baseline: float
    sd: float | None
    rho: float
    icc: float
    cluster_size: float
    design_effect: float
    allocation: float
    alpha: float
    target_power: float
    n_required: int
    n_treatment: int
    n_control: int
    clusters_required: int | None
    n_available: int | None
    power_available: float | None
    mde_available: float | None
    detectable: bool
    advice: tuple[str, ...] = ()
    method: str = ""
    arms: tuple[str, ...] = ()
    """Treatment-arm labels of a multi-arm pilot (empty for two arms); ``n_treatment`` is then per arm."""
    control_share: float | None = None

    @property
    def n_per_arm(self) -> dict[str, int]:
        """People per arm, control first (``treatment``/``control`` for a two-arm pilot)."""
        if not self.arms:
            return {"control": self.n_control, "treatment": self.n_treatment}
        return {"control": self.n_control, **dict.fromkeys(self.arms, self.n_treatment)}

    def tidy(self) -> pd.DataFrame:
        rows = [
            ("effect", self.effect),
            ("baseline", self.baseline),
            ("sd", self.sd),
            ("rho", self.rho),
            ("icc", self.icc),
            ("cluster_size", self.cluster_size),
            ("design_effect", self.design_effect),
            ("allocation", self.allocation),
            ("alpha", self.alpha),
            ("target_power", self.target_power),
            ("n_required", self.n_required),
            ("n_treatment", self.n_treatment),
            ("n_control", self.n_control),
            *((f"n_{a}", self.n_treatment) for a in self.arms),
            ("clusters_required", self.clusters_required),
            ("n_available", self.n_available),
            ("power_available", self.power_available),
            ("mde_available", self.mde_available),
        ]
        return pd.DataFrame(
            [{"quantity": q, "value": None if v is None else float(v)} for q, v in rows],
            columns=["quantity", "value"],
        )

    def summary(self) -> str:
        lines = [
            f"{self.kpi} ({self.kind}): assumed effect {self.effect:,.4g} on a baseline of {self.baseline:,.4g}",
            f"  {self.method}",
            f"  needs {self.n_required:,} people ("
            + (
                ", ".join(f"{n:,} {a}" for a, n in self.n_per_arm.items())
                if self.arms
                else f"{self.n_treatment:,} treated, {self.n_control:,} control"
            )
            + ")"
            + (f" in {self.clusters_required:,} clusters" if self.clusters_required else "")
            + f" for {self.target_power:.0%} power at alpha {self.alpha:g}",
        ]
        if self.n_available is not None and self.power_available is not None:
            mde = self.mde_available
            shown = f"{mde:,.4g}" if mde is not None and math.isfinite(mde) else "none (too few units)"
            lines.append(
                f"  with the {self.n_available:,} available: power {self.power_available:.0%}, "
                f"minimum detectable effect {shown}"
            )
        lines.append("  detectable: yes" if self.detectable else "  detectable: NO")
        lines.extend(f"  - {a}" for a in self.advice)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = {f: json_safe(getattr(self, f)) for f in self.__dataclass_fields__}
        out["advice"] = list(self.advice)
        out["arms"] = list(self.arms)
        out["n_per_arm"] = self.n_per_arm
        return out


def json_safe(v: Any) -> Any:
    """Floats that JSON can carry: infinities and NaN become None; numpy scalars become Python ones."""
    if hasattr(v, "item") and not isinstance(v, np.ndarray):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _n_for_power(d: float, target: float, allocation: float, alpha: float, test: str, m: float) -> float:
    """Smallest (continuous) total size with power >= target: normal closed form, then a t root."""
    if d == 0:
        return math.inf
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(target)
    n_z = (z / abs(d)) ** 2 * (1 / allocation + 1 / (1 - allocation))
    if test == "z":
        return float(n_z)

    def gap(n: float) -> float:
        return float(power_from_std_effect(d, n, allocation=allocation, alpha=alpha, units_per_df=m)) - target

    lo = max(2.0 * m + 1.0, 3.0)
    hi = max(n_z * 2 + 10 * m, lo + 1)
    if gap(lo) >= 0:
        return lo
    return float(optimize.brentq(gap, lo, hi, xtol=1e-6))


def _mde_std(n_total: float, target: float, allocation: float, alpha: float, test: str, m: float) -> float:
    def gap(d: float) -> float:
        return (
            float(
                power_from_std_effect(
                    d, n_total, allocation=allocation, alpha=alpha, test=test, units_per_df=m
                )
            )
            - target
        )

    n1, n0 = _arm_sizes(n_total, allocation)
    d_z = (stats.norm.isf(alpha / 2) + stats.norm.ppf(target)) / math.sqrt(n1 * n0 / (n1 + n0))
    hi = 2.0 * d_z
    while gap(hi) < 0:
        hi *= 2.0
    return float(optimize.brentq(gap, 1e-9, hi, xtol=1e-12))


def mde_from_std(std_mde: float, *, kind: KpiKind, baseline: float, sd: float | None, shrink: float) -> float:
    """Convert a standardized MDE back to the KPI's unit (for proportions, the upward effect)."""
    if kind == "mean":
        return std_mde * float(sd or 0.0) * shrink
    phi0 = math.asin(math.sqrt(baseline))
    phi1 = min(phi0 + std_mde * shrink / 2, math.pi / 2)
    return math.sin(phi1) ** 2 - baseline


def plan_power(
    *,
    kpi: str,
    kind: KpiKind,
    effect: float,
    baseline: float,
    sd: float | None = None,
    rho: float = 0.0,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    cluster_cv: float = 0.0,
    allocation: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    n_available: int | None = None,
    advice_context: dict[str, Any] | None = None,
    arms: Sequence[str] | None = None,
    control_share: float | None = None,
) -> PowerResult:
    """Size a two-arm pilot: required n, power and MDE at ``n_available``, and advice when it falls short.

    ``effect`` is absolute, in the KPI's unit (proportion points for proportions); ``rho`` is the pre/post
    correlation used for CUPED (0 for no covariate). Mean KPIs use the t-test, proportions the normal test.
    ``advice_context`` may carry ``{"window_sd": {months: (sd, rho)}}`` from :class:`KpiMoments` so the
    advice can say which longer measurement window would be enough.

    ``arms`` (two or more treatment-arm labels) sizes a multi-arm pilot instead: every arm against one
    control at the family-wise ``alpha``, with ``control_share`` (default: the square-root rule) of the
    units in control; ``allocation`` is then ignored (see :func:`plan_multiarm_power`).
    """
    if arms is not None and len([a for a in arms if a.strip() and a.strip() != "control"]) > 1:
        from learnroi.design.multiarm_power import plan_multiarm_power  # local: it builds on this module

        return plan_multiarm_power(
            kpi=kpi,
            kind=kind,
            effect=effect,
            baseline=baseline,
            arms=arms,
            sd=sd,
            rho=rho,
            icc=icc,
            cluster_size=cluster_size,
            cluster_cv=cluster_cv,
            control_share=control_share,
            alpha=alpha,
            power=power,
            n_available=n_available,
        )
    _check(allocation, alpha, rho, icc)
    if not 0 < power < 1:
        raise SpecError(f"power must be in (0, 1); got {power}", hint="Use e.g. --power 0.8.")
    test = "t" if kind == "mean" else "z"
    deff = design_effect(cluster_size, icc, cluster_cv)
    shrink = math.sqrt((1 - rho**2) * deff)
    d = standardized_effect(effect, kind=kind, baseline=baseline, sd=sd, rho=rho, deff=deff)
    m = max(cluster_size, 1.0)
    n_cont = _n_for_power(d, power, allocation, alpha, test, m)
    if not math.isfinite(n_cont):
        raise SpecError(
            "the assumed effect is zero, so no pilot can detect it",
            hint="Set the hypothesis's assumed effect (the smallest effect worth acting on).",
        )
    n1 = math.ceil(n_cont * allocation - 1e-9)
    n0 = math.ceil(n_cont * (1 - allocation) - 1e-9)
    clusters = None
    if cluster_size > 1:
        k1, k0 = math.ceil(n1 / cluster_size - 1e-9), math.ceil(n0 / cluster_size - 1e-9)
        clusters = k1 + k0
        if float(cluster_size).is_integer():  # whole clusters; an average size (cross-sections) keeps n
            n1, n0 = k1 * int(cluster_size), k0 * int(cluster_size)
    n_req = n1 + n0
    p_av = mde_av = None
    detectable = True
    if n_available is not None:
        p_av = float(
            power_from_std_effect(
                d, n_available, allocation=allocation, alpha=alpha, test=test, units_per_df=m
            )
        )
        if n_available > 2 * m + 1:
            std_mde = _mde_std(float(n_available), power, allocation, alpha, test, m)
            mde_av = mde_from_std(std_mde, kind=kind, baseline=baseline, sd=sd, shrink=shrink)
        else:
            mde_av = math.inf
        detectable = p_av >= power
    method = (
        ("two-sample t-test" if kind == "mean" else "two-proportion z-test (Cohen's h)")
        + (f", CUPED rho = {rho:.2f}" if rho else "")
        + (f", design effect {deff:.2f} (m = {cluster_size:g}, ICC = {icc:.3f})" if deff != 1 else "")
        + (f", allocation {allocation:.0%} treated" if allocation != 0.5 else "")
    )
    result = PowerResult(
        kpi=kpi,
        kind=kind,
        effect=effect,
        baseline=baseline,
        sd=sd,
        rho=rho,
        icc=icc,
        cluster_size=cluster_size,
        design_effect=deff,
        allocation=allocation,
        alpha=alpha,
        target_power=power,
        n_required=n_req,
        n_treatment=n1,
        n_control=n0,
        clusters_required=clusters,
        n_available=n_available,
        power_available=p_av,
        mde_available=mde_av,
        detectable=detectable,
        method=method,
    )
    if detectable:
        return result
    from learnroi.design.advice import advise  # local: advice re-enters plan_power

    return PowerResult(**{**result.__dict__, "advice": advise(result, advice_context or {})})
