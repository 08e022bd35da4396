"""Every option set in one place, as ``Literal`` aliases, checked at the boundary by :func:`check_option`."""

from __future__ import annotations

from typing import Literal, TypeVar, get_args

from learnroi.core.errors import UsageError

IngestKind = Literal["hris", "lms", "xapi", "performance", "costs", "surveys", "design"]
INGEST_ORDER: tuple[IngestKind, ...] = ("hris", "design", "lms", "xapi", "performance", "costs", "surveys")
"""Dependency order for ``ingest all``: identities first, then the design, then events and outcomes."""

Design = Literal["randomized", "staggered", "observational"]
AttributionDesign = Literal["auto", "randomized", "matched", "did", "staggered", "its", "estimates"]
Estimand = Literal["ATE", "ATT", "ITT", "LATE"]
Modality = Literal["digital", "virtual", "classroom", "social", "on_the_job"]
Direction = Literal["increase", "decrease"]
Grain = Literal[
    "program", "course", "module", "cohort", "department", "period", "learner", "modality", "wave"
]
Period = Literal["week", "month"]
OutputFormat = Literal["table", "csv", "parquet", "json"]
ReportFormat = Literal["html", "pdf", "xlsx"]
MonetizationRule = Literal[
    "revenue_margin",  # incremental revenue x contribution margin
    "time_saved",  # hours saved x loaded hourly cost (only when the time is redeployed)
    "weeks_to_productivity",  # weeks saved per hire x monthly cost per hire x 12/52
    "incidents_avoided",  # incidents avoided x cost each
    "retention",  # leavers avoided x replacement cost
    "custom",  # a custom expression over the effect and assumptions
]
CostCategory = Literal[
    "needs_assessment",
    "design_development",
    "acquisition",
    "delivery",
    "facilitators",
    "participant_time",
    "travel",
    "platform",
    "maintenance",
    "overhead",
    "evaluation",
]
PlatformCostCategory = Literal["licence", "administration", "integration", "hosting", "support"]
Assessment = Literal["pre", "post", "module_pre", "module_post"]
"""Program-level (pre/post) and module-level (module_pre/module_post) knowledge checks."""
SurveyKind = Literal["reaction", "application"]
RaterRole = Literal["manager", "self", "peer"]
RespondentRole = Literal["participant", "manager"]
Stance = Literal["supports", "contradicts", "neutral"]
EvidenceAuthorRole = Literal["manager", "participant", "sponsor", "analyst", "customer"]
EvidenceSource = Literal["observation", "interview", "focus_group", "document"]
HypothesisStatus = Literal["proposed", "piloting", "confirmed", "refuted", "inconclusive"]

T = TypeVar("T", bound=str)


def choices(alias: object) -> tuple[str, ...]:
    """The allowed values of a ``Literal`` alias."""
    return tuple(str(a) for a in get_args(alias))


def check_option(value: str, alias: object, name: str) -> str:
    """Return ``value`` if it is one of ``alias``'s values, else raise a :class:`UsageError` listing them."""
    allowed = choices(alias)
    if value not in allowed:
        raise UsageError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}",
            hint=f"Pass one of: {', '.join(allowed)}.",
        )
    return value
