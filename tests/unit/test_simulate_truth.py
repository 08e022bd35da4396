"""The planted truth's definitions, checked on one in-memory company (no files).

Would catch: a sales ITT that ignores the control arm's crossovers (it then equals the treatment arm's
mean effect, larger than the ITT), effects leaking to reps who never took the program, an onboarding ATT
over the wrong hires, or effects that stop growing with time as the issue requires.
"""

from __future__ import annotations

import numpy as np
import pytest

from learnroi.simulate.onboarding import simulate_onboarding
from learnroi.simulate.people import build_workforce
from learnroi.simulate.sales import WINDOW, simulate_sales

SEED, EMPLOYEES = 11, 4000


@pytest.fixture(scope="module")
def world() -> tuple[object, object, object]:
    w = build_workforce(np.random.default_rng([SEED, 1]), EMPLOYEES)
    return (
        w,
        simulate_sales(np.random.default_rng([SEED, 2]), w),
        simulate_onboarding(np.random.default_rng([SEED, 3]), w),
    )


def test_sales_itt_counts_crossovers(world: tuple) -> None:
    _, p, _ = world
    lo, hi = WINDOW
    t = p.truth()["revenue"]
    rev = p.kpi["revenue"][:, lo:hi]
    mask = ~np.isnan(rev)
    has = mask.any(axis=1) & p.eligible
    per_person = np.array([p.itt_effect["revenue"][i, lo:hi][mask[i]].mean() for i in np.flatnonzero(has)])
    assert t["att"] == pytest.approx(per_person.mean(), rel=1e-12)
    # nobody who never completes has an effect; crossovers make the ITT smaller than the arm's own effect
    never = ~p.completed
    assert np.all(p.effect["revenue"][never] == 0)
    arm_only = np.array(
        [p.effect["revenue"][i, lo:hi][mask[i]].mean() for i in np.flatnonzero(has & p.treat)]
    )
    crossed = has & ~p.treat & p.completed
    assert crossed.sum() > 0
    assert arm_only.mean() > t["att"]
    assert 0 < t["att"] < t["att_completers"]
    prof = t["by_time_since_treatment"]
    assert prof["5"] > prof["2"] > prof["0"]
    assert t["n_units"] == int(has.sum())


def test_onboarding_att_is_over_treated_hires_in_the_window(world: tuple) -> None:
    _, _, o = world
    t = o.truth()["weeks_to_productivity"]
    units = o.treated & o.has_row & ~np.isnan(o.weeks)
    assert t["att"] == pytest.approx(o.effect[units].mean(), rel=1e-12)
    assert np.all(o.effect[~o.treated] == 0)
    assert set(t["by_cohort"]) == {"1", "2", "3", "4"}
    # earlier waves have larger (more negative) effects; effects grow with months since the wave start
    assert t["by_cohort"]["1"] < t["by_cohort"]["4"] < 0
    assert t["by_time_since_treatment"]["9"] < t["by_time_since_treatment"]["0"]
