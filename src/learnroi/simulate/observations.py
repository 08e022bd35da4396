"""Qualitative observations (``surveys/observations.csv``): a few dozen short notes per surveyed program.

Managers, participants, sponsors, analysts and customers write what they saw, mostly supporting the
program's effect, some contradicting it, a few neutral (the stance mix is :data:`STANCE_P`). Notes name
a role, never a person, and contain no commas or quotes (the plain CSV writer refuses them). One random
stream per program (:func:`learnroi.simulate.cohorts.stream`), so adding a program leaves the others'
notes unchanged; evidence ids are numbered in cohort order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from learnroi.simulate import _io
from learnroi.simulate._calendar import LAST_DAY
from learnroi.simulate.cohorts import Learners, People, stream

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
compliance | supports | manager | observation | incidents | Since the refresher my team checks the data sharing rules before sending customer files outside the company
compliance | supports | manager | observation | incidents | People now declare gifts and outside roles in the register without being reminded
compliance | supports | participant | interview | - | The scenarios in {module} matched situations I actually face and I knew whom to ask afterwards
compliance | supports | participant | focus_group | incidents | Several people said the privacy quiz showed them rules they had been breaking without knowing
compliance | supports | analyst | document | incidents | The incident register shows fewer data privacy breaches in the months after the campaign
compliance | supports | sponsor | document | incidents | Audit committee minutes: fewer policy breaches reported this year and faster self-reporting
compliance | contradicts | manager | observation | incidents | The same people keep skipping the clean desk rule; the course did not change their habits
compliance | contradicts | participant | interview | - | Clicked through {module} as fast as possible; it is the same course every year
compliance | contradicts | analyst | document | incidents | Part of the drop in incidents may come from the new email filter installed in the same quarter
compliance | neutral | participant | focus_group | - | Mixed views: useful for new joiners and repetitive for people who took it last year
compliance | neutral | analyst | document | - | The incident register changed its categories this year so comparisons need care
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
    names = [n for n in names if not any(w in n.lower() for w in ("assessment", "check", "quiz"))] or names
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
        rng = stream(seed, 72, lr.program)
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


__all__ = ["NOTES", "OBSERVATION_COLUMNS", "STANCES", "observation_table"]
