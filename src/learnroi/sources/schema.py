"""The canonical tables the readers produce (docs/reference/data-layout.md is the contract).

Each :class:`TableSpec` names the canonical columns and their types, the columns a row cannot lack,
the natural key, the identity columns (normalized, matched against HRIS, pseudonymized) and the allowed
values of closed vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from learnroi.core.options import (
    Assessment,
    CostCategory,
    EvidenceAuthorRole,
    EvidenceSource,
    IngestKind,
    Modality,
    PlatformCostCategory,
    RaterRole,
    RespondentRole,
    Stance,
    SurveyKind,
    choices,
)

ColType = Literal["string", "date", "timestamp", "float", "int", "bool"]
IdentityRole = Literal["employee", "learner"]
"""employee: an HR id (or email) kept as given; learner: an LMS identity normalized into ``learner_key``."""


@dataclass(frozen=True)
class TableSpec:
    """One canonical table (its current view has the same name)."""

    name: str
    kind: IngestKind
    columns: tuple[tuple[str, ColType], ...]
    required: tuple[str, ...]
    key: tuple[str, ...]
    identities: dict[str, IdentityRole] = field(default_factory=dict)
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hash_columns: tuple[str, ...] | None = None
    """Columns whose content decides "same row" (default: every canonical column)."""
    file_hint: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)

    def type_of(self, column: str) -> ColType:
        return dict(self.columns)[column]


EMPLOYEES = TableSpec(
    "employees",
    "hris",
    (
        ("employee_id", "string"),
        ("email", "string"),
        ("full_name", "string"),
        ("department", "string"),
        ("team_id", "string"),
        ("role", "string"),
        ("location", "string"),
        ("manager_id", "string"),
        ("hire_date", "date"),
        ("exit_date", "date"),
        ("loaded_salary", "float"),
        ("standard_hours", "float"),
    ),
    required=("employee_id",),
    key=("employee_id",),
    identities={
        "employee_id": "employee",
        "email": "employee",
        "manager_id": "employee",
        "full_name": "employee",
    },
    file_hint="hris/employees.csv",
)
ASSIGNMENTS = TableSpec(
    "assignments",
    "design",
    (
        ("program_id", "string"),
        ("employee_id", "string"),
        ("arm", "string"),
        ("stratum", "string"),
        ("cluster_id", "string"),
        ("assigned_date", "date"),
    ),
    required=("program_id", "employee_id", "arm"),
    key=("program_id", "employee_id"),
    identities={"employee_id": "employee"},
    file_hint="design/assignments.csv",
)
WAVES = TableSpec(
    "waves",
    "design",
    (
        ("program_id", "string"),
        ("unit_type", "string"),
        ("unit_id", "string"),
        ("wave", "int"),
        ("start_date", "date"),
    ),
    required=("program_id", "unit_id", "wave"),
    key=("program_id", "unit_id"),
    file_hint="design/waves.csv",
)
CATALOG = TableSpec(
    "catalog",
    "lms",
    (
        ("program_id", "string"),
        ("course_id", "string"),
        ("module_id", "string"),
        ("module_name", "string"),
        ("modality", "string"),
        ("required", "bool"),
        ("sequence", "int"),
        ("pathway_id", "string"),
        ("duration_minutes", "float"),
    ),
    required=("program_id", "course_id", "modality"),
    key=("program_id", "course_id", "module_id"),
    allowed={"modality": choices(Modality)},
    file_hint="lms/catalog.csv",
)
LMS_EVENTS = TableSpec(
    "lms_events",
    "lms",
    (
        ("event_id", "string"),
        ("learner_email", "string"),
        ("program_id", "string"),
        ("course_id", "string"),
        ("module_id", "string"),
        ("event_type", "string"),
        ("timestamp", "timestamp"),
        ("score", "float"),
        ("max_score", "float"),
        ("assessment", "string"),
        ("attempt", "int"),
        ("duration_seconds", "float"),
    ),
    required=("learner_email", "event_type", "timestamp"),
    key=("learner_key", "program_id", "course_id", "module_id", "event_type", "timestamp", "attempt"),
    identities={"learner_email": "learner"},
    allowed={"assessment": choices(Assessment)},
    hash_columns=(
        "learner_key",
        "program_id",
        "course_id",
        "module_id",
        "event_type",
        "timestamp",
        "attempt",
        "score",
        "max_score",
        "assessment",
        "duration_seconds",
    ),
    file_hint="lms/events.csv",
)
PERFORMANCE = TableSpec(
    "performance",
    "performance",
    (("employee_id", "string"), ("period", "date"), ("kpi", "string"), ("value", "float")),
    required=("employee_id", "period", "kpi"),
    key=("employee_id", "period", "kpi"),
    identities={"employee_id": "employee"},
    file_hint="performance/kpis.csv",
)
COST_LEDGER = TableSpec(
    "cost_ledger",
    "costs",
    (
        ("program_id", "string"),
        ("line_id", "string"),
        ("date", "date"),
        ("category", "string"),
        ("description", "string"),
        ("amount", "float"),
        ("currency", "string"),
        ("modality", "string"),
        ("arm", "string"),
    ),
    required=("program_id", "line_id", "amount", "category"),
    key=("program_id", "line_id"),
    allowed={"category": choices(CostCategory), "modality": choices(Modality)},
    file_hint="costs/ledger.csv",
)
SURVEY_ESTIMATES = TableSpec(
    "survey_estimates",
    "surveys",
    (
        ("program_id", "string"),
        ("respondent_id", "string"),
        ("respondent_role", "string"),
        ("subject_id", "string"),
        ("kpi", "string"),
        ("improvement", "float"),
        ("share_attributed", "float"),
        ("confidence", "float"),
        ("response_date", "date"),
    ),
    required=("program_id", "respondent_id", "kpi"),
    key=("program_id", "respondent_id", "subject_id", "kpi"),
    identities={"respondent_id": "employee", "subject_id": "employee"},
    allowed={"respondent_role": choices(RespondentRole)},
    file_hint="surveys/estimates.csv",
)

ATTENDANCE = TableSpec(
    "attendance",
    "lms",
    (
        ("session_id", "string"),
        ("program_id", "string"),
        ("course_id", "string"),
        ("module_id", "string"),
        ("session_date", "date"),
        ("learner_email", "string"),
        ("attended", "bool"),
        ("minutes", "float"),
    ),
    required=("session_id", "program_id", "module_id", "session_date", "learner_email", "attended"),
    key=("session_id", "learner_key"),
    identities={"learner_email": "learner"},
    hash_columns=(
        "session_id",
        "program_id",
        "course_id",
        "module_id",
        "session_date",
        "learner_key",
        "attended",
        "minutes",
    ),
    file_hint="lms/attendance.csv",
)
"""Classroom / virtual session rosters: no-shows appear here only (``attended = false``)."""
SURVEY_REACTION = TableSpec(
    "survey_reaction",
    "surveys",
    (
        ("program_id", "string"),
        ("respondent_id", "string"),
        ("response_date", "date"),
        ("satisfaction", "float"),
        ("relevance", "float"),
        ("intent_to_apply", "float"),
    ),
    required=("program_id", "respondent_id", "satisfaction"),
    key=("program_id", "respondent_id"),
    identities={"respondent_id": "employee"},
    file_hint="surveys/reaction.csv",
)
"""Kirkpatrick Level 1 (reaction) responses on a 1-5 scale."""
SURVEY_APPLICATION = TableSpec(
    "survey_application",
    "surveys",
    (
        ("program_id", "string"),
        ("subject_id", "string"),
        ("rater_id", "string"),
        ("rater_role", "string"),
        ("days_after", "int"),
        ("behaviour_score", "float"),
        ("response_date", "date"),
    ),
    required=("program_id", "subject_id", "days_after", "behaviour_score"),
    key=("program_id", "subject_id", "rater_id", "days_after"),
    identities={"subject_id": "employee", "rater_id": "employee"},
    allowed={"rater_role": choices(RaterRole)},
    file_hint="surveys/application.csv",
)
"""Kirkpatrick Level 3 (behaviour) ratings, 1-5, at 30/60/90 days after completion."""
SURVEY_INVITATIONS = TableSpec(
    "survey_invitations",
    "surveys",
    (
        ("program_id", "string"),
        ("survey", "string"),
        ("employee_id", "string"),
        ("days_after", "int"),
        ("invited_date", "date"),
    ),
    required=("program_id", "survey", "employee_id", "invited_date"),
    key=("program_id", "survey", "employee_id", "days_after"),
    identities={"employee_id": "employee"},
    allowed={"survey": choices(SurveyKind)},
    file_hint="surveys/invitations.csv",
)
"""Who was asked (response rate = responses / invitations)."""
EVIDENCE = TableSpec(
    "evidence",
    "surveys",
    (
        ("evidence_id", "string"),
        ("program_id", "string"),
        ("kpi", "string"),
        ("author_id", "string"),
        ("author_role", "string"),
        ("source_type", "string"),
        ("recorded_date", "date"),
        ("stance", "string"),
        ("note", "string"),
    ),
    required=("evidence_id", "program_id", "recorded_date", "stance", "note"),
    key=("evidence_id",),
    identities={"author_id": "employee"},
    allowed={
        "author_role": choices(EvidenceAuthorRole),
        "source_type": choices(EvidenceSource),
        "stance": choices(Stance),
    },
    file_hint="surveys/observations.csv",
)
"""Qualitative evidence (notes that support or contradict an estimate); never monetized."""
PLATFORM_COSTS = TableSpec(
    "platform_costs",
    "costs",
    (
        ("line_id", "string"),
        ("date", "date"),
        ("category", "string"),
        ("description", "string"),
        ("amount", "float"),
        ("currency", "string"),
    ),
    required=("line_id", "date", "category", "amount"),
    key=("line_id",),
    allowed={"category": choices(PlatformCostCategory)},
    file_hint="costs/platform.csv",
)
ADMIN_TIME = TableSpec(
    "admin_time",
    "costs",
    (("period", "date"), ("team", "string"), ("task", "string"), ("hours", "float")),
    required=("period", "team", "task", "hours"),
    key=("period", "team", "task"),
    file_hint="costs/admin_time.csv",
)
INCIDENTS = TableSpec(
    "incidents",
    "performance",
    (
        ("incident_id", "string"),
        ("date", "date"),
        ("department", "string"),
        ("employee_id", "string"),
        ("category", "string"),
        ("cost", "float"),
    ),
    required=("incident_id", "date"),
    key=("incident_id",),
    identities={"employee_id": "employee"},
    file_hint="performance/incidents.csv",
)
OPPORTUNITIES = TableSpec(
    "opportunities",
    "performance",
    (
        ("opportunity_id", "string"),
        ("owner_id", "string"),
        ("created_date", "date"),
        ("close_date", "date"),
        ("stage", "string"),
        ("amount", "float"),
        ("is_won", "bool"),
        ("is_closed", "bool"),
    ),
    required=("opportunity_id", "owner_id", "close_date", "is_won", "is_closed"),
    key=("opportunity_id",),
    identities={"owner_id": "employee"},
    file_hint="performance/opportunities.csv",
)
"""CRM opportunities (a Salesforce export); the ``opportunity_kpis`` view derives monthly rep KPIs."""
IDENTITY_LINKS = TableSpec(
    "identity_links",
    "hris",
    (("identity_key", "string"), ("employee_id", "string")),
    required=("identity_key", "employee_id"),
    key=("identity_key",),
    identities={"identity_key": "employee", "employee_id": "employee"},
    file_hint="hris/identity_links.csv",
)
"""Extra identities (an LMS numeric user id, an alternate email) -> HR employee id.

``identity_key`` has the ``employee`` role so it is kept as given (the view normalizes it like a learner
key) and pseudonymized with the same HMAC as learner keys.
"""

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        EMPLOYEES,
        ASSIGNMENTS,
        WAVES,
        CATALOG,
        LMS_EVENTS,
        PERFORMANCE,
        COST_LEDGER,
        SURVEY_ESTIMATES,
        ATTENDANCE,
        SURVEY_REACTION,
        SURVEY_APPLICATION,
        SURVEY_INVITATIONS,
        EVIDENCE,
        PLATFORM_COSTS,
        ADMIN_TIME,
        INCIDENTS,
        OPPORTUNITIES,
        IDENTITY_LINKS,
    )
}
KIND_TABLES: dict[str, tuple[TableSpec, ...]] = {
    # the chooser takes the first spec whose required columns are all present: a links file also has
    # employee_id, so links come before employees; the ledger (program_id) before platform costs
    "hris": (IDENTITY_LINKS, EMPLOYEES),
    "design": (ASSIGNMENTS, WAVES),
    "lms": (LMS_EVENTS, CATALOG, ATTENDANCE),
    "xapi": (LMS_EVENTS,),
    "performance": (PERFORMANCE, INCIDENTS, OPPORTUNITIES),
    "costs": (COST_LEDGER, PLATFORM_COSTS, ADMIN_TIME),
    "surveys": (SURVEY_ESTIMATES, SURVEY_REACTION, SURVEY_APPLICATION, SURVEY_INVITATIONS, EVIDENCE),
}
_SCALE_1_5 = (1.0, 5.0)
UNIT_RANGES: dict[str, tuple[float, float]] = {
    "share_attributed": (0.0, 1.0),
    "confidence": (0.0, 1.0),
    "satisfaction": _SCALE_1_5,
    "relevance": _SCALE_1_5,
    "intent_to_apply": _SCALE_1_5,
    "behaviour_score": _SCALE_1_5,
}
"""Columns that must lie in a closed range (survey shares; Likert 1-5 scales), whatever the table."""
