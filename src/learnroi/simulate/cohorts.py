"""Who the simulated surveys ask: each surveyed program's completers with a completion day and a Level 2 score.

Two kinds of program (Kirkpatrick & Kirkpatrick 2016, *Four Levels of Training Evaluation*, on matching the
Level 2 measure to the program):

- **pre/post** (:func:`learners`): a program-level ``pre`` and ``post`` assessment in ``lms/events.csv``;
  completers passed the post-assessment module; the Level 2 score is the assessment gain (first post
  attempt - pre).
- **quiz** (:func:`quiz_learners`): the compliance program has graded quizzes but no pre-test; its events
  are the background LMS volume that :func:`learnroi.simulate.simulate_tables` leaves out, so they are
  regenerated from the simulator's own streams (:func:`learnroi.simulate.lms.background_chunks`, as
  :func:`learnroi.simulate.compliance.participant_time` does). A completer passed every quiz; completion
  is the day the last quiz was first passed (the first annual campaign the person finished); the Level 2
  score is the mean first-attempt quiz score (0-100).

Either way ``Learners.z`` is the standardized Level 2 score that the survey answers rise with.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from learnroi.simulate.catalog import KIND_CODE, modules
from learnroi.simulate.compliance import workforce_from_hris
from learnroi.simulate.events import ATTEMPTED, DAY, PASSED
from learnroi.simulate.lms import background_chunks

Int = NDArray[np.int64]
Float = NDArray[np.float64]
QUIZ_PROGRAMS = ("compliance",)
"""Programs of the background LMS volume surveyed on their quiz results (no pre/post assessment)."""
_NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class People:
    """HRIS columns the surveys need, as arrays (index = HRIS row)."""

    employee_id: NDArray[np.str_]
    manager: Int
    """HRIS row of the manager, -1 when none."""
    exit_day: Int
    """Days since 1970; a large number while employed."""
    department: NDArray[np.str_]
    role: NDArray[np.str_]


@dataclass(frozen=True)
class Learners:
    """One program's completers: HRIS row, completion day and Level 2 score (raw and standardized)."""

    program: str
    participants: Int
    person: Int
    done_day: Int
    gain: Float
    """Pre/post programs: first post attempt - pre score; quiz programs: mean first-attempt quiz score."""
    z: Float
    measure: str = "gain"
    """``gain`` (post - pre) or ``quiz`` (first-attempt quiz score, no pre-test)."""


def people(hris: pa.Table) -> People:
    ids = hris.column("employee_id").to_numpy(zero_copy_only=False).astype(str)
    mgr = pc.index_in(hris.column("manager_id"), value_set=hris.column("employee_id"))
    exit_days = pc.fill_null(pc.cast(hris.column("exit_date"), pa.int32()), 10**7).to_numpy(
        zero_copy_only=False
    )
    return People(
        employee_id=ids,
        manager=np.asarray(pc.fill_null(mgr, -1).to_numpy(zero_copy_only=False), dtype=np.int64),
        exit_day=np.asarray(exit_days, dtype=np.int64),
        department=hris.column("department").to_numpy(zero_copy_only=False).astype(str),
        role=hris.column("role").to_numpy(zero_copy_only=False).astype(str),
    )


def _key(values: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


def person_index(tables: Mapping[str, pa.Table]) -> Int:
    """HRIS row of each LMS event's learner (email in any spelling, or an identity link), -1 if unknown."""
    hris = tables["hris/employees.csv"]
    keys = [_key(hris.column("email"))]
    rows = [np.arange(hris.num_rows)]
    links = tables.get("hris/identity_links.csv")
    if links is not None:
        keys.append(_key(pc.cast(links.column("identity_key"), pa.string())))
        rows.append(
            np.asarray(
                pc.fill_null(
                    pc.index_in(links.column("employee_id"), value_set=hris.column("employee_id")), -1
                ).to_numpy(zero_copy_only=False),
                dtype=np.int64,
            )
        )
    value_set = pa.concat_arrays([k.combine_chunks() if isinstance(k, pa.ChunkedArray) else k for k in keys])
    row_of = np.concatenate(rows)
    hit = pc.index_in(_key(tables["lms/events.csv"].column("learner_email")), value_set=value_set)
    idx = np.asarray(pc.fill_null(hit, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.where(idx >= 0, row_of[np.maximum(idx, 0)], -1)


def epoch_days(timestamps: pa.ChunkedArray) -> Int:
    """ISO timestamps -> days since 1970 (the date part)."""
    text = pc.utf8_slice_codeunits(timestamps, 0, 10).to_numpy(zero_copy_only=False)
    return np.asarray(text.astype("datetime64[D]").astype(np.int64), dtype=np.int64)


def assessed_programs(events: pa.Table) -> list[str]:
    """Programs with a program-level ``pre`` or ``post`` assessment, in order of first appearance."""
    sel = pc.is_in(events.column("assessment"), value_set=pa.array(["pre", "post"]))
    progs = pc.filter(events.column("program_id"), pc.fill_null(sel, False))
    return list(dict.fromkeys(progs.to_pylist()))


def _standardized(x: Float) -> Float:
    sd = float(x.std()) if x.size > 1 and x.std() > 0 else 1.0
    out: Float = (x - x.mean()) / sd if x.size else x
    return out


def learners(events: pa.Table, person: Int, program: str) -> Learners:
    """Completers (passed the post-assessment module) with a pre score and a first post attempt."""
    keep = np.asarray(pc.equal(events.column("program_id"), program).to_numpy(zero_copy_only=False), bool)
    keep &= person >= 0
    ev = events.filter(pa.array(keep))
    person = person[keep]
    etype = ev.column("event_type").to_numpy(zero_copy_only=False).astype(str)
    assess = pc.fill_null(ev.column("assessment"), "").to_numpy(zero_copy_only=False).astype(str)
    module = pc.fill_null(ev.column("module_id"), "").to_numpy(zero_copy_only=False).astype(str)
    attempt = pc.fill_null(ev.column("attempt"), 0).to_numpy(zero_copy_only=False)
    score = pc.fill_null(ev.column("score"), np.nan).to_numpy(zero_copy_only=False)
    days = epoch_days(ev.column("timestamp"))
    n = person.size and int(person.max()) + 1
    pre = np.full(n, np.nan)
    post = np.full(n, np.nan)
    done = np.full(n, _NEVER)
    for target, sel in (
        (pre, (etype == "attempted") & (assess == "pre")),
        (post, (etype == "attempted") & (assess == "post") & (attempt == 1)),
    ):
        who, first = np.unique(person[sel], return_index=True)  # events are in time order: the first wins
        target[who] = score[sel][first]
    post_modules = np.unique(module[assess == "post"])
    sel = (etype == "passed") & np.isin(module, post_modules)
    np.minimum.at(done, person[sel], days[sel])
    ok = np.flatnonzero((done < _NEVER) & ~np.isnan(pre) & ~np.isnan(post))
    gain = (post - pre)[ok]
    return Learners(
        program=program,
        participants=np.unique(person),
        person=ok.astype(np.int64),
        done_day=done[ok].astype(np.int64),
        gain=gain,
        z=_standardized(gain),
    )


def quiz_learners(hris: pa.Table, seed: int, program: str) -> Learners:
    """Completers of a quiz program (every quiz passed) from its regenerated events; nothing after a
    person's exit is kept (as ``EventBook.table`` writes them) and contractors (no HRIS row) are left out."""
    w = workforce_from_hris(hris)
    mods = modules(program)
    quiz = np.flatnonzero(mods.kind == KIND_CODE["quiz"])
    slot = np.full(mods.m, -1, dtype=np.int64)
    slot[quiz] = np.arange(quiz.size)
    first_score = np.full(w.n * quiz.size, np.nan)
    first_pass = np.full(w.n * quiz.size, _NEVER)
    took_part = np.zeros(w.n, dtype=bool)
    for prog, ev in background_chunks(seed, w):
        if prog != program:
            continue
        mine = ev.learner < w.n
        leave = w.exit_day[np.where(mine, ev.learner, 0)]
        ev = ev.take(np.flatnonzero(mine & ((leave < 0) | (ev.ts < (leave + 1) * DAY))))
        took_part[ev.learner] = True
        cell = ev.learner * quiz.size + slot[np.maximum(ev.module, 0)]
        on_quiz = (ev.module >= 0) & (slot[np.maximum(ev.module, 0)] >= 0)
        att = np.flatnonzero(on_quiz & (ev.event_type == ATTEMPTED))
        att = att[np.argsort(ev.ts[att], kind="stable")]
        first, at = np.unique(cell[att], return_index=True)  # each (person, quiz)'s earliest attempt
        first_score[first] = ev.score[att[at]]
        ok = np.flatnonzero(on_quiz & (ev.event_type == PASSED))
        np.minimum.at(first_pass, cell[ok], ev.ts[ok] // DAY)
    passed = first_pass.reshape(w.n, quiz.size)
    done = np.flatnonzero((passed < _NEVER).all(axis=1))
    score = np.nanmean(first_score.reshape(w.n, quiz.size)[done], axis=1) if done.size else np.zeros(0)
    return Learners(
        program=program,
        participants=np.flatnonzero(took_part).astype(np.int64),
        person=done.astype(np.int64),
        done_day=passed[done].max(axis=1).astype(np.int64),
        gain=score,
        z=_standardized(score),
        measure="quiz",
    )


def stream(seed: int, stream: int, program: str) -> np.random.Generator:
    """One generator per program, so adding a program does not change the others' surveys."""
    return np.random.default_rng([seed, stream, zlib.crc32(program.encode("utf-8"))])


__all__ = [
    "QUIZ_PROGRAMS",
    "Learners",
    "People",
    "assessed_programs",
    "learners",
    "people",
    "person_index",
    "quiz_learners",
    "stream",
]
