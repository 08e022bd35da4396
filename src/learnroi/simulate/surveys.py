"""Reaction (Level 1) and application (Level 3) surveys, their invitations and qualitative observations.

Kirkpatrick's levels (Kirkpatrick & Kirkpatrick 2016, *Four Levels of Training Evaluation*): completers of
every program with a program-level ``pre``/``post`` assessment in the LMS events are invited to a reaction
survey on completion and their managers (HRIS ``manager_id``) to rate the completer's behaviour 30, 60 and
90 days later. Both scores rise with the learner's standardized assessment gain (first post attempt - pre),
so Level 1 and Level 3 correlate with Level 2. Non-response is informative (missing not at random, Rubin
1976): the less satisfied answer less, so respondents' mean satisfaction overstates the invited's; the
truth keeps both. Behaviour is rated on 1-5 where 3 means "no visible change".
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import LAST_DAY

Int = NDArray[np.int64]
Float = NDArray[np.float64]
DAYS_AFTER = (30, 60, 90)
REACTION_RATE, APPLICATION_RATE = 0.66, 0.65
"""Response rates for an average invitee (the realized rates land in 55-70 %)."""
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
    """One program's completers: HRIS row, completion day and standardized assessment gain."""

    program: str
    participants: Int
    person: Int
    done_day: Int
    gain: Float
    z: Float


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
    done = np.full(n, np.iinfo(np.int64).max)
    for target, sel in (
        (pre, (etype == "attempted") & (assess == "pre")),
        (post, (etype == "attempted") & (assess == "post") & (attempt == 1)),
    ):
        who, first = np.unique(person[sel], return_index=True)  # events are in time order: the first wins
        target[who] = score[sel][first]
    post_modules = np.unique(module[assess == "post"])
    sel = (etype == "passed") & np.isin(module, post_modules)
    np.minimum.at(done, person[sel], days[sel])
    ok = np.flatnonzero((done < np.iinfo(np.int64).max) & ~np.isnan(pre) & ~np.isnan(post))
    gain = (post - pre)[ok]
    sd = float(gain.std()) if ok.size > 1 and gain.std() > 0 else 1.0
    return Learners(
        program=program,
        participants=np.unique(person),
        person=ok.astype(np.int64),
        done_day=done[ok].astype(np.int64),
        gain=gain,
        z=(gain - gain.mean()) / sd if ok.size else gain,
    )


def _expit(x: Float) -> Float:
    out: Float = 1.0 / (1.0 + np.exp(-x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _likert(x: Float, step: float) -> Float:
    """Scores on 1-5 in steps of ``step`` (an average of several items)."""
    out: Float = np.clip(np.round(x / step) * step, 1.0, 5.0)
    return out


def reaction(rng: np.random.Generator, lr: Learners, p: People) -> tuple[dict[str, Any], dict[str, Any]]:
    """Level 1: every completer is invited on completion; the less satisfied answer less."""
    k = lr.person.size
    latent = 3.85 + 0.32 * lr.z + 0.55 * rng.standard_normal(k)
    sat = _likert(latent, 0.25)
    rel = _likert(3.7 + 0.7 * (latent - 3.85) + 0.5 * rng.standard_normal(k), 0.25)
    intent = _likert(3.6 + 0.6 * (latent - 3.85) + 0.25 * lr.z + 0.5 * rng.standard_normal(k), 0.25)
    prob = _expit(_logit(REACTION_RATE) + 1.6 * (latent - 3.85))
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


def _stream(seed: int, stream: int, program: str) -> np.random.Generator:
    """One generator per program, so adding a program does not change the others' surveys."""
    return np.random.default_rng([seed, stream, zlib.crc32(program.encode("utf-8"))])


def survey_tables(tables: Mapping[str, pa.Table], seed: int) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """``surveys/reaction.csv``, ``application.csv``, ``invitations.csv``, ``observations.csv`` and the
    truth per program (invited, responded, true means of all invited vs respondents, behaviour change)."""
    events = tables["lms/events.csv"]
    p = people(tables["hris/employees.csv"])
    person = person_index(tables)
    parts: dict[str, list[dict[str, Any]]] = {"reaction": [], "application": [], "invites": []}
    truth: dict[str, Any] = {}
    cohorts: list[Learners] = []
    for prog in assessed_programs(events):
        lr = learners(events, person, prog)
        cohorts.append(lr)
        r, r_truth = reaction(_stream(seed, 70, prog), lr, p)
        a, a_truth = application(_stream(seed, 71, prog), lr, p)
        parts["reaction"].append(r["rows"])
        parts["application"].append(a["rows"])
        parts["invites"] += [r["invites"], a["invites"]]
        truth[prog] = {
            "participants": int(lr.participants.size),
            "completers": int(lr.person.size),
            "mean_gain": float(lr.gain.mean()) if lr.gain.size else None,
            "reaction": r_truth,
            "application": a_truth,
        }
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


OBSERVATION_COLUMNS = [
    "evidence_id",
    "program_id",
    "kpi",
    "author_id",
    "author_role",
    "source_type",
    "recorded_date",
    "stance",
    "note",
]
STANCES = ("supports", "contradicts", "neutral")
STANCE_P = (0.68, 0.2, 0.12)
Note = tuple[str, str, str | None, str]
"""author_role, source_type, kpi (None: not about one KPI), text ({module} / {n} filled in)."""
_NOTE_LINES = """
sales-skills | supports | manager | observation | win_rate | Since the {module} sessions my reps ask more discovery questions before quoting and fewer deals stall after the first call
sales-skills | supports | manager | observation | deal_size | Reps in my team negotiated on value instead of discounting this quarter; average discount fell by about {n} points
sales-skills | supports | participant | interview | revenue | The role-play workshop gave me a way to handle pricing objections that I now use in most calls
sales-skills | supports | participant | focus_group | win_rate | The group agreed {module} was the most useful part; several closed deals they expected to lose
sales-skills | supports | sponsor | document | revenue | Quarterly business review: pilot teams report a fuller pipeline and shorter sales cycles than last year
sales-skills | supports | analyst | document | deal_size | CRM notes of trained reps name next steps and decision makers far more often than before the pilot
sales-skills | supports | customer | interview | - | The customer said the account rep understood their procurement process better than other vendors
sales-skills | supports | manager | observation | revenue | Pipeline reviews are quicker: trained reps keep their opportunities up to date without reminders
sales-skills | contradicts | manager | observation | revenue | No visible change in my team; the reps who closed more were already top performers before the course
sales-skills | contradicts | participant | interview | win_rate | The {module} content felt generic for enterprise deals; I went back to my old approach after a few weeks
sales-skills | contradicts | analyst | document | revenue | Part of the revenue increase in pilot teams coincides with a price change in the same months
sales-skills | contradicts | manager | observation | deal_size | Two trained reps lost large renewals this quarter for reasons unrelated to selling skills
sales-skills | neutral | participant | focus_group | - | Sessions were well run but fitting the classroom days around customer meetings was hard
sales-skills | neutral | analyst | document | - | Too early to tell for reps who completed in the last month; their pipeline has not turned over yet
onboarding | supports | manager | observation | weeks_to_productivity | New hires from the structured pathway handled routine cases on their own after about {n} weeks
onboarding | supports | manager | observation | weeks_to_productivity | Shadowing plus {module} means I spend less time answering basic questions
onboarding | supports | participant | interview | weeks_to_productivity | The {module} module saved me days of trial and error in my first month
onboarding | supports | participant | focus_group | - | New hires said the buddy check-ins made it easier to ask for help early
onboarding | supports | sponsor | document | weeks_to_productivity | HR dashboard review: time to first independent shift is shorter in departments already on the pathway
onboarding | supports | analyst | document | weeks_to_productivity | Ticket data show lower first-month error rates for pathway hires than for earlier cohorts
onboarding | contradicts | manager | observation | weeks_to_productivity | My last two hires took as long as before; the pathway does not cover our local tools
onboarding | contradicts | participant | interview | - | The {module} content repeated what my team lead had already shown me
onboarding | contradicts | analyst | document | weeks_to_productivity | Departments that started the pathway first also hired more experienced people that quarter
onboarding | neutral | participant | focus_group | - | Mixed views on the entry check: useful for some and stressful for others
onboarding | neutral | manager | observation | - | Hard to compare cohorts this year because the team changed its shift pattern
service-blend | supports | manager | observation | escalations | Agents from the programme calm angry callers themselves and hand over far fewer calls
service-blend | supports | participant | interview | csat | The coaching sessions let me practise difficult conversations before taking live calls
service-blend | supports | customer | interview | csat | The customer noted that the agent listened and summarised the problem before proposing a fix
service-blend | supports | analyst | document | escalations | QA call reviews score empathy and ownership higher for trained agents
service-blend | supports | sponsor | document | escalations | Support leadership review: the escalation queue is shorter in teams that finished the programme
service-blend | supports | participant | focus_group | - | Agents valued the community posts where colleagues shared phrases that calm customers down
service-blend | contradicts | manager | observation | escalations | Classroom days took agents off the phones during peak weeks and the backlog grew
service-blend | contradicts | participant | interview | - | Some digital modules were too long; I skipped through {module} without learning much
service-blend | contradicts | analyst | document | csat | CSAT rose in all teams after the new help centre launched; the training may not explain it
service-blend | neutral | manager | observation | - | The effect depends on the agent: experienced agents changed little and new ones a lot
* | supports | manager | observation | - | Team members who completed the programme apply what they learned in their daily work
* | supports | participant | interview | - | The {module} module was practical and easy to apply the next day
* | supports | sponsor | document | - | The business review notes an improvement in the target behaviour since the programme started
* | supports | analyst | document | - | Operational data for trained staff moved in the intended direction after the programme
* | contradicts | manager | observation | - | I see no difference in how trained staff work compared with before
* | contradicts | participant | interview | - | Workload left no time to apply what the course taught
* | neutral | analyst | document | - | Not enough time has passed to judge the effect for the latest completers
"""
"""program (* = any other) | stance | author_role | source_type | kpi (- = none) | note ({module}, {n} filled in)."""


def _parse_notes(text: str) -> dict[str, dict[str, list[Note]]]:
    out: dict[str, dict[str, list[Note]]] = {}
    for line in text.strip().splitlines():
        prog, stance, role, source, kpi, note = (x.strip() for x in line.split("|"))
        out.setdefault(prog, {}).setdefault(stance, []).append(
            (role, source, None if kpi == "-" else kpi, note)
        )
    return out


NOTES = _parse_notes(_NOTE_LINES)
NUMBERS = {"sales-skills": (2, 6), "onboarding": (6, 9)}
LEAD_INS = ("", "", "Follow-up: ", "Team meeting: ", "Monthly check-in: ", "Walk-through: ")
"""Prefixes of some first-hand observations (so repeated templates read as separate notes)."""


def _module_names(catalog: pa.Table | None, program: str) -> list[str]:
    if catalog is None:
        return ["the course"]
    sel = pc.equal(catalog.column("program_id"), program)
    names = [str(n) for n in pc.filter(catalog.column("module_name"), sel).to_pylist() if n]
    names = [n for n in names if "assessment" not in n.lower() and "check" not in n.lower()] or names
    return [n[:1].lower() + n[1:] for n in names] or ["the course"]


def _author(rng: np.random.Generator, role: str, lr: Learners, p: People) -> str | None:
    """A completer, their manager, their manager's manager (sponsor) or an analyst; customers: none."""
    who = int(lr.person[rng.integers(0, lr.person.size)])
    if role == "manager" and p.manager[who] >= 0:
        who = int(p.manager[who])
    elif role == "sponsor" and p.manager[who] >= 0:
        who = int(p.manager[p.manager[who]]) if p.manager[p.manager[who]] >= 0 else int(p.manager[who])
    elif role == "analyst":
        pool = np.flatnonzero(p.role == "analyst")
        who = int(pool[rng.integers(0, pool.size)]) if pool.size else who
    elif role == "customer":
        return None
    return str(p.employee_id[who])


def observation_table(
    cohorts: list[Learners], p: People, catalog: pa.Table | None, seed: int
) -> tuple[pa.Table, dict[str, Any]]:
    """A few dozen short qualitative notes per program, mostly supporting its effect (no personal names)."""
    rows: list[tuple[Any, ...]] = []
    truth: dict[str, Any] = {}
    for lr in cohorts:
        if lr.person.size == 0:
            continue
        rng = _stream(seed, 72, lr.program)
        notes = NOTES.get(lr.program, NOTES["*"])
        mods = _module_names(catalog, lr.program)
        lo_n, hi_n = NUMBERS.get(lr.program, (2, 5))
        first = int(lr.done_day.min()) + 14
        k = int(rng.integers(24, 41))
        stance = rng.choice(len(STANCES), size=k, p=STANCE_P)
        when = np.sort(rng.integers(min(first, LAST_DAY), LAST_DAY + 1, k))
        for i in range(k):  # a few dozen notes: not a hot path
            st = STANCES[int(stance[i])]
            role, source, kpi, text = notes[st][int(rng.integers(0, len(notes[st])))]
            filled = text.format(
                module=mods[int(rng.integers(0, len(mods)))], n=int(rng.integers(lo_n, hi_n + 1))
            )
            lead = LEAD_INS[int(rng.integers(0, len(LEAD_INS)))] if source == "observation" else ""
            note = lead + filled
            rows.append((lr.program, kpi, _author(rng, role, lr, p), role, source, int(when[i]), st, note))
        truth[lr.program] = {s: int((stance == j).sum()) for j, s in enumerate(STANCES)} | {"notes": k}
    cols = list(zip(*rows, strict=True)) if rows else [()] * 8
    table = pa.table(
        {
            "evidence_id": _io.prefixed_ids("OBS-", np.arange(1, len(rows) + 1), 5),
            "program_id": pa.array(cols[0], pa.string()),
            "kpi": pa.array(cols[1], pa.string()),
            "author_id": pa.array(cols[2], pa.string()),
            "author_role": pa.array(cols[3], pa.string()),
            "source_type": pa.array(cols[4], pa.string()),
            "recorded_date": _io.dates(np.asarray(cols[5], dtype=np.int64)),
            "stance": pa.array(cols[6], pa.string()),
            "note": pa.array(cols[7], pa.string()),
        }
    )
    return table, truth


__all__ = [
    "APPLICATION_COLUMNS",
    "INVITATION_COLUMNS",
    "OBSERVATION_COLUMNS",
    "REACTION_COLUMNS",
    "survey_tables",
]
