"""Who learns what, when: enrolments for the four programs, the email table, and event tables.

``sales-skills`` and ``onboarding`` enrolments follow the pilot and the roll-out (their assessment gain
scales with each learner's learning factor, the same factor that scales the KPI effect: the mediator).
``compliance`` (required, yearly, everyone plus contractors) and ``product-academy`` (voluntary library)
give the LMS its volume (about 54 events per employee over two years) and are generated in chunks of people.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import DAY0, LAST_DAY, day
from learnroi.simulate.catalog import Modules, modules
from learnroi.simulate.events import (
    ASSESSMENT,
    EVENT_TYPES,
    MODULE_CHECK_MAX,
    Enrolments,
    Events,
    pathway_events,
)
from learnroi.simulate.onboarding import Onboarding
from learnroi.simulate.people import Workforce
from learnroi.simulate.sales import SalesPilot

EVENT_COLUMNS = [
    "event_id",
    "learner_email",
    "program_id",
    "course_id",
    "module_id",
    "event_type",
    "timestamp",
    "score",
    "max_score",
    "assessment",
    "attempt",
    "duration_seconds",
]
CONTRACTOR_SHARE = 0.02
CHUNK_PEOPLE = 20_000
_VARIANTS = 5  # exact, Capitalized, UPPER, " leading space", "Capitalized + trailing space"


def n_contractors(n_people: int) -> int:
    return max(5, round(CONTRACTOR_SHARE * n_people))


def email_table(w: Workforce, rng: np.random.Generator) -> tuple[pa.Array, NDArray[np.int64]]:
    """All LMS spellings of every learner's email, and each learner's usual spelling.

    Row ``v * n_all + i`` holds variant ``v`` of learner ``i``'s address (people first, then contractors,
    who are not in the HRIS). Variant 0 is the HRIS spelling.
    """
    k = n_contractors(w.n)
    contractors = np.char.add(
        np.char.add("ext.learner", np.char.zfill(np.arange(k).astype(str), 5)), "@partner.example"
    )
    base = np.concatenate([w.email, contractors])
    cap = np.char.capitalize(base)
    variants = [base, cap, np.char.upper(base), np.char.add(" ", base), np.char.add(cap, " ")]
    usual = rng.choice(_VARIANTS, size=base.size, p=[0.8, 0.08, 0.04, 0.05, 0.03]).astype(np.int64)
    usual[w.n :] = 0
    return pa.array(np.concatenate(variants)), usual


def sales_enrolments(rng: np.random.Generator, w: Workforce, p: SalesPilot, first_id: int) -> Enrolments:
    mods = modules("sales-skills")
    sel = np.flatnonzero(p.enrolled)
    k = sel.size
    done = p.completed[sel]
    start = p.enroll_day[sel]
    span = np.where(done, p.complete_day[sel] - start, 21 + rng.integers(0, 50, k)).astype(np.float64)
    reached = np.where(done, mods.m, np.maximum(1, np.floor(p.progress[sel] * (mods.m - 1)))).astype(np.int64)
    lf = p.learning[sel]
    return Enrolments(
        learner=p.reps[sel],
        enrolment=first_id + np.arange(k),
        start_day=start.astype(np.int64),
        span_days=span - 3.0,  # post-assessment attempts take up to 3 days; the course completes on the day
        reached=reached,
        done=done,
        pre_score=rng.normal(55.0, 10.0, k),
        gain=15.0 * lf + rng.normal(0.0, 3.0, k),
    )


def onboarding_enrolments(rng: np.random.Generator, o: Onboarding, first_id: int) -> Enrolments:
    mods = modules("onboarding")
    sel = np.flatnonzero(o.treated)
    k = sel.size
    done = o.completed[sel]
    reached = np.where(done, mods.m, rng.integers(1, mods.m - 1, k)).astype(np.int64)
    return Enrolments(
        learner=o.hires[sel],
        enrolment=first_id + np.arange(k),
        start_day=o.enroll_day[sel],
        span_days=rng.uniform(14.0, 35.0, k),
        reached=reached,
        done=done,
        pre_score=rng.normal(45.0, 10.0, k),
        gain=20.0 * o.learning[sel] + rng.normal(0.0, 4.0, k),
    )


def _compliance(
    rng: np.random.Generator,
    learners: NDArray[np.int64],
    hire: NDArray[np.int64],
    leave: NDArray[np.int64],
    first_id: int,
) -> Enrolments:
    mods = modules("compliance")
    parts = []
    for year, campaign in ((2024, "2024-03-01"), (2025, "2025-03-01")):
        start = np.maximum(day(campaign) + rng.integers(0, 30, learners.size), hire + 7)
        ok = (start < day(f"{year}-12-01")) & ((leave < 0) | (leave > start + 45))
        parts.append((learners[ok], start[ok]))
    lr = np.concatenate([p[0] for p in parts])
    st = np.concatenate([p[1] for p in parts])
    k = lr.size
    done = rng.random(k) < 0.92
    return Enrolments(
        learner=lr,
        enrolment=first_id + np.arange(k),
        start_day=st.astype(np.int64),
        span_days=rng.uniform(5.0, 40.0, k),
        reached=np.where(done, mods.m, rng.integers(1, mods.m, k)).astype(np.int64),
        done=done,
        pre_score=rng.normal(70.0, 8.0, k),
        gain=rng.normal(12.0, 4.0, k),
    )


def _academy(
    rng: np.random.Generator,
    learners: NDArray[np.int64],
    hire: NDArray[np.int64],
    leave: NDArray[np.int64],
    first_id: int,
) -> Enrolments:
    mods = modules("product-academy")
    lo = np.maximum(hire, DAY0) + 14
    hi = np.where(leave >= 0, leave, LAST_DAY) - 30
    ok = (rng.random(learners.size) < 0.6) & (hi > lo)
    lr, lo, hi = learners[ok], lo[ok], hi[ok]
    k = lr.size
    start = lo + np.floor(rng.random(k) * (hi - lo)).astype(np.int64)
    reached = np.minimum(1 + rng.poisson(6.0, k), mods.m).astype(np.int64)
    return Enrolments(
        learner=lr,
        enrolment=first_id + np.arange(k),
        start_day=start,
        span_days=rng.uniform(20.0, 150.0, k),
        reached=reached,
        done=np.ones(k, dtype=bool),
        pre_score=np.zeros(k),
        gain=np.zeros(k),
    )


def background_chunks(seed: int, w: Workforce) -> Iterator[tuple[str, Events]]:
    """Compliance and product-academy events, chunk by chunk of learners (people, then contractors)."""
    n_all = w.n + n_contractors(w.n)
    hire = np.concatenate([w.hire_day, np.full(n_all - w.n, day("2023-06-01"))])
    leave = np.concatenate([w.exit_day, np.full(n_all - w.n, -1)])
    next_id = 10_000_000
    for c, lo in enumerate(range(0, n_all, CHUNK_PEOPLE)):
        rng = np.random.default_rng([seed, 11, c])
        ids = np.arange(lo, min(lo + CHUNK_PEOPLE, n_all), dtype=np.int64)
        e = _compliance(rng, ids, hire[ids], leave[ids], next_id)
        next_id += e.learner.size
        yield "compliance", pathway_events(rng, e, modules("compliance"))
        a = _academy(rng, ids[ids < w.n], hire[ids[ids < w.n]], leave[ids[ids < w.n]], next_id)
        next_id += a.learner.size
        yield "product-academy", pathway_events(rng, a, modules("product-academy"))


def _take(values: list[str], index: NDArray[np.int64]) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def event_table(
    ev: Events,
    mods: Modules,
    emails: pa.Array,
    usual: NDArray[np.int64],
    rng: np.random.Generator,
    first_event: int,
) -> tuple[pa.Table, Events]:
    """Sort a program's events by time and lay them out as ``lms/events.csv`` rows (+ the sorted events)."""
    order = np.lexsort((ev.event_type, ev.learner, ev.ts))
    ev = ev.take(order)
    n_all = usual.size
    variant = np.where(rng.random(ev.n) < 0.03, rng.integers(0, _VARIANTS, ev.n), usual[ev.learner])
    email = emails.take(pa.array(variant * n_all + ev.learner))
    courses = mods.courses
    course = _take(list(courses), ev.course)
    module = pa.array([*mods.module.tolist(), None], pa.string()).take(
        pa.array(np.where(ev.module >= 0, ev.module, mods.m))
    )
    is_attempt = ev.attempt > 0
    assess = pa.array([None, *ASSESSMENT[1:]], pa.string()).take(pa.array(ev.assessment))
    table = pa.table(
        {
            "event_id": _io.prefixed_ids("EV", first_event + np.arange(ev.n), 10),
            "learner_email": email,
            "program_id": _take([mods.program], np.zeros(ev.n, dtype=np.int64)),
            "course_id": course,
            "module_id": module,
            "event_type": _take(list(EVENT_TYPES), ev.event_type),
            "timestamp": _io.iso_timestamps(ev.ts),
            "score": _io.floats(ev.score, 1),
            "max_score": _io.floats(
                np.where(is_attempt, np.where(ev.assessment >= 3, MODULE_CHECK_MAX, 100.0), np.nan), 1
            ),
            "assessment": assess,
            "attempt": pa.array(ev.attempt, pa.int64(), mask=~is_attempt),
            "duration_seconds": _io.floats(ev.duration, 0),
        }
    )
    return table, ev
