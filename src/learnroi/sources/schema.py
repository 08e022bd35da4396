"""The canonical tables the readers produce (docs/reference/data-layout.md is the contract).

Each :class:`TableSpec` names the canonical columns and their types, the columns a row cannot lack,
the natural key, the identity columns (normalized, matched against HRIS, pseudonymized) and the allowed
values of closed vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from learnroi.core.options import CostCategory, IngestKind, Modality, choices

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
    allowed={"arm": ("treatment", "control")},
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
    allowed={"assessment": ("pre", "post")},
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
    allowed={"respondent_role": ("participant", "manager")},
    file_hint="surveys/estimates.csv",
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (EMPLOYEES, ASSIGNMENTS, WAVES, CATALOG, LMS_EVENTS, PERFORMANCE, COST_LEDGER, SURVEY_ESTIMATES)
}
KIND_TABLES: dict[str, tuple[TableSpec, ...]] = {
    "hris": (EMPLOYEES,),
    "design": (ASSIGNMENTS, WAVES),
    "lms": (LMS_EVENTS, CATALOG),
    "xapi": (LMS_EVENTS,),
    "performance": (PERFORMANCE,),
    "costs": (COST_LEDGER,),
    "surveys": (SURVEY_ESTIMATES,),
}
UNIT_RANGES: dict[str, tuple[float, float]] = {"share_attributed": (0.0, 1.0), "confidence": (0.0, 1.0)}
"""Columns that must lie in a closed range (survey shares)."""
