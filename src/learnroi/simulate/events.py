"""Vectorized LMS event generation for enrolments on a module pathway.

One call turns a batch of enrolments (learner, start, span, modules reached / done, assessment scores)
into event arrays: ``enrolled`` per course reached, ``launched`` sessions (plus revisits after
completion), ``attempted`` assessment attempts followed by ``passed`` / ``failed``, module and course
``completed``. Only launch and attempt events carry ``duration_seconds``, so the sum of durations is the
learner's time (no double counting). All numpy, no per-row Python.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from learnroi.simulate.catalog import PASS_MARK, Modules

EVENT_TYPES = (
    "enrolled",
    "launched",
    "completed",
    "attempted",
    "passed",
    "failed",
    "posted",
    "coached",
    "attended",
)
ENROLLED, LAUNCHED, COMPLETED, ATTEMPTED, PASSED, FAILED, POSTED, COACHED, ATTENDED = range(9)
ASSESSMENT = ("", "pre", "post", "module_pre", "module_post")
MODULE_CHECK_MAX = 10.0
"""``max_score`` of a module-level knowledge check (``module_pre`` / ``module_post``); other attempts: 100."""
DAY = 86_400


@dataclass(frozen=True)
class Enrolments:
    """A batch of enrolments of one program (one element each)."""

    learner: NDArray[np.int64]
    """Index into the email table (people first, then contractors)."""
    enrolment: NDArray[np.int64]
    """A globally unique enrolment number (the xAPI registration is derived from it)."""
    start_day: NDArray[np.int64]
    span_days: NDArray[np.float64]
    """Days from the start to the last module reached on a full pathway."""
    reached: NDArray[np.int64]
    """Modules reached (1..M); the last reached is completed only when ``done``."""
    done: NDArray[np.bool_]
    pre_score: NDArray[np.float64]
    gain: NDArray[np.float64]
    """Expected post - pre score gain (the competency gain the KPI effect works through)."""


@dataclass(frozen=True)
class Events:
    """Event columns; ``module`` = -1 for course-level events."""

    learner: NDArray[np.int64]
    enrolment: NDArray[np.int64]
    course: NDArray[np.int64]
    module: NDArray[np.int64]
    event_type: NDArray[np.int64]
    ts: NDArray[np.int64]
    score: NDArray[np.float64]
    assessment: NDArray[np.int64]
    attempt: NDArray[np.int64]
    duration: NDArray[np.float64]

    @property
    def n(self) -> int:
        return int(self.ts.size)

    def take(self, idx: NDArray[np.int64]) -> Events:
        return Events(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Events)})


def _block(
    learner: NDArray[np.int64],
    enrolment: NDArray[np.int64],
    course: NDArray[np.int64],
    module: NDArray[np.int64],
    etype: int | NDArray[np.int64],
    ts: NDArray[np.int64],
    score: NDArray[np.float64] | None = None,
    assessment: NDArray[np.int64] | None = None,
    attempt: NDArray[np.int64] | None = None,
    duration: NDArray[np.float64] | None = None,
) -> Events:
    k = ts.size
    nan = np.full(k, np.nan)
    zero = np.zeros(k, dtype=np.int64)
    return Events(
        learner=learner,
        enrolment=enrolment,
        course=course,
        module=module,
        event_type=np.broadcast_to(np.asarray(etype, dtype=np.int64), (k,)).copy(),
        ts=ts.astype(np.int64),
        score=nan if score is None else score,
        assessment=zero if assessment is None else assessment,
        attempt=zero if attempt is None else attempt,
        duration=nan if duration is None else duration,
    )


def pathway_events(rng: np.random.Generator, e: Enrolments, mods: Modules) -> Events:
    """All events of a batch of enrolments on ``mods``' pathway."""
    n, m = e.learner.size, mods.m
    if n == 0:
        return _block(*(np.zeros(0, dtype=np.int64),) * 5, np.zeros(0, dtype=np.int64))
    gaps = rng.exponential(1.0, (n, m))
    gaps[:, 0] = 0.0
    frac = np.cumsum(gaps, axis=1) / np.maximum(gaps.sum(axis=1, keepdims=True), 1e-9)
    frac[:, -1] = 1.0  # the last module starts exactly ``span_days`` after the start (no rounding slip)
    hour = rng.integers(8 * 3600, 17 * 3600, (n, m))
    t_mod = (e.start_day[:, None] * DAY + np.floor(frac * e.span_days[:, None]) * DAY + hour).astype(np.int64)
    j = np.arange(m)[None, :]
    reached = j < e.reached[:, None]
    done_mod = reached & ((j < e.reached[:, None] - 1) | e.done[:, None])
    sess = np.round(mods.minutes[None, :] * 60.0 * np.exp(0.3 * rng.standard_normal((n, m))))
    pr, pm = np.nonzero(reached)
    kind = mods.kind[pm]
    cidx = mods.course_index[pm]
    L, En = e.learner[pr], e.enrolment[pr]
    t0 = t_mod[pr, pm]
    s = sess[pr, pm]
    pdone = done_mod[pr, pm]
    parts: list[Events] = []

    # enrolled: once per course reached, an hour before its first module
    first = np.isin(pm, mods.course_first_module())
    parts.append(
        _block(L[first], En[first], cidx[first], np.full(first.sum(), -1), ENROLLED, t0[first] - 3600)
    )

    # content modules: a first session, completion at its end, revisits after completion
    c = kind == 0
    parts.append(_block(L[c], En[c], cidx[c], pm[c], LAUNCHED, t0[c], duration=s[c]))
    cd = c & pdone
    parts.append(_block(L[cd], En[cd], cidx[cd], pm[cd], COMPLETED, t0[cd] + s[cd].astype(np.int64)))
    rev = np.where(cd, rng.poisson(0.45, cd.size), 0)
    ri = np.repeat(np.arange(cd.size), rev)
    rk = np.arange(ri.size) - np.repeat(np.cumsum(rev) - rev, rev)
    rts = t0[ri] + s[ri].astype(np.int64) + ((rk + 1) * rng.uniform(1.0, 9.0, ri.size) * DAY).astype(np.int64)
    rdur = np.round(s[ri] * rng.uniform(0.1, 0.4, ri.size))
    parts.append(_block(L[ri], En[ri], cidx[ri], pm[ri], LAUNCHED, rts, duration=rdur))

    # pre-assessment: one attempt, then the module is completed
    a = kind == 1
    pre = np.round(np.clip(e.pre_score[pr[a]], 0.0, 100.0), 1)
    parts.append(
        _block(
            L[a],
            En[a],
            cidx[a],
            pm[a],
            ATTEMPTED,
            t0[a],
            pre,
            np.full(a.sum(), 1),
            np.ones(a.sum(), np.int64),
            s[a],
        )
    )
    ad = a & pdone
    parts.append(_block(L[ad], En[ad], cidx[ad], pm[ad], COMPLETED, t0[ad] + s[ad].astype(np.int64)))

    # graded assessments (post / quiz): attempts until a pass (at most 3 when done; fails when not done)
    g = np.flatnonzero(kind >= 2)
    mark = PASS_MARK[mods.program]
    first_try = e.pre_score[pr[g]] + e.gain[pr[g]] + rng.normal(0.0, 5.0, g.size)
    tries = (
        first_try[:, None] + np.array([0.0, 5.0, 10.0])[None, :] + np.abs(rng.normal(0.0, 3.0, (g.size, 3)))
    )
    tries = np.round(np.clip(tries, 0.0, 100.0), 1)
    gd = pdone[g]
    passed_at = np.argmax(tries >= mark, axis=1)
    never = ~(tries >= mark).any(axis=1)
    tries[never & gd, 2] = np.round(mark + rng.uniform(0.0, 10.0, (never & gd).sum()), 1)
    passed_at = np.where(never & gd, 2, passed_at)
    n_att = np.where(gd, passed_at + 1, 1 + (rng.random(g.size) < 0.4))
    tries = np.where(gd[:, None], tries, np.minimum(tries, mark - 1.0 - rng.uniform(0.0, 15.0, (g.size, 1))))
    tries = np.round(np.maximum(tries, 0.0), 1)
    gi = np.repeat(np.arange(g.size), n_att)
    att = np.arange(gi.size) - np.repeat(np.cumsum(n_att) - n_att, n_att) + 1
    sc = tries[gi, att - 1]
    pg = g[gi]
    ats = t0[pg] + (att - 1) * DAY
    adur = np.round(s[pg] * rng.uniform(0.7, 1.2, gi.size))
    assess = np.where(kind[pg] == 2, 2, 0)
    parts.append(_block(L[pg], En[pg], cidx[pg], pm[pg], ATTEMPTED, ats, sc, assess, att, adur))
    ok = sc >= mark
    ends = ats + adur.astype(np.int64)
    parts.append(_block(L[pg], En[pg], cidx[pg], pm[pg], np.where(ok, PASSED, FAILED), ends + 1))
    fin = gd[gi] & ok
    parts.append(_block(L[pg[fin]], En[pg[fin]], cidx[pg[fin]], pm[pg[fin]], COMPLETED, ends[fin] + 2))

    # course completed: all of a course's modules done -> after its last module
    last = mods.course_last_module()
    cl = np.isin(pm, last) & pdone
    t_end = np.where(kind >= 2, t0 + 3 * DAY, t0 + s.astype(np.int64))
    parts.append(_block(L[cl], En[cl], cidx[cl], np.full(cl.sum(), -1), COMPLETED, t_end[cl] + 30))
    return Events.concat(parts)


def time_by_learner(ev: Events, n_people: int) -> NDArray[np.float64]:
    """Seconds spent per person (index < n_people); contractors are not people in the HRIS."""
    sel = (ev.learner < n_people) & ~np.isnan(ev.duration)
    out = np.bincount(ev.learner[sel], weights=ev.duration[sel], minlength=n_people)
    return out.astype(np.float64)
