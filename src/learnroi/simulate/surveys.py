"""Reaction (Level 1) and application (Level 3) surveys, their invitations and qualitative observations.

Kirkpatrick's levels (Kirkpatrick & Kirkpatrick 2016, *Four Levels of Training Evaluation*): the completers
of every surveyed program (:mod:`learnroi.simulate.cohorts`: programs with a program-level ``pre``/``post``
assessment, and the compliance program, assessed by quizzes only) are invited to a reaction survey on
completion, and their managers (HRIS ``manager_id``) to rate the completer's on-the-job behaviour 30, 60 and
90 days later (for compliance: adherence to the code of conduct and the data rules). Both scores rise with
the learner's standardized Level 2 score (assessment gain, or first-attempt quiz score), so Level 1 and
Level 3 correlate with Level 2. Non-response is informative (missing not at random, Rubin 1976): the less
satisfied answer less, so respondents' mean satisfaction overstates the invited's; the truth keeps both.
Behaviour is rated on 1-5 where 3 means "no visible change". Each program draws from its own random
streams, so adding a program leaves the others' rows unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import LAST_DAY
from learnroi.simulate.cohorts import (
    QUIZ_PROGRAMS,
    Learners,
    People,
    assessed_programs,
    learners,
    people,
    person_index,
    quiz_learners,
    stream,
)
from learnroi.simulate.observations import OBSERVATION_COLUMNS, observation_table

Int = NDArray[np.int64]
Float = NDArray[np.float64]
DAYS_AFTER = (30, 60, 90)
REACTION_RATE, APPLICATION_RATE = 0.66, 0.65
"""Response rates for an average invitee (the realized rates land in 55-70 %)."""
SATISFACTION = 3.85
"""Latent satisfaction of the average completer (1-5)."""
MANDATORY_SATISFACTION = 3.55
"""The same for a mandatory yearly refresher (compliance): liked less, as such courses usually are."""
NO_CHANGE = 3.0
"""The behaviour score meaning 'no visible change' (the truth's behaviour change is the mean minus this)."""
REACTION_COLUMNS = [
    "program_id",
    "respondent_id",
    "response_date",
    "satisfaction",
    "relevance",
    "intent_to_apply",
]
APPLICATION_COLUMNS = [
    "program_id",
    "subject_id",
    "rater_id",
    "rater_role",
    "days_after",
    "behaviour_score",
    "response_date",
]
INVITATION_COLUMNS = ["program_id", "survey", "employee_id", "days_after", "invited_date"]


def _expit(x: Float) -> Float:
    out: Float = 1.0 / (1.0 + np.exp(-x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _likert(x: Float, step: float) -> Float:
    """Scores on 1-5 in steps of ``step`` (an average of several items)."""
    out: Float = np.clip(np.round(x / step) * step, 1.0, 5.0)
    return out


def reaction(
    rng: np.random.Generator, lr: Learners, p: People, mean: float = SATISFACTION
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Level 1: every completer is invited on completion; the less satisfied answer less. ``mean``: the
    average invitee's latent satisfaction (relevance and intent to apply move with it)."""
    k = lr.person.size
    shift = mean - SATISFACTION
    latent = mean + 0.32 * lr.z + 0.55 * rng.standard_normal(k)
    sat = _likert(latent, 0.25)
    rel = _likert(3.7 + shift + 0.7 * (latent - mean) + 0.5 * rng.standard_normal(k), 0.25)
    intent = _likert(3.6 + shift + 0.6 * (latent - mean) + 0.25 * lr.z + 0.5 * rng.standard_normal(k), 0.25)
    prob = _expit(_logit(REACTION_RATE) + 1.6 * (latent - mean))
    answers = rng.random(k) < prob
    resp_day = lr.done_day + rng.geometric(0.35, k) - 1
    can = (resp_day <= LAST_DAY) & (resp_day < p.exit_day[lr.person])
    answers &= can
    rows = {
        "program_id": [lr.program] * int(answers.sum()),
        "respondent_id": p.employee_id[lr.person[answers]],
        "response_date": resp_day[answers],
        "satisfaction": sat[answers],
        "relevance": rel[answers],
        "intent_to_apply": intent[answers],
    }
    invites = {
        "program_id": [lr.program] * k,
        "survey": ["reaction"] * k,
        "employee_id": p.employee_id[lr.person],
        "days_after": np.full(k, -1),
        "invited_date": lr.done_day,
    }
    truth = {
        "invited": k,
        "responded": int(answers.sum()),
        "response_rate": float(answers.mean()) if k else None,
        "expected_response_rate": float((prob * can).mean()) if k else None,
        "mean_satisfaction_invited": float(sat.mean()) if k else None,
        "mean_satisfaction_respondents": float(sat[answers].mean()) if answers.any() else None,
        "corr_satisfaction_gain_invited": _corr(sat, lr.gain),
    }
    return {"rows": rows, "invites": invites}, truth


def application(rng: np.random.Generator, lr: Learners, p: People) -> tuple[dict[str, Any], dict[str, Any]]:
    """Level 3: the manager rates the completer's behaviour 30, 60 and 90 days after completion."""
    k = lr.person.size
    person_effect = 0.4 * lr.z + 0.45 * rng.standard_normal(k)
    mgr = p.manager[lr.person]
    mgr_keen = rng.normal(0.0, 0.5, max(int(p.manager.size), 1))
    cols: dict[str, list[NDArray[Any]]] = {
        c: [] for c in (*APPLICATION_COLUMNS, "invited", "all", "prob", "gain")
    }
    for d, growth in zip(DAYS_AFTER, (0.0, 0.15, 0.25), strict=True):
        inv = lr.done_day + d
        ok = (mgr >= 0) & (inv <= LAST_DAY) & (inv < p.exit_day[lr.person])
        ok &= inv < p.exit_day[np.maximum(mgr, 0)]
        latent = 3.3 + person_effect + growth + 0.35 * rng.standard_normal(k)
        score = _likert(latent, 0.5)
        logit = _logit(APPLICATION_RATE) + 0.7 * (latent - 3.4) + mgr_keen[np.maximum(mgr, 0)]
        resp_day = inv + rng.integers(0, 14, k)
        prob = _expit(logit) * (resp_day <= LAST_DAY)
        answers = ok & (rng.random(k) < prob)
        cols["program_id"].append(np.full(int(ok.sum()), lr.program))
        cols["subject_id"].append(p.employee_id[lr.person[ok]])
        cols["rater_id"].append(p.employee_id[np.maximum(mgr, 0)[ok]])
        cols["rater_role"].append(np.full(int(ok.sum()), "manager"))
        cols["days_after"].append(np.full(int(ok.sum()), d))
        cols["behaviour_score"].append(score[ok])
        cols["response_date"].append(resp_day[ok])
        cols["invited"].append(inv[ok])
        cols["all"].append(answers[ok])
        cols["prob"].append(prob[ok])
        cols["gain"].append(lr.gain[ok])
    c = {name: np.concatenate(v) for name, v in cols.items()}
    ans = c["all"].astype(bool)
    rows = {name: c[name][ans] for name in APPLICATION_COLUMNS}
    n = c["subject_id"].size
    invites = {
        "program_id": c["program_id"],
        "survey": np.full(n, "application"),
        "employee_id": c["subject_id"],
        "days_after": c["days_after"],
        "invited_date": c["invited"],
    }
    score, days = c["behaviour_score"], c["days_after"]
    truth = {
        "rater": "manager",
        "scale": f"1-5, {NO_CHANGE:g} = no visible change",
        "invited": n,
        "responded": int(ans.sum()),
        "response_rate": float(ans.mean()) if n else None,
        "expected_response_rate": float(c["prob"].mean()) if n else None,
        "mean_behaviour_invited": float(score.mean()) if n else None,
        "mean_behaviour_respondents": float(score[ans].mean()) if ans.any() else None,
        "mean_behaviour_change": float(score.mean() - NO_CHANGE) if n else None,
        "by_days_after": {str(d): float(score[days == d].mean()) for d in DAYS_AFTER if (days == d).any()},
        "corr_behaviour_gain_invited": _corr(score, c["gain"]),
    }
    return {"rows": rows, "invites": invites}, truth


def _corr(a: Float, b: Float) -> float | None:
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def _program(
    lr: Learners, p: People, seed: int, parts: dict[str, list[dict[str, Any]]], mean: float
) -> dict[str, Any]:
    """One program's reaction and application surveys (appended to ``parts``) and its truth."""
    r, r_truth = reaction(stream(seed, 70, lr.program), lr, p, mean)
    a, a_truth = application(stream(seed, 71, lr.program), lr, p)
    parts["reaction"].append(r["rows"])
    parts["application"].append(a["rows"])
    parts["invites"] += [r["invites"], a["invites"]]
    level2 = (
        {"level_2": "mean first-attempt quiz score (0-100, no pre-test)", "mean_quiz_score": _mean(lr.gain)}
        if lr.measure == "quiz"
        else {"mean_gain": _mean(lr.gain)}
    )
    return {
        "participants": int(lr.participants.size),
        "completers": int(lr.person.size),
        **level2,
        "reaction": r_truth,
        "application": a_truth,
    }


def _mean(x: Float) -> float | None:
    return float(x.mean()) if x.size else None


def survey_tables(tables: Mapping[str, pa.Table], seed: int) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """``surveys/reaction.csv``, ``application.csv``, ``invitations.csv``, ``observations.csv`` and the
    truth per program (invited, responded, true means of all invited vs respondents, behaviour change).

    Programs with a pre/post assessment come first, in order of appearance in ``lms/events.csv``, then the
    quiz-assessed :data:`~learnroi.simulate.cohorts.QUIZ_PROGRAMS` (their events regenerated from ``seed``).
    """
    events = tables["lms/events.csv"]
    hris = tables["hris/employees.csv"]
    p = people(hris)
    person = person_index(tables)
    parts: dict[str, list[dict[str, Any]]] = {"reaction": [], "application": [], "invites": []}
    cohorts = [learners(events, person, prog) for prog in assessed_programs(events)]
    cohorts += [quiz_learners(hris, seed, prog) for prog in QUIZ_PROGRAMS]
    truth: dict[str, Any] = {}
    for lr in cohorts:
        mean = MANDATORY_SATISFACTION if lr.measure == "quiz" else SATISFACTION
        truth[lr.program] = _program(lr, p, seed, parts, mean)
    obs, obs_truth = observation_table(cohorts, p, tables.get("lms/catalog.csv"), seed)
    for prog, t in obs_truth.items():
        truth.setdefault(prog, {})["observations"] = t
    files = {
        "surveys/reaction.csv": _table(parts["reaction"], REACTION_COLUMNS),
        "surveys/application.csv": _table(parts["application"], APPLICATION_COLUMNS),
        "surveys/invitations.csv": _table(parts["invites"], INVITATION_COLUMNS),
        "surveys/observations.csv": obs,
    }
    return files, truth


_DATES = {"response_date", "invited_date"}
_SCORES = {"satisfaction", "relevance", "intent_to_apply", "behaviour_score"}


def _table(parts: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    data: dict[str, pa.Array] = {}
    for c in columns:
        v = np.concatenate([np.asarray(part[c]) for part in parts]) if parts else np.zeros(0)
        if c in _DATES:
            data[c] = _io.dates(v.astype(np.int64))
        elif c in _SCORES:
            data[c] = _io.floats(v.astype(np.float64), 2)
        elif c == "days_after":
            ints = v.astype(np.int64)
            data[c] = pa.array(ints, pa.int64(), mask=ints < 0)
        else:
            data[c] = pa.array(v.astype(str), pa.string())
    return pa.table(data)


__all__ = [
    "APPLICATION_COLUMNS",
    "INVITATION_COLUMNS",
    "OBSERVATION_COLUMNS",
    "REACTION_COLUMNS",
    "survey_tables",
]
