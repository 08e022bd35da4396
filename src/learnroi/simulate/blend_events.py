"""LMS events and the classroom roster of the ``service-blend`` pilot (vectorized, one pass per arm).

Every learner's pathway is the shared ``sb-core`` modules, then the arm's course, then the program-level
post-assessment. Content modules have a knowledge check before (``module_pre``) and after (``module_post``,
only when the module is completed; scores out of 10). Digital and virtual modules are ``launched``
(completed digital modules are revisited now and then); classroom modules are ``attended`` at a weekly
session (Tuesday: day 1, Thursday: day 2) with a roster row in ``lms/attendance.csv``, where no-shows appear
only (``attended = false``); the community module has ``posted`` events and coaching ``coached`` sessions.
The planted weakest module (``sb-policy``: required, in every arm's pathway) is abandoned by a large share
of the learners who start it and its knowledge check barely moves.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate.blend import ARMS, BlendPilot
from learnroi.simulate.catalog import Modules
from learnroi.simulate.events import (
    ATTEMPTED,
    ATTENDED,
    COACHED,
    COMPLETED,
    DAY,
    ENROLLED,
    FAILED,
    LAUNCHED,
    PASSED,
    POSTED,
    Events,
)
from learnroi.simulate.people import Workforce

WEAKEST_MODULE = "sb-policy"
WEAK_DROP = 0.4
"""Share of the learners who start the weakest module and abandon it (they carry on with the pathway)."""
CHECK_GAIN = {  # expected module_post - module_pre share of max, learning factor 1
    "sb-listening": 0.22,
    "sb-policy": 0.01,
    "sb-deescalation": 0.25,
    "sb-d-scenarios": 0.16,
    "sb-d-micro": 0.12,
    "sb-b-scenarios": 0.2,
    "sb-b-live": 0.3,
    "sb-c-day1": 0.3,
    "sb-c-day2": 0.28,
    "sb-c-clinic": 0.15,
}
PRE_GAIN = (0.0, 8.0, 16.0, 15.0)
"""Expected program post - pre score gain (0-100) per arm, learning factor 1."""
NO_SHOW = 0.08
"""Share of classroom bookings that are a no-show, re-booked to the next week's session."""
ATTENDANCE_COLUMNS = [
    "session_id",
    "program_id",
    "course_id",
    "module_id",
    "session_date",
    "learner_email",
    "attended",
    "minutes",
]


def pathways(mods: Modules) -> dict[int, NDArray[np.int64]]:
    """Per arm index (1..3): module indices in order (sb-core, the arm's course, the post-assessment)."""
    core = np.flatnonzero((mods.course == "sb-core") & (mods.kind != 2))
    post = np.flatnonzero((mods.course == "sb-core") & (mods.kind == 2))
    return {
        a: np.concatenate([core, np.flatnonzero(mods.course == f"sb-{ARMS[a]}"), post]).astype(np.int64)
        for a in range(1, len(ARMS))
    }


class _Parts:
    """Collects event blocks."""

    def __init__(self) -> None:
        self.parts: list[Events] = []

    def add(
        self,
        learner: NDArray[np.int64],
        enrolment: NDArray[np.int64],
        course: NDArray[np.int64],
        module: NDArray[np.int64],
        etype: int | NDArray[np.int64],
        ts: NDArray[np.int64],
        score: NDArray[np.float64] | None = None,
        assessment: int = 0,
        attempt: NDArray[np.int64] | NDArray[np.float64] | None = None,
        duration: NDArray[np.float64] | None = None,
    ) -> None:
        k = ts.size
        self.parts.append(
            Events(
                learner=learner.astype(np.int64),
                enrolment=enrolment.astype(np.int64),
                course=course.astype(np.int64),
                module=module.astype(np.int64),
                event_type=np.broadcast_to(np.asarray(etype, dtype=np.int64), (k,)).copy(),
                ts=ts.astype(np.int64),
                score=np.full(k, np.nan) if score is None else score.astype(np.float64),
                assessment=np.full(k, assessment, dtype=np.int64),
                attempt=np.zeros(k, dtype=np.int64) if attempt is None else attempt.astype(np.int64),
                duration=np.full(k, np.nan) if duration is None else duration.astype(np.float64),
            )
        )


def blend_events(
    rng: np.random.Generator, b: BlendPilot, w: Workforce, mods: Modules, first_id: int
) -> tuple[Events, pa.Table]:
    """All LMS events of the enrolled learners (actual arm) and the classroom roster."""
    out = _Parts()
    roster: list[
        tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]
    ] = []
    enrolled = np.flatnonzero(b.enrolled)
    enrolment_of = np.full(b.agents.size, -1, dtype=np.int64)
    enrolment_of[enrolled] = first_id + np.arange(enrolled.size)
    paths = pathways(mods)
    gain_m = np.array([CHECK_GAIN.get(str(m), 0.0) for m in mods.module])
    for a, path in paths.items():
        sel = enrolled[b.arm[enrolled] == a]
        if sel.size:
            _arm_events(rng, out, roster, b, sel, enrolment_of[sel], a, path, mods, gain_m)
    if not out.parts:
        z = np.zeros(0, dtype=np.int64)
        out.add(z, z, z, z, ENROLLED, z)
    ev = Events.concat(out.parts)
    ev = Events(**{**ev.__dict__, "learner": b.agents[ev.learner]})
    return ev, _roster_table(roster, b, w, mods)


def _arm_events(
    rng: np.random.Generator,
    out: _Parts,
    roster: list[
        tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]
    ],
    b: BlendPilot,
    sel: NDArray[np.int64],
    enr: NDArray[np.int64],
    a: int,
    path: NDArray[np.int64],
    mods: Modules,
    gain_m: NDArray[np.float64],
) -> None:
    n, m = sel.size, path.size
    done = b.completed[sel]
    start = b.enroll_day[sel]
    span = np.maximum(b.complete_day[sel] - start, 0).astype(np.float64) - 3.0
    span = np.where(done, span, 20.0 + rng.integers(0, 40, n))
    reached = np.where(done, m, np.maximum(1, np.floor(b.progress[sel] * (m - 1)))).astype(np.int64)
    gaps = rng.exponential(1.0, (n, m))
    gaps[:, 0] = 0.0
    frac = np.cumsum(gaps, axis=1) / np.maximum(gaps.sum(axis=1, keepdims=True), 1e-9)
    frac[:, -1] = 1.0
    hour = rng.integers(8 * 3600, 17 * 3600, (n, m))
    t_day = start[:, None] + np.floor(frac * span[:, None]).astype(np.int64)
    # classroom modules meet at weekly sessions: day 1 on the Tuesday on or after, day 2 two days later
    modality = mods.modality[path]
    cls = np.flatnonzero(modality == "classroom")
    if cls.size:
        dow = (t_day[:, cls[0]] + 3) % 7  # 1970-01-01 was a Thursday: (day + 3) % 7 == 0 on Mondays
        s1 = t_day[:, cls[0]] + (1 - dow) % 7
        for i, col in enumerate(cls):
            t_day[:, col] = s1 + 2 * i
            hour[:, col] = 9 * 3600
        t_day = np.maximum.accumulate(t_day, axis=1)
    t_mod = t_day * DAY + hour
    j = np.arange(m)[None, :]
    reach = j < reached[:, None]
    mod_done = reach & ((j < reached[:, None] - 1) | done[:, None])
    weak = path == np.flatnonzero(mods.module == WEAKEST_MODULE)[0]
    mod_done[:, weak] &= rng.random((n, int(weak.sum()))) >= WEAK_DROP
    sess = np.round(mods.minutes[path][None, :] * 60.0 * np.exp(0.25 * rng.standard_normal((n, m))))
    pr, pj = np.nonzero(reach)
    pm = path[pj]
    kind = mods.kind[pm]
    course = mods.course_index[pm]
    L, En, t0, s, pdone = sel[pr], enr[pr], t_mod[pr, pj], sess[pr, pj], mod_done[pr, pj]
    lf = b.learning[L]

    # enrolled: once per course, an hour before its first module on the pathway
    _, first_of_course = np.unique(mods.course_index[path], return_index=True)
    f = np.isin(pj, first_of_course)
    out.add(L[f], En[f], course[f], np.full(int(f.sum()), -1), ENROLLED, t0[f] - 3600)

    # program-level pre-assessment (one attempt) and post-assessment (attempts until a pass when done)
    pre_score = np.clip(rng.normal(52.0, 10.0, n), 0.0, 100.0)
    p = kind == 1
    out.add(
        L[p],
        En[p],
        course[p],
        pm[p],
        ATTEMPTED,
        t0[p],
        np.round(pre_score[pr[p]], 1),
        1,
        np.ones(int(p.sum())),
        s[p],
    )
    out.add(
        L[p & pdone],
        En[p & pdone],
        course[p & pdone],
        pm[p & pdone],
        COMPLETED,
        t0[p & pdone] + s[p & pdone].astype(np.int64),
    )
    g = np.flatnonzero(kind == 2)
    if g.size:
        first_try = pre_score[pr[g]] + PRE_GAIN[a] * lf[g] + rng.normal(0.0, 5.0, g.size)
        tries = np.round(np.clip(first_try[:, None] + np.array([0.0, 6.0, 12.0])[None, :], 0.0, 100.0), 1)
        gd = pdone[g]
        ok = tries >= 70.0
        passed_at = np.where(ok.any(axis=1), np.argmax(ok, axis=1), 2)
        tries[~ok.any(axis=1) & gd, 2] = np.round(
            70.0 + rng.uniform(0.0, 10.0, int((~ok.any(axis=1) & gd).sum())), 1
        )
        n_att = np.where(gd, passed_at + 1, 1)
        tries[~gd, 0] = np.minimum(
            tries[~gd, 0], 69.0 - np.round(rng.uniform(0.0, 15.0, int((~gd).sum())), 1)
        )
        tries = np.maximum(tries, 0.0)
        gi = np.repeat(np.arange(g.size), n_att)
        att = np.arange(gi.size) - np.repeat(np.cumsum(n_att) - n_att, n_att) + 1
        sc = tries[gi, att - 1]
        pg = g[gi]
        ats = t0[pg] + (att - 1) * DAY
        adur = np.round(s[pg] * rng.uniform(0.7, 1.2, gi.size))
        out.add(L[pg], En[pg], course[pg], pm[pg], ATTEMPTED, ats, sc, 2, att, adur)
        ends = ats + adur.astype(np.int64)
        out.add(L[pg], En[pg], course[pg], pm[pg], np.where(sc >= 70.0, PASSED, FAILED), ends + 1)
        fin = gd[gi] & (sc >= 70.0)
        out.add(L[pg[fin]], En[pg[fin]], course[pg[fin]], pm[pg[fin]], COMPLETED, ends[fin] + 2)
        # the program is done: every course on the pathway is completed after the post-assessment
        last = ends[fin] + 30
        for c in np.unique(mods.course_index[path]):
            out.add(
                L[pg[fin]],
                En[pg[fin]],
                np.full(int(fin.sum()), c),
                np.full(int(fin.sum()), -1),
                COMPLETED,
                last + c,
            )

    # content modules: knowledge check, the session (launched / attended), completion, check, revisits
    c = kind == 0
    p_pre = np.clip(0.45 + 0.08 * rng.standard_normal(c.sum()), 0.1, 0.9)
    check_dur = rng.uniform(120.0, 420.0, (2, int(c.sum()))).round()
    out.add(
        L[c],
        En[c],
        course[c],
        pm[c],
        ATTEMPTED,
        t0[c] - 600,
        rng.binomial(10, p_pre).astype(float),
        3,
        np.ones(int(c.sum())),
        check_dur[0],
    )
    is_cls = mods.modality[pm] == "classroom"
    lc = c & ~is_cls
    out.add(
        L[lc],
        En[lc],
        course[lc],
        pm[lc],
        LAUNCHED,
        t0[lc],
        duration=np.where(pdone[lc], s[lc], np.round(s[lc] * rng.uniform(0.1, 0.6, int(lc.sum())))),
    )
    # classroom: dropouts at this module are no-shows; some others no-show once and come the week after
    cc = np.flatnonzero(c & is_cls)
    show = pdone[cc]
    noshow_first = show & (rng.random(cc.size) < NO_SHOW)
    s_day = t0[cc] // DAY
    minutes = np.round(s[cc] / 60.0)
    roster.append((L[cc], pm[cc], s_day, show, np.where(show, minutes, 0.0)))
    roster.append(
        (
            L[cc[noshow_first]],
            pm[cc[noshow_first]],
            s_day[noshow_first] - 7,
            np.zeros(int(noshow_first.sum()), bool),
            np.zeros(int(noshow_first.sum())),
        )
    )
    ca = cc[show]
    out.add(L[ca], En[ca], course[ca], pm[ca], ATTENDED, t0[ca], duration=minutes[show] * 60.0)
    cd = c & pdone
    end = t0[cd] + s[cd].astype(np.int64)
    out.add(L[cd], En[cd], course[cd], pm[cd], COMPLETED, end)
    p_post = np.clip(p_pre[pdone[c]] + gain_m[pm[cd]] * lf[cd], 0.02, 0.98)
    post_sc = rng.binomial(10, p_post).astype(float)
    out.add(
        L[cd],
        En[cd],
        course[cd],
        pm[cd],
        ATTEMPTED,
        end + 300,
        post_sc,
        4,
        np.ones(int(cd.sum())),
        check_dur[1][pdone[c]],
    )
    out.add(
        L[cd],
        En[cd],
        course[cd],
        pm[cd],
        np.where(post_sc >= 7, PASSED, FAILED),
        end + 300 + check_dur[1][pdone[c]].astype(np.int64) + 1,
        assessment=4,
    )
    rv = cd & ~is_cls
    rev = np.where(rv, rng.poisson(0.35, rv.size), 0)
    ri = np.repeat(np.arange(rv.size), rev)
    rk = np.arange(ri.size) - np.repeat(np.cumsum(rev) - rev, rev)
    rts = t0[ri] + s[ri].astype(np.int64) + ((rk + 1) * rng.uniform(1.0, 9.0, ri.size) * DAY).astype(np.int64)
    out.add(
        L[ri],
        En[ri],
        course[ri],
        pm[ri],
        LAUNCHED,
        rts,
        duration=np.round(s[ri] * rng.uniform(0.1, 0.4, ri.size)),
    )

    # social: community posts (done after two posts) and two coaching sessions with a team lead
    soc = np.flatnonzero(kind == 4)
    coach = soc[mods.module[pm[soc]] == "sb-b-coaching"]
    comm = soc[mods.module[pm[soc]] != "sb-b-coaching"]
    k_posts = np.where(pdone[comm], 2 + rng.poisson(1.5, comm.size), rng.integers(0, 2, comm.size))
    qi = np.repeat(comm, k_posts)
    qk = np.arange(qi.size) - np.repeat(np.cumsum(k_posts) - k_posts, k_posts)
    qts = t0[qi] + (qk * rng.uniform(2.0, 8.0, qi.size) * DAY).astype(np.int64)
    out.add(
        L[qi], En[qi], course[qi], pm[qi], POSTED, qts, duration=rng.uniform(180.0, 900.0, qi.size).round()
    )
    last_post = np.full(comm.size, 0, dtype=np.int64)
    np.maximum.at(last_post, np.searchsorted(comm, qi), qts)
    cm = pdone[comm]
    out.add(L[comm[cm]], En[comm[cm]], course[comm[cm]], pm[comm[cm]], COMPLETED, last_post[cm] + 60)
    n_sess = np.where(pdone[coach], 2, 1)
    hi_ = np.repeat(coach, n_sess)
    hk = np.arange(hi_.size) - np.repeat(np.cumsum(n_sess) - n_sess, n_sess)
    hts = t0[hi_] + (hk * rng.uniform(7.0, 14.0, hi_.size) * DAY).astype(np.int64)
    hdur = np.round(s[hi_] * rng.uniform(0.8, 1.2, hi_.size))
    out.add(L[hi_], En[hi_], course[hi_], pm[hi_], COACHED, hts, duration=hdur)
    hd = hk == 1
    out.add(
        L[hi_[hd]], En[hi_[hd]], course[hi_[hd]], pm[hi_[hd]], COMPLETED, hts[hd] + hdur[hd].astype(np.int64)
    )


def _roster_table(
    roster: list[
        tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_], NDArray[np.float64]]
    ],
    b: BlendPilot,
    w: Workforce,
    mods: Modules,
) -> pa.Table:
    """``lms/attendance.csv``: one row per booking; sessions after the learner's exit are dropped."""
    if roster:
        who = np.concatenate([r[0] for r in roster])
        mod = np.concatenate([r[1] for r in roster])
        when = np.concatenate([r[2] for r in roster])
        came = np.concatenate([r[3] for r in roster])
        mins = np.concatenate([r[4] for r in roster])
    else:
        who = mod = when = np.zeros(0, dtype=np.int64)
        came, mins = np.zeros(0, dtype=bool), np.zeros(0)
    person = b.agents[who]
    leave = w.exit_day[person]
    keep = (leave < 0) | (when <= leave)
    order = np.lexsort((person[keep], when[keep], mod[keep]))
    person, mod, when = person[keep][order], mod[keep][order], when[keep][order]
    came, mins = came[keep][order], mins[keep][order]
    date_text = when.astype("datetime64[D]").astype(str)
    session = np.char.add(
        np.char.add(np.char.add("SB-", mods.module[mod]), "-"), np.char.replace(date_text, "-", "")
    )
    return pa.table(
        {
            "session_id": pa.array(session),
            "program_id": pa.array(np.full(person.size, "service-blend")),
            "course_id": pa.array(mods.course[mod]),
            "module_id": pa.array(mods.module[mod]),
            "session_date": _io.dates(when),
            "learner_email": pa.array(w.email[person]),
            "attended": pa.array(came, pa.bool_()),
            "minutes": _io.floats(mins, 0),
        }
    )
