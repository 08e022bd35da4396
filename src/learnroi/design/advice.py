"""What would make an under-powered pilot able to detect its assumed effect (user journey 6).

Each suggestion re-runs :func:`learnroi.design.power.plan_power` with one lever changed: more people,
pooled cohorts, a longer measurement window (from the KPI's measured variance components), a better
baseline covariate, individual instead of team randomization, an even split.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from learnroi.design.power import PowerResult


def _base_kwargs(r: PowerResult) -> dict[str, Any]:
    return {
        "kpi": r.kpi,
        "kind": r.kind,
        "effect": r.effect,
        "baseline": r.baseline,
        "sd": r.sd,
        "rho": r.rho,
        "icc": r.icc,
        "cluster_size": r.cluster_size,
        "allocation": r.allocation,
        "alpha": r.alpha,
        "power": r.target_power,
    }


def advise(r: PowerResult, context: dict[str, Any]) -> tuple[str, ...]:
    """Plain-words levers for a pilot whose available size falls short of the target power."""
    from learnroi.design.power import plan_power

    n_av = int(r.n_available or 0)
    out: list[str] = []
    if r.mde_available is not None and math.isfinite(r.mde_available):
        out.append(
            f"With {n_av:,} people the smallest effect this pilot can detect is {r.mde_available:,.4g} "
            f"(assumed: {r.effect:,.4g})."
        )
    out.append(f"More people: {r.n_required:,} in total ({max(r.n_required - n_av, 0):,} more).")
    if n_av > 0:
        cohorts = math.ceil(r.n_required / n_av)
        out.append(f"Pool cohorts: run {cohorts} cohorts of this size and analyse them together.")
    windows: dict[int, tuple[float, float]] = context.get("window_sd", {})
    current = int(context.get("measurement_months", 0))
    if r.kind == "mean" and windows:
        found = None
        for months in sorted(k for k in windows if k > current):
            sd_k, rho_k = windows[months]
            alt = plan_power(**{**_base_kwargs(r), "sd": sd_k, "rho": rho_k, "n_available": n_av})
            if alt.detectable:
                found = (months, alt)
                break
        if found:
            out.append(
                f"A longer window: measuring over {found[0]} months (averaging the monthly KPI) reaches "
                f"{found[1].power_available:.0%} power with the people available."
            )
        else:
            out.append(f"A longer window alone is not enough (checked up to {max(windows)} months).")
    if n_av > 0:
        need = 1 - (1 - r.rho**2) * n_av / r.n_required
        if 0 < need < 0.95**2 and math.sqrt(need) > abs(r.rho):
            out.append(
                f"A better covariate: a baseline measure correlated at rho >= {math.sqrt(need):.2f} with the "
                f"outcome (now {r.rho:.2f}) would be enough (CUPED; e.g. a longer baseline window)."
            )
        elif need >= 0.95**2:
            out.append("A better covariate alone is not enough: it would need rho >= 0.95 with the outcome.")
    if r.design_effect > 1:
        ind = plan_power(**{**_base_kwargs(r), "icc": 0.0, "cluster_size": 1.0})
        out.append(
            f"Randomize people rather than clusters if contamination allows: design effect "
            f"{r.design_effect:.2f}; individual randomization needs {ind.n_required:,}."
        )
    if r.allocation != 0.5:
        even = plan_power(**{**_base_kwargs(r), "allocation": 0.5})
        out.append(f"An even split needs {even.n_required:,} instead of {r.n_required:,}.")
    return tuple(out)
