"""The report data: one frozen object built from the results; every exporter reads only it.

Following PyMC-Marketing's report layer, computation ends here: provenance (ingest batches, program-spec
hashes, learnroi version, date) and one :class:`ProgramSection` per program holding plain numbers and
frozen tables. HTML, PDF and Excel are views of this object, so they cannot disagree.

The inputs are plain and documented so that the report does not depend on how the other layers are
built: ``roi`` is ``RoiResult.to_dict()`` (the ``roi --json`` fields of contracts §1 plus
``cost_breakdown``, ``benefit_schedule``, ``tornado``, ``scenarios``, ``roi_histogram``), ``effects``
maps each KPI to ``EffectResult.to_dict()`` (or the result itself), and the KPI tables are frames with
an optional ``suppressed`` column (see :mod:`learnroi.report.build` and docs/explanation/report.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from learnroi.core.errors import DataError
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.report.actions import Action, Driver
from learnroi.report.blend import PlatformView, RetentionView
from learnroi.report.tables import Table
from learnroi.roi.result import CONTRACT_FIELDS

ROI_FIELDS = tuple(f for f in CONTRACT_FIELDS if f not in ("program", "identified", "basis"))
"""The numeric ``roi --json`` fields (contracts §1), taken from the ROI layer so the two cannot drift."""


@dataclass(frozen=True)
class RoiFigures:
    """The ``roi --json`` numbers of one program, with their basis (attributed, estimates or forecast)."""

    basis: str
    benefit: float
    cost: float
    net_benefit: float
    roi_pct: float
    roi_conf_low: float | None
    roi_conf_high: float | None
    p_roi_positive: float | None
    bcr: float | None
    payback_months: float | None
    npv: float | None
    break_even_effect: float | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RoiFigures | None:
        """The figures, or None when no ROI was computed (the effect was not identified)."""
        vals = {k: as_number(d.get(k)) for k in ROI_FIELDS}
        if any(vals[k] is None for k in ("benefit", "cost", "net_benefit", "roi_pct")):
            return None
        return cls(basis=str(d.get("basis") or "attributed"), **vals)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, **{k: getattr(self, k) for k in ROI_FIELDS}}


@dataclass(frozen=True)
class AssumptionRow:
    name: str
    value: float
    low: float | None
    high: float | None
    unit: str
    source: str
    distribution: str = "triangular"
    """How the Monte Carlo draws it: ``triangular`` (low, value, high) or ``uniform`` (low, high)."""


@dataclass(frozen=True)
class CostItem:
    """One fully loaded cost line: ``amount`` as charged to the program (after proration).

    ``gross_amount`` and ``prorate_over_users`` are set for a spec line shared over expected users; its
    charge is ``min(gross, gross × N / prorate_over_users)`` with ``N`` = reach × adoption.
    """

    category: str
    description: str
    amount: float
    origin: str = "ledger"
    gross_amount: float | None = None
    prorate_over_users: int | None = None


@dataclass(frozen=True)
class KpiModel:
    """One monetized KPI link as the workbook needs it: the effect that drives the ROI and its money rule."""

    business_kpi: str
    unit: str
    direction: str
    per: str
    rule: str
    value_assumption: str | None
    effect: float | None
    conf_low: float | None
    conf_high: float | None
    std_error: float | None = None
    baseline_x: float | None = None
    post_y: float | None = None
    unit_value: float | None = None
    """Money per unit for a ``custom`` rule (derived from learnroi's benefit; the workbook keeps it static)."""
    decay_profile: tuple[float, ...] | None = None
    """Event-study multipliers of the headline effect for months 1..K (replace the window when set)."""


@dataclass(frozen=True)
class EffectView:
    """The primary KPI's attribution, reduced to what the report shows."""

    kpi: str
    method: str
    design: str
    estimand: str
    estimate: float | None
    std_error: float | None
    conf_low: float | None
    conf_high: float | None
    n: int
    identified: bool
    reasons: tuple[str, ...]
    fix: str
    diagnostics: Table
    contrasts: Table
    balance: Table
    event_study: Table


@dataclass(frozen=True)
class ForecastView:
    """One hypothesis' forecast made before the pilot (``learnroi.roi.ForecastResult``): never the measured
    ROI, and labelled "forecast" wherever it is shown."""

    hypothesis_id: str
    kpi: str
    assumed_effect: float | None
    effect_unit: str
    """The KPI's unit (assumed effect, break-even effect and MDE are all in it)."""
    roi_pct: float | None
    roi_conf_low: float | None
    roi_conf_high: float | None
    p_roi_positive: float | None
    break_even_effect: float | None
    mde: float | None
    n_available: int | None
    can_detect_break_even: bool | None
    verdict: str
    basis: str = "forecast"


@dataclass(frozen=True)
class EvidenceLink:
    """One link of the chain of evidence (Kirkpatrick levels 1-4, Phillips level 5 ROI)."""

    level: int
    name: str
    evidence: str
    strength: str
    has_data: bool


@dataclass(frozen=True)
class ProgramSection:
    """Everything the report shows about one program. Built by :func:`build_program_section`."""

    program_id: str
    name: str
    audience: str
    currency: str
    horizon_months: int
    window_months: int
    design_sentence: str
    identified: bool
    roi: RoiFigures | None
    """The ROI from the attributed effect; None when the effect is not identified."""
    alt_roi: RoiFigures | None
    """Labelled estimate-based or forecast ROI shown beside a "not identified" result (never the naive one)."""
    effect: EffectView
    kpis_model: tuple[KpiModel, ...]
    assumptions: tuple[AssumptionRow, ...]
    costs: tuple[CostItem, ...]
    funnel: Table
    competency: Table
    kpi_table: Table
    cohorts: Table
    benefit_schedule: Table
    tornado: Table
    scenarios: Table
    roi_histogram: Table
    intangibles: Table
    hypotheses: Table
    drivers: tuple[Driver, ...]
    actions: tuple[Action, Action]
    truth: Mapping[str, Any] | None = None
    learners: int | None = None
    notes: tuple[str, ...] = ()
    """The Phillips rules applied and how the inputs were built (from the ROI result)."""
    forecast: tuple[ForecastView, ...] = ()
    """Forecasts made before the pilot, one per hypothesis: shown apart from the measured ROI."""
    evidence: tuple[EvidenceLink, ...] = ()
    """The chain of evidence, level 1 (reaction) to level 5 (ROI); see :mod:`learnroi.report.evidence`."""
    arms: Table = ()
    """Per-arm results of a multi-arm pilot (contract §5 columns), control first; see
    :mod:`learnroi.report.blend`."""
    content: Table = ()
    """Content effectiveness per module, ranked by update priority (an observational association)."""
    modality: Table = ()
    """The modality mix (an observational association)."""
    reaction: Table = ()
    """Level 1: the reaction survey's summary with its response rate."""
    application: Table = ()
    """Level 3: manager-rated application at 30/60/90 days."""
    qualitative: Table = ()
    """Qualitative notes (supporting / contradicting / neutral), never monetized."""
    roi_cohorts: Table = ()
    """ROI per cohort (``learnroi.roi.roi_by_cohort``), the program total last."""
    roi_years: Table = ()
    """ROI per program year (``learnroi.roi.roi_by_year``)."""
    retention: RetentionView | None = None
    """Leaving within the horizon per arm of a randomized multi-arm pilot (never monetized here)."""

    @property
    def headline(self) -> RoiFigures | None:
        """The ROI to headline: the attributed one, else the labelled alternative."""
        return self.roi if self.roi is not None else self.alt_roi

    def impact_per_learner(self) -> float | None:
        h = self.headline
        if h is None or not self.learners:
            return None
        return h.benefit / self.learners


@dataclass(frozen=True)
class Provenance:
    generated_on: str
    learnroi_version: str
    spec_hashes: Mapping[str, str]
    ingest_batches: Table

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_on": self.generated_on,
            "learnroi_version": self.learnroi_version,
            "spec_hashes": dict(self.spec_hashes),
            "ingest_batches": [dict(r) for r in self.ingest_batches],
        }


@dataclass(frozen=True)
class ReportData:
    """The frozen report data: provenance and one section per program, suppression already applied."""

    title: str
    provenance: Provenance
    programs: tuple[ProgramSection, ...]
    min_cell: int = DEFAULT_MIN_CELL
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    platform: PlatformView | None = None
    """The learning platform's own ROI (``learnroi.roi.PlatformRoiResult``), across programs."""

    def program(self, program_id: str) -> ProgramSection:
        for p in self.programs:
            if p.program_id == program_id:
                return p
        raise DataError(
            f"no program {program_id!r} in the report data",
            hint=f"Choose one of: {', '.join(p.program_id for p in self.programs)}.",
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the JSON twin of the HTML page)."""
        from learnroi.report.serialize import report_to_dict

        return report_to_dict(self)


def as_number(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None
