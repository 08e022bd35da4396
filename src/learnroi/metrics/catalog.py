"""The KPI catalog: every learning KPI defined once, with its unit, grain, direction and evaluation level.

Levels follow Kirkpatrick's four levels (Kirkpatrick & Kirkpatrick 2006, *Evaluating Training Programs*,
3rd ed.) extended by Phillips' level 0 (inputs: reach, cost) and level 5 (ROI) (Phillips & Phillips 2016,
*Handbook of Training Evaluation and Measurement Methods*, 4th ed.). Business KPIs (level 4: revenue,
errors, weeks to productivity…) are not computed here; they come from ``performance`` through the
analysis panel (:mod:`learnroi.metrics.panel`).

How each value is computed (one place, so the DuckDB and Spark runs cannot disagree) is in
:mod:`learnroi.metrics.kpis`; the long explanation is ``docs/explanation/kpi-catalog.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnroi.core.errors import UsageError
from learnroi.core.options import Direction

LEVELS: dict[int, str] = {
    0: "Input (Phillips level 0)",
    1: "Reaction and engagement (Kirkpatrick level 1)",
    2: "Learning (Kirkpatrick level 2)",
    3: "Application and behaviour (Kirkpatrick level 3)",
    4: "Business impact (Kirkpatrick level 4)",
    5: "ROI (Phillips level 5)",
}

LEARNER_GRAINS: tuple[str, ...] = (
    "program",
    "course",
    "module",
    "modality",
    "cohort",
    "department",
    "period",
    "learner",
)
"""Grains every learner-based KPI supports (``period`` = the month of the learner's first event in the unit,
``cohort`` = the learner's hire month from HRIS, ``module`` = one catalog module, ``modality`` = the modules of
one catalog modality, ``learner`` = one row per learner, access-logged)."""
NOT_PER_MODULE: tuple[str, ...] = tuple(g for g in LEARNER_GRAINS if g != "module")
"""Grains of KPIs that count modules (one module always counts one)."""
PROGRAM_GRAINS: tuple[str, ...] = ("program", "cohort", "department", "period", "learner")
"""Grains of KPIs defined over a whole program (a pathway or a hire-to-threshold time is not per course)."""


@dataclass(frozen=True)
class KpiDef:
    """One KPI: what it means, its unit, the grains it is computable at, and which way is good."""

    name: str
    definition: str
    unit: str
    direction: Direction
    level: int
    grains: tuple[str, ...] = LEARNER_GRAINS
    people: str = "learners"
    """Who ``n`` counts (the people the cell aggregates over, used for small-cell suppression)."""

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "definition": self.definition,
            "unit": self.unit,
            "direction": self.direction,
            "level": self.level,
            "level_name": self.level_name,
            "grains": list(self.grains),
            "people": self.people,
        }


_CATALOG: tuple[KpiDef, ...] = (
    KpiDef(
        "reach",
        "Distinct learners with any event in the unit (an enrolment is implied by any later activity).",
        "learners",
        "increase",
        0,
    ),
    KpiDef(
        "adoption_rate",
        "Share of the target audience (the treatment arm, the departments in a roll-out wave, or else all "
        "employees) who launched at least one activity of the program.",
        "share",
        "increase",
        0,
        ("program", "cohort", "department", "learner"),
        "audience members",
    ),
    KpiDef(
        "launch_rate",
        "Funnel: share of enrolled learners who launched at least one activity.",
        "share",
        "increase",
        1,
    ),
    KpiDef(
        "completion_rate",
        "Funnel: share of enrolled learners who completed the unit (a unit-level `completed` event, or every "
        "required module of the unit completed) after launching it.",
        "share",
        "increase",
        1,
    ),
    KpiDef(
        "pass_rate",
        "Funnel: share of completers who also passed an assessment of the unit.",
        "share",
        "increase",
        2,
        people="completers",
    ),
    KpiDef(
        "pathway_completion_rate",
        "Share of (learner, pathway) pairs, for pathways the learner started, with every required module of the "
        "pathway completed.",
        "share",
        "increase",
        1,
        PROGRAM_GRAINS,
    ),
    KpiDef(
        "distinct_activities_per_learner",
        "Mean number of distinct modules a learner launched, completed or attempted (engagement depth).",
        "activities per learner",
        "increase",
        1,
        NOT_PER_MODULE,
    ),
    KpiDef(
        "active_minutes_per_learner",
        "Mean over learners of the summed `duration_seconds` of their events, in minutes (engagement depth).",
        "minutes per learner",
        "increase",
        1,
    ),
    KpiDef(
        "revisit_rate",
        "Share of launched (learner, module) pairs launched more than once (content revisits).",
        "share",
        "increase",
        1,
    ),
    KpiDef(
        "pre_score_mean",
        "Mean pre-assessment score, as a share of the maximum score (each module's first pre attempt, "
        "averaged over a learner's modules, then over learners).",
        "share of max score",
        "increase",
        2,
    ),
    KpiDef(
        "post_score_mean",
        "Mean post-assessment score, as a share of the maximum score (each module's first post attempt).",
        "share of max score",
        "increase",
        2,
    ),
    KpiDef(
        "competency_gain",
        "Mean of post minus pre score over learners with both (raw gain, share-of-max points).",
        "share of max score",
        "increase",
        2,
        people="learners with pre and post",
    ),
    KpiDef(
        "normalized_gain",
        "Class-average normalised gain <g> = (mean post - mean pre) / (1 - mean pre) over learners with both "
        "scores (Hake 1998, Am. J. Phys. 66:64).",
        "share of possible gain",
        "increase",
        2,
        people="learners with pre and post",
    ),
    KpiDef(
        "time_to_competency_days",
        "Mean time from a learner's first event in the unit (enrolment) to their first `passed` event, computed "
        "in seconds and divided by 86,400.",
        "days",
        "decrease",
        2,
        people="learners who passed",
    ),
    KpiDef(
        "time_to_proficiency_days",
        "Mean days from hire date to the start of the first month in which the learner's performance KPI "
        "reaches the proficiency threshold (default: revenue at or above the mean of employees with 12+ "
        "months of tenure).",
        "days",
        "decrease",
        3,
        PROGRAM_GRAINS,
        "learners who reached the threshold",
    ),
    KpiDef(
        "cost_per_learner",
        "The program's cost-ledger total divided by its reach.",
        "currency per learner",
        "decrease",
        0,
        ("program",),
    ),
    KpiDef(
        "cost_per_completion",
        "The program's cost-ledger total divided by its completers.",
        "currency per completion",
        "decrease",
        0,
        ("program",),
        "completers",
    ),
)

_BY_NAME = {k.name: k for k in _CATALOG}
ALIASES: dict[str, str] = {"assessment_gain": "competency_gain"}
"""Other names for catalog KPIs (the simulator's specs name ``assessment_gain`` as their learning KPI)."""


def catalog() -> list[KpiDef]:
    """Every KPI of the catalog, in display order."""
    return list(_CATALOG)


def kpi_def(name: str) -> KpiDef:
    """The definition of one KPI (or of an alias in :data:`ALIASES`); :class:`UsageError` when it is unknown."""
    try:
        return _BY_NAME[ALIASES.get(name, name)]
    except KeyError:
        raise UsageError(
            f"unknown KPI {name!r}",
            hint=f"Use one of: {', '.join(_BY_NAME)} (see `learnroi kpis --help`).",
        ) from None
