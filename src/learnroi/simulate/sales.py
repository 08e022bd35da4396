"""The ``sales-skills`` randomized pilot and the sales reps' monthly KPIs, with their potential outcomes.

Design: individual randomization of eligible sales reps, stratified by department (1:1 within each
department, random offset), assigned 2024-12-01, launch 2025-01-01, 6-month evaluation window.
Compliance is imperfect and selected: take-up in the treatment arm rises with the unobserved
``motivation`` and the observed tenure; a few controls cross over later. Motivation also raises baseline
revenue, so trained-vs-untrained comparisons are biased upward. Completers gain win rate and deal size
(scaled by their learning factor, which also drives their assessment gain), growing with months since
completion. Revenue is deals x deal size, deals = floor(opportunities x win rate + u) with a common
uniform ``u`` under both potential outcomes, so every person-month's true effect is exact.

The truth (``att``) is the sample intention-to-treat effect: the mean over randomized reps with at least
one observed window month of their mean (Y(assigned) - Y(not assigned)) over their observed window months.
Both potential assignments are simulated for every rep (compliance under each arm, completion dates), so
the per-person difference in means of window KPIs by arm is unbiased for it, crossovers included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from learnroi.simulate._calendar import (
    MONTH_END_DAYS,
    MONTH_OF_YEAR,
    MONTH_START_DAYS,
    N_MONTHS,
    day,
    month_index,
)
from learnroi.simulate.people import Workforce

PROGRAM = "sales-skills"
ASSIGNED = "2024-12-01"
LAUNCH = "2025-01-01"
WINDOW = (12, 18)  # month indices 2025-01 .. 2025-06
KPIS = ("revenue", "deal_size", "win_rate", "deals")
EFFECT_DEAL_SIZE = 0.04  # relative, at full effect, learning factor 1
EFFECT_WIN_RATE = 0.02  # absolute, at full effect
RAMP_HALF_MONTHS = 2.0
MISSING_SHARE = 0.015


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


def ramp(months_since: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of the full effect k months after the completion month (k = 0 is that month); 0 before."""
    k = np.asarray(months_since, dtype=np.float64)
    out: NDArray[np.float64] = np.where(k >= 0, 1.0 - 0.5 ** ((k + 1.0) / RAMP_HALF_MONTHS), 0.0)
    return out


@dataclass(frozen=True)
class SalesPilot:
    """Everything about the sales reps: assignment, take-up, KPI matrices (reps x 24 months) and truth."""

    reps: NDArray[np.int64]
    """Person index of every sales rep (rows of the KPI matrices)."""
    eligible: NDArray[np.bool_]
    """Per rep: randomized into the pilot."""
    treat: NDArray[np.bool_]
    """Per rep: assigned to the treatment arm (False for non-randomized reps)."""
    enrolled: NDArray[np.bool_]
    completed: NDArray[np.bool_]
    enroll_day: NDArray[np.int64]
    complete_day: NDArray[np.int64]
    """Actual enrolment and completion (-1 when none)."""
    completes_if_treated: NDArray[np.bool_]
    completes_if_control: NDArray[np.bool_]
    """Potential completion under each assignment (monotone: the second implies the first)."""
    learning: NDArray[np.float64]
    """Learning factor: scales the KPI effect and the assessment gain (the mediator)."""
    progress: NDArray[np.float64]
    """Share of the pathway reached by enrolled non-completers (1 for completers)."""
    kpi: dict[str, NDArray[np.float64]]
    """Observed KPI values (NaN = missing cell); rows = reps, columns = months."""
    observed: NDArray[np.bool_]
    """Rep employed the whole month (a row is written; the value may still be missing)."""
    itt_effect: dict[str, NDArray[np.float64]]
    """Per cell: Y(assigned treatment) - Y(assigned control)."""
    effect: dict[str, NDArray[np.float64]]
    """Per cell: the true effect of the training actually received (0 if none)."""

    def truth(self) -> dict[str, Any]:
        return sales_truth(self)


def _randomize(rng: np.random.Generator, strata: NDArray[np.int64]) -> NDArray[np.bool_]:
    """1:1 complete randomization within each stratum, with a random first arm per stratum."""
    k = strata.size
    order = np.lexsort((rng.random(k), strata))
    s_sorted = strata[order]
    first = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, k]))
    rank = np.arange(k) - starts
    offset = rng.integers(0, 2, int(strata.max()) + 1 if k else 1)
    arm = np.empty(k, dtype=bool)
    arm[order] = (rank + offset[s_sorted]) % 2 == 0
    return arm


def season_revenue() -> NDArray[np.float64]:
    moy = MONTH_OF_YEAR
    out: NDArray[np.float64] = (
        1.0
        + 0.06 * np.sin(2 * np.pi * (moy - 4) / 12)
        + 0.12 * (moy == 12)
        - 0.10 * (moy == 1)
        + 0.05 * (moy == 3)
    )
    return out


def simulate_sales(rng: np.random.Generator, w: Workforce) -> SalesPilot:
    reps = np.flatnonzero(w.role == "sales_rep").astype(np.int64)
    n = reps.size
    hire, leave = w.hire_day[reps], w.exit_day[reps]
    eligible = (hire < day(ASSIGNED)) & ((leave < 0) | (leave >= day(LAUNCH)))
    treat = np.zeros(n, dtype=bool)
    treat[eligible] = _randomize(rng, w.dept[reps][eligible])
    u = w.motivation[reps]
    tenure = np.maximum((day(LAUNCH) - hire) / 365.25, 0.05)
    lt = np.log(tenure)
    tz = (lt - lt.mean()) / (lt.std() + 1e-12)

    # take-up under each potential assignment (monotone: crossovers are a subset of would-be takers)
    e1 = eligible & (rng.random(n) < _sigmoid(1.3 + 1.0 * u + 0.35 * tz))
    c1 = e1 & (rng.random(n) < _sigmoid(1.1 + 0.9 * u + 0.2 * tz))
    cross = rng.random(n) < 0.08
    e0, c0 = e1 & cross, c1 & cross
    enroll1 = day("2025-01-02") + rng.integers(0, 21, n)
    complete1 = enroll1 + 21 + rng.integers(0, 50, n)
    enroll0 = day("2025-02-01") + rng.integers(0, 45, n)
    complete0 = enroll0 + 21 + rng.integers(0, 50, n)
    learning = np.clip(1.0 + 0.35 * rng.standard_normal(n), 0.3, 2.0)
    progress = np.where(c1, 1.0, rng.uniform(0.1, 0.85, n))

    # baseline KPIs: motivation and tenure raise them; seasonality; department x month shocks; ramp-up
    n_dept = w.dept_names.size
    shock_opp = 0.08 * rng.standard_normal((n_dept, N_MONTHS))
    shock_ds = 0.06 * rng.standard_normal((n_dept, N_MONTHS))
    shock_wr = 0.015 * rng.standard_normal((n_dept, N_MONTHS))
    d = w.dept[reps]
    months_in = (MONTH_START_DAYS[None, :] - hire[:, None]) / 30.44
    rampup = np.clip(1.0 - np.exp(-np.maximum(months_in, 0.0) / 3.0), 0.05, 1.0)
    lam = 18.0 * np.exp(0.15 * u + 0.08 * tz + 0.2 * rng.standard_normal(n))
    opps = rng.poisson(lam[:, None] * season_revenue()[None, :] * np.exp(shock_opp[d]) * rampup).astype(
        np.float64
    )
    ds_i = 8000.0 * np.exp(0.12 * u + 0.08 * tz + 0.25 * rng.standard_normal(n))
    ds0 = np.round(ds_i[:, None] * np.exp(shock_ds[d] + 0.10 * rng.standard_normal((n, N_MONTHS))), 2)
    wr_i = 0.25 + 0.03 * u + 0.04 * rng.standard_normal(n)
    wr0 = np.clip(wr_i[:, None] + shock_wr[d] + 0.03 * rng.standard_normal((n, N_MONTHS)), 0.02, 0.8)
    uu = rng.random((n, N_MONTHS))

    def outcomes(done: NDArray[np.bool_], when: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        k = np.arange(N_MONTHS)[None, :] - month_index(when)[:, None]
        lift = np.where(done[:, None], ramp(k) * learning[:, None], 0.0)
        ds = np.round(ds0 * (1.0 + EFFECT_DEAL_SIZE * lift), 2)
        wr = np.minimum(wr0 + EFFECT_WIN_RATE * lift, 0.95)
        deals = np.floor(opps * wr + uu)
        with np.errstate(invalid="ignore", divide="ignore"):
            win = np.where(opps > 0, deals / opps, np.nan)
        return {"revenue": np.round(deals * ds, 2), "deal_size": ds, "win_rate": win, "deals": deals}

    y_none = outcomes(np.zeros(n, dtype=bool), complete1)
    y_t = outcomes(c1, complete1)
    y_c = outcomes(c0, complete0)
    actual_done = np.where(treat, c1, c0)
    actual_when = np.where(treat, complete1, complete0)
    y = outcomes(actual_done, actual_when)

    observed = w.employed_whole_month(MONTH_START_DAYS, MONTH_END_DAYS)[reps]
    kpi: dict[str, NDArray[np.float64]] = {}
    for name in KPIS:
        v = np.where(observed, y[name], np.nan)
        v[rng.random((n, N_MONTHS)) < MISSING_SHARE] = np.nan
        if name == "deal_size":
            v[opps == 0] = np.nan
        kpi[name] = v
    itt = {k: y_t[k] - y_c[k] for k in KPIS}
    eff = {k: y[k] - y_none[k] for k in KPIS}
    enrolled = np.where(treat, e1, e0)
    return SalesPilot(
        reps=reps,
        eligible=eligible,
        treat=treat,
        enrolled=enrolled,
        completed=actual_done,
        enroll_day=np.where(enrolled, np.where(treat, enroll1, enroll0), -1),
        complete_day=np.where(actual_done, actual_when, -1),
        completes_if_treated=c1,
        completes_if_control=c0,
        learning=learning,
        progress=progress,
        kpi=kpi,
        observed=observed,
        itt_effect=itt,
        effect=eff,
    )


def _person_means(
    values: NDArray[np.float64], mask: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    cnt = mask.sum(axis=1)
    tot = np.where(mask, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tot / cnt, cnt > 0


def window_means(p: SalesPilot, name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Per rep: mean observed KPI over the evaluation window, and whether there is at least one month."""
    lo, hi = WINDOW
    v = p.kpi[name][:, lo:hi]
    return _person_means(v, ~np.isnan(v))


def sales_truth(p: SalesPilot) -> dict[str, Any]:
    lo, hi = WINDOW
    out: dict[str, Any] = {}
    for name in ("revenue", "deal_size", "win_rate"):
        mask = ~np.isnan(p.kpi[name][:, lo:hi])
        itt_i, has = _person_means(p.itt_effect[name][:, lo:hi], mask)
        units = p.eligible & has
        itt_cells = np.where(mask & units[:, None], p.itt_effect[name][:, lo:hi], np.nan)
        comp = units & p.treat & p.completed
        first_stage = float(p.completes_if_treated[units].mean() - p.completes_if_control[units].mean())
        eff_i, _ = _person_means(p.effect[name][:, lo:hi], mask)
        k = np.arange(lo, hi)[None, :] - month_index(np.maximum(p.complete_day, 0))[:, None]
        eff_cells = np.where(mask & comp[:, None], p.effect[name][:, lo:hi], np.nan)
        by_k = {}
        for kk in range(0, hi - lo):
            sel = (k == kk) & ~np.isnan(eff_cells)
            if sel.any():
                by_k[str(kk)] = float(eff_cells[sel].mean())
        out[name] = {
            "att": float(itt_i[units].mean()),
            "unit": {"revenue": "currency per person-month", "deal_size": "currency", "win_rate": "share"}[
                name
            ],
            "by_time_since_treatment": {str(j): float(np.nanmean(itt_cells[:, j])) for j in range(hi - lo)},
            "by_cohort": {"2025-01": float(itt_i[units].mean())},
            "att_completers": float(eff_i[comp].mean()) if comp.any() else 0.0,
            "wald_late": float(itt_i[units].mean() / first_stage) if first_stage > 0 else None,
            "by_months_since_completion": by_k,
            "n_units": int(units.sum()),
        }
    return out
