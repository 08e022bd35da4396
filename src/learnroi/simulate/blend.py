"""The ``service-blend`` program: a four-arm randomized pilot of blended learning for support agents.

Design: support agents hired before 2024 and still employed at assignment (2024-06-01) are randomized
within their department to ``control``, ``digital`` (self-paced only), ``blended`` (digital + virtual +
social) or ``classroom`` (classroom-heavy), 1:1:1:1 with a random offset per department; launch 2024-07-01;
evaluation window 2024-07 .. 2024-12. Take-up and completion differ by arm and rise with the unobserved
``motivation``. Completers' escalations per month fall by a relative amount and their CSAT rises by a few
hundredths of a point, scaled by a learning factor and ramping up after the completion month.

Escalations are ``floor(Y0 x (1 - lift) + u)`` with the untreated count ``Y0`` (Poisson) and a uniform ``u``
shared by every potential assignment, so each person-month's effect is exact (as in ``sales.py``).

Retention: support agents leave at a monthly hazard from assignment on (on top of the HRIS's own exits).
A completer's exit that would fall after the evaluation window (from 2025-01-01) is postponed with an
arm-specific probability (one uniform shared by the arms: monotone), so the window's months, and with them
the per-person window means, do not depend on the arm. ``exit_12m`` per arm is the mean over randomized
agents of 1{exit within 12 months of assignment | arm} - 1{... | control} (all four potential exits are
simulated).

The truth per arm (``att``) is the sample ITT against control: the mean over randomized agents with at
least one observed window month of their mean (Y(arm) - Y(control)) over those months; the per-person
difference in means of window KPIs between the arm and control is unbiased for it (the finite-population
estimand of Neyman 1923; Imbens and Rubin 2015, ch. 6), and its Welch interval covers it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from learnroi.simulate._calendar import (
    DAY0,
    LAST_DAY,
    MONTH_END_DAYS,
    MONTH_OF_YEAR,
    MONTH_START_DAYS,
    N_MONTHS,
    day,
    month_index,
)
from learnroi.simulate.people import Workforce
from learnroi.simulate.sales import ramp

PROGRAM = "service-blend"
ARMS = ("control", "digital", "blended", "classroom")
ASSIGNED = "2024-06-01"
LAUNCH = "2024-07-01"
WINDOW = (6, 12)  # month indices 2024-07 .. 2024-12
RETENTION_FROM = "2025-01-01"
FOLLOW_UP_DAYS = 365
KPIS = ("escalations", "csat")
MISSING_SHARE = 0.015
# per arm (control first): take-up and completion (logit intercepts), effect at full ramp and learning
# factor 1 (escalations: relative reduction; csat: points on 1-5), share of later exits prevented,
# days from enrolment to completion (low, high)
TAKE_UP = (0.0, 1.0, 1.8, 1.5)
COMPLETE = (0.0, 0.6, 1.6, 1.3)
EFFECT_ESCALATIONS = (0.0, 0.12, 0.34, 0.32)
EFFECT_CSAT = (0.0, 0.03, 0.12, 0.11)
PREVENT_EXIT = (0.0, 0.10, 0.40, 0.35)
SPAN_DAYS = ((0, 1), (20, 50), (35, 70), (30, 60))
EXIT_HAZARD = 0.02  # per month, support agents' own turnover from assignment on


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    out: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-x))
    return out


@dataclass(frozen=True)
class BlendPilot:
    """The support agents (KPI rows) and the randomized ones with every arm's potential outcomes."""

    agents: NDArray[np.int64]
    """Person index of every support agent (rows of the KPI matrices)."""
    eligible: NDArray[np.bool_]
    arm: NDArray[np.int64]
    """Per agent: index into ARMS (-1 = not randomized)."""
    enrolled: NDArray[np.bool_]
    completed: NDArray[np.bool_]
    enroll_day: NDArray[np.int64]
    complete_day: NDArray[np.int64]
    """Actual enrolment and completion (-1 when none)."""
    learning: NDArray[np.float64]
    progress: NDArray[np.float64]
    """Share of the pathway reached by enrolled non-completers (1 for completers)."""
    completes: NDArray[np.bool_]
    """(agents, arms): potential completion."""
    exit_day: NDArray[np.int64]
    """(agents, arms): potential exit day (-1 = none by 2025-12-31)."""
    kpi: dict[str, NDArray[np.float64]]
    """Observed values (NaN = no value); rows = agents, columns = months."""
    potential: dict[str, NDArray[np.float64]]
    """(arms, agents, months) potential values of each KPI as written (no missing cells)."""

    def truth(self) -> dict[str, Any]:
        return blend_truth(self)


def _randomize(rng: np.random.Generator, strata: NDArray[np.int64], k_arms: int) -> NDArray[np.int64]:
    """Complete randomization to ``k_arms`` arms within each stratum: random order, random first arm."""
    k = strata.size
    order = np.lexsort((rng.random(k), strata))
    s_sorted = strata[order]
    first = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1] if k else np.zeros(0, dtype=np.int64)
    starts = np.repeat(first, np.diff(np.r_[first, k]))
    rank = np.arange(k) - starts
    offset = rng.integers(0, k_arms, int(strata.max()) + 1 if k else 1)
    arm = np.empty(k, dtype=np.int64)
    arm[order] = (rank + offset[s_sorted]) % k_arms
    return arm


def simulate_blend(rng: np.random.Generator, w: Workforce) -> tuple[BlendPilot, Workforce]:
    """The pilot and the workforce with the support agents' exits (own turnover and the training's effect)."""
    agents = np.flatnonzero(w.role == "support").astype(np.int64)
    n, k_arms = agents.size, len(ARMS)
    hire, leave = w.hire_day[agents], w.exit_day[agents]
    eligible = (hire < DAY0) & ((leave < 0) | (leave >= day(ASSIGNED)))
    arm = np.full(n, -1, dtype=np.int64)
    arm[eligible] = _randomize(rng, w.dept[agents][eligible], k_arms)
    u = w.motivation[agents]
    tenure = np.maximum((day(LAUNCH) - hire) / 365.25, 0.05)
    lt = np.log(tenure)
    tz = (lt - lt.mean()) / (lt.std() + 1e-12)

    # potential take-up, completion and dates under every arm (control: no training)
    shape = (n, k_arms)
    take = rng.random(shape) < _sigmoid(np.array(TAKE_UP)[None, :] + 0.9 * u[:, None] + 0.2 * tz[:, None])
    done = take & (rng.random(shape) < _sigmoid(np.array(COMPLETE)[None, :] + 0.8 * u[:, None]))
    take[:, 0] = done[:, 0] = False
    take &= eligible[:, None]
    done &= eligible[:, None]
    lo = np.array([s[0] for s in SPAN_DAYS])[None, :]
    hi = np.array([s[1] for s in SPAN_DAYS])[None, :]
    start = day(LAUNCH) + rng.integers(0, 14, shape)
    finish = start + lo + np.floor(rng.random(shape) * (hi - lo)).astype(np.int64)
    learning = np.clip(1.0 + 0.3 * rng.standard_normal(n), 0.3, 2.0)
    progress = rng.uniform(0.1, 0.85, n)

    # exits: the HRIS exit or the agents' own hazard, whichever comes first; training postpones later exits
    own = day(ASSIGNED) + np.floor(rng.exponential(30.44 / (EXIT_HAZARD * np.exp(-0.3 * u)), n)).astype(
        np.int64
    )
    t0 = np.where(eligible, np.minimum(np.where(leave >= 0, leave, LAST_DAY + 1), own), leave)
    t0 = np.where(eligible & (t0 > LAST_DAY), -1, t0)
    v = rng.random(n)
    postpone = rng.integers(150, 500, n)
    can = (t0 >= day(RETENTION_FROM))[:, None] & done & (finish < t0[:, None])
    kept = can & (v[:, None] < np.array(PREVENT_EXIT)[None, :])
    later = t0[:, None] + postpone[:, None]
    exits = np.where(kept, np.where(later > LAST_DAY, -1, later), t0[:, None])
    actual = np.where(eligible, exits[np.arange(n), np.maximum(arm, 0)], leave)
    new_exit = w.exit_day.copy()
    new_exit[agents] = actual
    w2 = replace(w, exit_day=new_exit)

    # KPIs: escalations (Poisson, fewer for motivated and tenured agents) and CSAT (1-5), with seasonality,
    # department x month shocks and noise; every arm's potential values share the same draws
    n_dept = w.dept_names.size
    d = w.dept[agents]
    moy = MONTH_OF_YEAR[None, :]
    season = 1.0 + 0.15 * np.isin(moy, (11, 12, 1)) - 0.05 * np.isin(moy, (7, 8))
    lam = 7.0 * np.exp(-0.2 * u - 0.1 * tz + 0.3 * rng.standard_normal(n))
    shock = np.exp(0.1 * rng.standard_normal((n_dept, N_MONTHS)))
    y0 = rng.poisson(lam[:, None] * season * shock[d]).astype(np.float64)
    uu = rng.random((n, N_MONTHS))
    c_i = 4.0 + 0.12 * u + 0.15 * rng.standard_normal(n)
    c_shock = 0.05 * rng.standard_normal((n_dept, N_MONTHS))
    c0 = c_i[:, None] + c_shock[d] + 0.12 * rng.standard_normal((n, N_MONTHS))
    pot_e = np.empty((k_arms, n, N_MONTHS))
    pot_c = np.empty((k_arms, n, N_MONTHS))
    for a in range(k_arms):
        k = np.arange(N_MONTHS)[None, :] - month_index(finish[:, a])[:, None]
        lift = np.where(done[:, a][:, None], ramp(k) * learning[:, None], 0.0)
        pot_e[a] = np.floor(y0 * np.maximum(1.0 - EFFECT_ESCALATIONS[a] * lift, 0.0) + uu)
        pot_c[a] = np.round(np.clip(c0 + EFFECT_CSAT[a] * lift, 1.0, 5.0), 2)
    observed = w2.employed_whole_month(MONTH_START_DAYS, MONTH_END_DAYS)[agents]
    a_obs = np.maximum(arm, 0)
    kpi: dict[str, NDArray[np.float64]] = {}
    for name, pot in (("escalations", pot_e), ("csat", pot_c)):
        vals = np.where(observed, pot[a_obs, np.arange(n)], np.nan)
        vals[rng.random((n, N_MONTHS)) < MISSING_SHARE] = np.nan
        kpi[name] = vals
    enrolled = take[np.arange(n), a_obs] & (arm > 0)
    completed = done[np.arange(n), a_obs] & (arm > 0)
    pilot = BlendPilot(
        agents=agents,
        eligible=eligible,
        arm=arm,
        enrolled=enrolled,
        completed=completed,
        enroll_day=np.where(enrolled, start[np.arange(n), a_obs], -1),
        complete_day=np.where(completed, finish[np.arange(n), a_obs], -1),
        learning=learning,
        progress=np.where(completed, 1.0, progress),
        completes=done,
        exit_day=exits,
        kpi=kpi,
        potential={"escalations": pot_e, "csat": pot_c},
    )
    return pilot, w2


def _person_means(values: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    cnt = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: NDArray[np.float64] = np.where(mask, values, 0.0).sum(axis=1) / cnt
    return out


def window_means(b: BlendPilot, name: str) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Per agent: mean observed KPI over the evaluation window, and whether there is at least one month."""
    lo, hi = WINDOW
    v = b.kpi[name][:, lo:hi]
    mask = ~np.isnan(v)
    has: NDArray[np.bool_] = np.any(mask, axis=1)
    return _person_means(v, mask), has


def exited_12m(exit_day: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Left within 12 months of assignment."""
    return (exit_day >= day(ASSIGNED)) & (exit_day < day(ASSIGNED) + FOLLOW_UP_DAYS)


def blend_truth(b: BlendPilot) -> dict[str, Any]:
    """Per arm: ``n`` assigned, ``kpis`` -> ``att`` (sample ITT vs control), ``exit_12m``; pooled ``kpis``."""
    lo, hi = WINDOW
    el = b.eligible
    mask = ~np.isnan(b.kpi["escalations"][:, lo:hi])
    units = el & mask.any(axis=1)
    arms: dict[str, Any] = {}
    gone = exited_12m(b.exit_day)
    for a, name in enumerate(ARMS[1:], start=1):
        kp = {}
        for kpi in KPIS:
            m = ~np.isnan(b.kpi[kpi][:, lo:hi])
            u_k = el & m.any(axis=1)
            diff = b.potential[kpi][a, :, lo:hi] - b.potential[kpi][0, :, lo:hi]
            per = _person_means(diff, m)
            kp[kpi] = {"att": float(per[u_k].mean()), "n_units": int(u_k.sum())}
        arms[name] = {
            "n": int((b.arm == a).sum()),
            "n_units": int((units & (b.arm == a)).sum()),
            "kpis": kp,
            "exit_12m": float(gone[el, a].mean() - gone[el, 0].mean()),
            "completion_rate": float(b.completes[el, a].mean()),
        }
    treated_units = units & (b.arm > 0)
    weights = {
        name: (units & (b.arm == a)).sum() / max(int(treated_units.sum()), 1)
        for a, name in enumerate(ARMS[1:], start=1)
    }
    pooled = {
        kpi: {
            "att": float(sum(weights[name] * arms[name]["kpis"][kpi]["att"] for name in ARMS[1:])),
            "unit": "escalations per agent-month"
            if kpi == "escalations"
            else "CSAT points (1-5) per agent-month",
            "n_units": int(units.sum()),
        }
        for kpi in KPIS
    }
    return {"arms": arms, "kpis": pooled, "exit_12m_control": float(gone[el, 0].mean())}
