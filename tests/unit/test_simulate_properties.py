"""Invariants of the generating functions over seeds and sizes (Hypothesis drives the seeds).

Would catch: LMS completion dates that disagree with the completion the KPI effect counts from, a
manager chain with a cycle or a non-manager as manager, an exit before a hire, a stratum whose arms
differ by more than one rep, LMS events that break the funnel (a pass without an attempt, a completion
before its launch, a duration on an event type that must not carry one).
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnroi.simulate.catalog import modules
from learnroi.simulate.events import ATTEMPTED, COMPLETED, FAILED, LAUNCHED, PASSED, pathway_events
from learnroi.simulate.lms import sales_enrolments
from learnroi.simulate.people import build_workforce
from learnroi.simulate.sales import simulate_sales

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), employees=st.integers(300, 3000))
def test_workforce_and_randomization_invariants(seed: int, employees: int) -> None:
    w = build_workforce(np.random.default_rng(seed), employees)
    assert w.n == employees
    assert np.unique(w.dept).size >= 30
    assert ((w.exit_day < 0) | (w.exit_day > w.hire_day)).all()
    top = np.flatnonzero(w.manager < 0)
    assert top.tolist() == [0]
    assert w.is_manager[w.manager[w.manager >= 0]].all()
    node = np.arange(w.n)  # following managers reaches the top within a few steps: no cycles
    for _ in range(4):
        node = np.where(node >= 0, w.manager[np.maximum(node, 0)], -1)
    assert (node < 0).all()
    p = simulate_sales(np.random.default_rng(seed + 1), w)
    d = w.dept[p.reps][p.eligible]
    t = p.treat[p.eligible]
    diff = np.bincount(d, t.astype(int)) - np.bincount(d, (~t).astype(int))
    assert np.abs(diff).max() <= 1
    assert not p.treat[~p.eligible].any()
    assert (p.completes_if_treated | ~p.completes_if_control).all()  # monotone take-up


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_event_funnel_invariants(seed: int) -> None:
    rng = np.random.default_rng(seed)
    w = build_workforce(rng, 800)
    p = simulate_sales(rng, w)
    ev = pathway_events(rng, sales_enrolments(rng, w, p, 1), modules("sales-skills"))
    # the LMS completes the program on the day the KPI effect starts counting from
    last = (ev.event_type == COMPLETED) & (ev.module < 0) & (ev.course == ev.course.max())
    rep = np.flatnonzero(p.enrolled)[ev.enrolment[last] - 1]
    assert (ev.ts[last] // 86_400 == p.complete_day[rep]).all()
    assert p.completed[rep].all()
    assert np.unique(ev.enrolment[last]).size == p.completed.sum()
    has_dur = ~np.isnan(ev.duration)
    assert set(np.unique(ev.event_type[has_dur])) <= {LAUNCHED, ATTEMPTED}
    assert (ev.duration[has_dur] > 0).all()
    att = ev.event_type == ATTEMPTED
    assert (~np.isnan(ev.score[att])).all()
    assert np.isnan(ev.score[~att]).all()
    graded = (ev.event_type == PASSED) | (ev.event_type == FAILED)
    graded_attempts = att & (ev.assessment == 2)
    assert graded.sum() == graded_attempts.sum()
    key = ev.enrolment * 100 + ev.module
    started = (ev.event_type == LAUNCHED) | att
    first_start: dict[int, int] = {}
    for k, t in zip(key[started].tolist(), ev.ts[started].tolist(), strict=True):
        first_start[k] = min(first_start.get(k, t), t)
    done = (ev.event_type == COMPLETED) & (ev.module >= 0)
    assert all(t >= first_start[k] for k, t in zip(key[done].tolist(), ev.ts[done].tolist(), strict=True))
    # a post-assessment is passed at most once per enrolment
    assert (np.bincount(ev.enrolment[ev.event_type == PASSED]) <= 1).all()
