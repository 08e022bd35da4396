"""The ``onboarding`` program: a staggered roll-out by department over new-hire cohorts.

Departments start in one of four waves (2024-07, 2024-10, 2025-01, 2025-04) or never within the window
(wave 0). Each hire's KPI is ``weeks_to_productivity`` (one value, period = hire month; baseline about 12
weeks) with department effects, seasonality and department x month shocks. Hires in a department after its
wave start are treated; their effect differs by wave and grows with months since the wave start, so
two-way fixed effects with already-treated comparisons is biased (Goodman-Bacon 2021; Callaway and
Sant'Anna 2021). The truth ``att`` is the mean true effect over treated hires in the evaluation window
(2024-07-01 .. 2025-12-31) that have a KPI value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from learnroi.simulate._calendar import DAY0, LAST_DAY, MONTH_OF_YEAR, N_MONTHS, day, month_index
from learnroi.simulate.people import Workforce

PROGRAM = "onboarding"
WAVE_STARTS = ("2024-07-01", "2024-10-01", "2025-01-01", "2025-04-01")
WINDOW_START = "2024-07-01"
WAVE_EFFECT = (-2.0, -1.6, -1.2, -0.9)  # weeks at wave start, learning factor 1
GROWTH_PER_MONTH = -0.12  # weeks per month since the department's wave start
MAX_GROWTH_MONTHS = 12
NON_COMPLETER_SHARE_OF_EFFECT = 0.4


@dataclass(frozen=True)
class Onboarding:
    """One row per new hire of the window (index into the workforce) and the departments' waves."""

    wave: NDArray[np.int64]
    """Per department: 1..4, 0 = never in the window."""
    wave_start_day: NDArray[np.int64]
    """Per department: start day (-1 for wave 0)."""
    hires: NDArray[np.int64]
    hire_wave: NDArray[np.int64]
    """Per hire: the wave of the hire's department."""
    treated: NDArray[np.bool_]
    completed: NDArray[np.bool_]
    enroll_day: NDArray[np.int64]
    learning: NDArray[np.float64]
    event_time: NDArray[np.int64]
    """Months from the department's wave start to the hire month (-1 if not treated)."""
    weeks: NDArray[np.float64]
    """Observed weeks to productivity (NaN = missing value; no row when the hire left within 90 days)."""
    has_row: NDArray[np.bool_]
    effect: NDArray[np.float64]

    def truth(self) -> dict[str, Any]:
        return onboarding_truth(self)


def assign_waves(rng: np.random.Generator, n_dept: int) -> NDArray[np.int64]:
    """Shuffle departments into waves 1..4 and a never-treated group (at least 20 %)."""
    share = np.array([0.2, 0.2, 0.2, 0.2, 0.2])
    counts = np.floor(share * n_dept).astype(int)
    counts[0] += n_dept - counts.sum()
    waves = np.repeat(np.arange(5), counts)
    out: NDArray[np.int64] = rng.permutation(waves).astype(np.int64)
    return out


def simulate_onboarding(rng: np.random.Generator, w: Workforce) -> Onboarding:
    n_dept = w.dept_names.size
    wave = assign_waves(rng, n_dept)
    starts = np.array([-1] + [day(s) for s in WAVE_STARTS], dtype=np.int64)
    wave_start = starts[wave]
    hires = np.flatnonzero((w.hire_day >= DAY0) & (w.hire_day <= LAST_DAY) & ~w.is_manager).astype(np.int64)
    n = hires.size
    d = w.dept[hires]
    hd = w.hire_day[hires]
    treated = (wave[d] > 0) & (hd >= wave_start[d])
    hm = month_index(hd)
    event_time = np.where(treated, hm - month_index(np.maximum(wave_start[d], 0)), -1)
    completed = treated & (rng.random(n) < 0.9)
    learning = np.clip(1.0 + 0.3 * rng.standard_normal(n), 0.3, 2.0)
    enroll_day = np.where(treated, hd + rng.integers(0, 4, n), -1)

    dept_fx = rng.normal(0.0, 1.0, n_dept)
    shock = rng.normal(0.0, 0.7, (n_dept, N_MONTHS))
    moy = MONTH_OF_YEAR
    season = 0.8 * (moy == 12) + 0.5 * (moy == 1) - 0.3 * ((moy >= 6) & (moy <= 8))
    role_fx = np.where(np.char.startswith(w.role[hires], "sales"), 1.0, 0.0)
    base = 12.0 + dept_fx[d] + season[hm] + shock[d, hm] + role_fx + rng.normal(0.0, 1.8, n)
    base = np.maximum(base, 3.0)
    wave_fx = np.r_[0.0, WAVE_EFFECT][wave[d]]
    grow = GROWTH_PER_MONTH * np.minimum(np.maximum(event_time, 0), MAX_GROWTH_MONTHS)
    share = np.where(completed, 1.0, NON_COMPLETER_SHARE_OF_EFFECT)
    effect = np.where(treated, (wave_fx + grow) * learning * share, 0.0)
    effect = np.maximum(effect, 2.0 - base)  # nobody is productive in under 2 weeks
    weeks = np.round(base + effect, 1)
    effect = weeks - np.round(base, 1)  # the effect on the value as written
    leaves = w.exit_day[hires]
    has_row = (leaves < 0) | (leaves - hd > 90)
    weeks = np.where(rng.random(n) < 0.02, np.nan, weeks)
    return Onboarding(
        wave=wave,
        wave_start_day=wave_start,
        hires=hires,
        hire_wave=wave[d],
        treated=treated,
        completed=completed,
        enroll_day=enroll_day,
        learning=learning,
        event_time=event_time,
        weeks=weeks,
        has_row=has_row,
        effect=effect,
    )


def onboarding_truth(o: Onboarding) -> dict[str, Any]:
    """ATT over treated hires with a value, by months since the wave start and by wave (cohort)."""
    units = o.treated & o.has_row & ~np.isnan(o.weeks)
    eff = o.effect[units]
    et = o.event_time[units]
    wv = o.hire_wave[units]
    by_cohort = {str(int(g)): float(eff[wv == g].mean()) for g in np.unique(wv)}
    by_time: dict[str, float] = {}
    for e in np.unique(et):
        by_time[str(int(e))] = float(eff[et == e].mean())
    return {
        "weeks_to_productivity": {
            "att": float(eff.mean()) if eff.size else 0.0,
            "unit": "weeks per hire",
            "by_time_since_treatment": by_time,
            "by_cohort": by_cohort,
            "n_units": int(units.sum()),
        }
    }
