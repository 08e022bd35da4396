"""Build the report data from plain inputs: the results' ``to_dict()`` (or the results) and KPI frames.

Small-cell suppression happens here, once, before any exporter sees a table (contracts §2).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

import pandas as pd
from scipy import stats

import learnroi
from learnroi.attribution.result import EffectResult
from learnroi.core.errors import DataError
from learnroi.core.program import ProgramSpec
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.report.actions import design_sentence, drivers, recommend_actions
from learnroi.report.adapt import competency_frame, for_program, frame_of, funnel_frame
from learnroi.report.blend import (
    application_table,
    arms_table,
    cohort_roi_table,
    content_table,
    modality_table,
    platform_view,
    qualitative_table,
    reaction_table,
    retention_view,
    year_roi_table,
)
from learnroi.report.data import (
    AssumptionRow,
    CostItem,
    EffectView,
    KpiModel,
    ProgramSection,
    Provenance,
    ReportData,
    RoiFigures,
    as_number,
)
from learnroi.report.evidence import evidence_chain, forecast_view
from learnroi.report.model import decay_factors, discount_factors
from learnroi.report.tables import Table, pick, records_or_empty, suppress, to_table


def _effect_dict(effect: EffectResult | Mapping[str, Any] | None) -> dict[str, Any]:
    if effect is None:
        return {}
    if isinstance(effect, EffectResult):
        return effect.to_dict()
    return dict(effect)


_DEFAULT_FIX = {
    "randomized": "Check the assignment file against who was trained; re-randomize if the arms drifted.",
    "staggered": "Add roll-out waves with a not-yet-treated comparison and at least 3 months of baseline.",
    "observational": (
        "Run a randomized pilot (`learnroi design`) or provide a comparison group with a baseline "
        "period of at least 3 months before the program."
    ),
}


_EVENT_TERM = re.compile(r"^event time (-?\d+(?:\.\d+)?)$")


def _event_terms(terms: Any) -> list[Mapping[str, Any]]:
    """Event-time rows from a dynamic aggregation's terms (``event time -2``, ``event time 0``…)."""
    out: list[Mapping[str, Any]] = []
    for t in records_or_empty(terms):
        m = _EVENT_TERM.match(str(t.get("term", "")))
        if m:
            out.append({**t, "event_time": float(m.group(1))})
    return out


def _effect_view(kpi: str, d: Mapping[str, Any], spec_design: str) -> EffectView:
    extra = d.get("extra") or {}
    identified = bool(d.get("identified", True))
    fix = str(pick(d, "fix", "hint", default="") or pick(extra, "fix", "hint", default="") or "")
    if not identified and not fix:
        fix = _DEFAULT_FIX.get(spec_design, _DEFAULT_FIX["observational"])
    return EffectView(
        kpi=kpi,
        method=str(d.get("method", "")),
        design=str(d.get("design", spec_design)),
        estimand=str(d.get("estimand", "")),
        estimate=as_number(d.get("estimate")) if identified else None,
        std_error=as_number(d.get("std_error")) if identified else None,
        conf_low=as_number(d.get("conf_low")) if identified else None,
        conf_high=as_number(d.get("conf_high")) if identified else None,
        n=int(d.get("n") or 0),
        identified=identified,
        reasons=tuple(str(r) for r in d.get("reasons") or ()),
        fix=fix,
        diagnostics=to_table(records_or_empty(d.get("diagnostics"))),
        contrasts=to_table(records_or_empty(d.get("contrasts"))),
        balance=to_table(records_or_empty(pick(extra, "balance", "balance_table"))),
        event_study=to_table(
            records_or_empty(pick(extra, "event_study", "event_time", "dynamic"))
            or _event_terms(d.get("terms"))
        ),
    )


_VALUES = ("value", "mean", "estimate")


def _suppressed(
    df: pd.DataFrame | None,
    count_cols: Sequence[str],
    value_cols: Sequence[str],
    min_cell: int,
    complementary: bool,
) -> Table:
    """Suppress small cells (per KPI when the table is long), as :func:`tables.suppress` documents."""
    if df is None or df.empty:
        return ()
    count_col = next((c for c in count_cols if c in df.columns), count_cols[0])
    values = [
        c
        for c in df.columns
        if c in value_cols or c.endswith(("_mean", "_rate", "_pct")) or c.startswith("conversion")
    ]

    def one(part: pd.DataFrame) -> pd.DataFrame:
        return suppress(
            part, count_col=count_col, value_cols=values, min_cell=min_cell, complementary=complementary
        )

    if complementary and "kpi" in df.columns:
        out = pd.concat([one(g) for _, g in df.groupby("kpi", sort=False)]).sort_index()
    else:
        out = one(df)
    return to_table(out)


def _people(assumptions: Sequence[AssumptionRow]) -> float:
    a = {r.name: r.value for r in assumptions}
    return float(a.get("reach", 0.0)) * float(a.get("adoption", 1.0))


def _costs(roi: Mapping[str, Any], spec: ProgramSpec, people: float) -> tuple[CostItem, ...]:
    """Cost lines: the spec's lines (prorated ones keep their formula), then per category the rest of
    ``roi["cost_breakdown"]`` (ledger lines and participants' time), so the total equals the ROI's cost."""
    out = []
    spec_by_cat: dict[str, float] = {}
    for c in spec.costs:
        item = CostItem(
            c.category, c.description or c.category, c.amount, "spec", c.amount, c.prorate_over_users
        )
        if c.prorate_over_users:
            item = replace(item, amount=min(c.amount, c.amount * people / c.prorate_over_users))
        spec_by_cat[c.category] = spec_by_cat.get(c.category, 0.0) + item.amount
        out.append(item)
    breakdown = roi.get("cost_breakdown") or {}
    records = (
        [{"category": k, "amount": v} for k, v in breakdown.items()]
        if isinstance(breakdown, Mapping)
        else records_or_empty(breakdown)
    )
    for r in records:
        cat = str(pick(r, "category", default="other"))
        rest = float(pick(r, "amount", default=0.0)) - spec_by_cat.pop(cat, 0.0)
        if abs(rest) > 1e-9:
            origin = "participant_time" if cat == "participant_time" else "ledger"
            what = "participants' time at loaded salary" if origin == "participant_time" else "cost ledger"
            out.append(CostItem(cat, what, rest, origin))
    return tuple(out)


def _assumptions(roi: Mapping[str, Any], spec: ProgramSpec) -> tuple[AssumptionRow, ...]:
    """The ROI's assumption table (defaults and fallbacks included), then the spec's other assumptions."""
    rows: dict[str, AssumptionRow] = {}
    for r in records_or_empty(roi.get("assumptions")):
        name = str(r["name"])
        value = as_number(r.get("value"))
        if value is None:  # an infinite default (no decay) serializes as null
            continue
        declared = spec.assumptions.get(name)
        dist = r.get("distribution") or (declared.distribution if declared is not None else "triangular")
        rows[name] = AssumptionRow(
            name,
            value,
            as_number(r.get("low")),
            as_number(r.get("high")),
            str(r.get("unit") or ""),
            str(r.get("source") or ""),
            str(dist),
        )
    for name, a in spec.assumptions.items():
        rows.setdefault(name, AssumptionRow(name, a.value, a.low, a.high, a.unit, a.source, a.distribution))
    return tuple(rows.values())


def _kpi_model(
    spec: ProgramSpec,
    kpi: str,
    roi: Mapping[str, Any],
    effect: Mapping[str, Any],
    template: Mapping[str, Any],
) -> tuple[KpiModel, ...]:
    link = spec.kpi(kpi)
    if link is None or not link.monetized:
        return ()
    used = roi.get("effect") or {}
    est = as_number(pick(used, "estimate"))
    se = as_number(pick(used, "std_error"))
    lo, hi = as_number(effect.get("conf_low")), as_number(effect.get("conf_high"))
    if est is not None and (lo is None or hi is None) and se:
        z = float(stats.norm.ppf(0.975))
        lo, hi = est - z * se, est + z * se
    if est is None and roi.get("roi_pct") is not None:
        est = as_number(effect.get("estimate"))
    profile = used.get("decay_profile")
    return (
        KpiModel(
            business_kpi=link.business_kpi,
            unit=link.unit,
            direction=link.direction,
            per=link.per,
            rule=str(link.rule),
            value_assumption=link.value_per_unit,
            effect=est if roi.get("roi_pct") is not None else None,
            conf_low=lo,
            conf_high=hi,
            std_error=se,
            baseline_x=as_number(pick(template, "baseline_x", "baseline")),
            post_y=as_number(pick(template, "post_y", "post")),
            decay_profile=tuple(float(x) for x in profile) if profile else None,
        ),
    )


def _with_custom_value(
    k: KpiModel, roi: Mapping[str, Any], assumptions: Sequence[AssumptionRow], horizon: int, spec: ProgramSpec
) -> KpiModel:
    """For a ``custom`` rule the workbook cannot evaluate the expression: carry learnroi's money per unit."""
    benefit = as_number(roi.get("benefit"))
    if k.rule != "custom" or benefit is None or not k.effect:
        return k
    a = {r.name: r.value for r in assumptions}
    people = _people(assumptions)
    s = 1.0
    if k.per == "person_month":
        w = spec.program.evaluation_window_months
        d = decay_factors(horizon, w, a.get("decay_half_life_months"), k.decay_profile)
        s = float((d * discount_factors(horizon, float(a.get("discount_rate", 0.0)))).sum())
    gain = -k.effect if k.direction == "decrease" else k.effect
    return replace(k, unit_value=benefit / (gain * people * s)) if people and s else k


def _histogram(h: Any) -> list[Mapping[str, Any]]:
    if isinstance(h, Mapping) and "edges" in h and "counts" in h:
        e, c = list(h["edges"]), list(h["counts"])
        return [{"bin_start": e[i], "bin_end": e[i + 1], "count": c[i]} for i in range(len(c))]
    return records_or_empty(h)


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "to_dict") and not isinstance(obj, Mapping):
        return dict(obj.to_dict())
    return dict(obj)


def build_program_section(
    spec: ProgramSpec,
    *,
    roi: Any,
    effects: Mapping[str, EffectResult | Mapping[str, Any]] | None = None,
    alt_roi: Any = None,
    funnel: Any = None,
    competency: Any = None,
    kpis: Any = None,
    cohorts: Any = None,
    hypotheses: Any = None,
    template: Mapping[str, Mapping[str, Any]] | None = None,
    truth: Mapping[str, Any] | None = None,
    forecast: Sequence[Any] | None = None,
    arms: Any = None,
    content: Any = None,
    modality: Any = None,
    reaction: Any = None,
    application: Any = None,
    qualitative: Any = None,
    roi_cohorts: Any = None,
    roi_years: Any = None,
    retention: Any = None,
    min_cell: int = DEFAULT_MIN_CELL,
) -> ProgramSection:
    """One program's section from plain inputs.

    ``roi``: a ``RoiResult`` or its ``to_dict()`` (contracts §1 fields plus ``cost_breakdown``,
    ``schedule``, ``tornado``, ``scenarios``, ``histogram``, ``assumptions``, ``effect``). When its basis is
    ``attributed`` but no ROI was computed, the program is "not identified"; ``alt_roi`` (an estimate-based
    or forecast ``RoiResult``) is then shown beside it, labelled. A non-attributed ``roi`` is itself shown
    only as that labelled alternative. ``effects``: per KPI, ``EffectResult`` or its ``to_dict()``.
    ``funnel``: ``stage, n`` rows in funnel order; ``competency``: ``group, pre_mean, post_mean, gain, n``;
    ``kpis``/``cohorts``: KPI frames with an ``n`` column (all with an optional ``suppressed`` flag).
    ``template``: per KPI the practitioner's ``baseline_x`` and ``post_y`` (the naive contrast).
    ``truth``: the simulator's true ``roi_pct, benefit, cost, att`` (demo only).
    ``forecast``: the pre-pilot ``ForecastResult`` per hypothesis (``learnroi.roi.forecast_roi``), shown
    apart from the measured ROI and labelled "forecast". The section's chain of evidence (levels 1-5) is
    built from the rest (:func:`learnroi.report.evidence.evidence_chain`).

    Blended learning (all optional; see :mod:`learnroi.report.blend`): ``arms`` the per-arm frame of
    contract §5 (``ArmAnalysis`` or its ``tidy()``; optional ``cost_arm``, ``cost_shared``,
    ``cost_participant_time``), ``content`` the content-effectiveness ``KpiTable``/frame, ``modality`` a
    ``kpis --by modality`` frame, ``reaction``/``application`` the survey summaries (levels 1 and 3),
    ``qualitative`` the evidence notes, ``roi_cohorts`` a ``RoiBreakdown`` or its ``tidy()``, ``roi_years``
    a ``roi_by_year`` frame, ``retention`` a ``learnroi.pipeline.retention.RetentionAnalysis`` or its
    ``to_dict()``.
    """
    roi_d = _as_dict(roi)
    alt_d = _as_dict(alt_roi)
    eff = {k: _effect_dict(v) for k, v in (effects or {}).items()}
    kpi = str(roi_d.get("kpi") or spec.program.primary_kpi)
    e_d = eff.get(kpi) or eff.get(spec.program.primary_kpi) or {}
    if not e_d and roi_d.get("effect"):
        e_d = {**roi_d["effect"], "design": spec.program.design}
    if not e_d.get("reasons") and roi_d.get("reasons") and roi_d.get("roi_pct") is None:
        e_d = {**e_d, "identified": False, "reasons": roi_d["reasons"]}
    view = _effect_view(kpi, e_d, spec.program.design)
    figures = RoiFigures.from_dict(roi_d)
    attributed = figures is not None and figures.basis == "attributed" and view.identified
    alt = None
    if not attributed:
        alt = (
            RoiFigures.from_dict(alt_d)
            if alt_d
            else (figures if figures and figures.basis != "attributed" else None)
        )
        if view.identified and figures is None:
            view = replace(view, identified=False, reasons=tuple(str(r) for r in roi_d.get("reasons") or ()))
    model_roi = roi_d if attributed or not alt_d else alt_d
    assumptions = _assumptions(model_roi, spec)
    people = _people(assumptions)
    costs = _costs(model_roi, spec, people)
    pid = spec.id
    funnel_t = _suppressed(
        funnel_frame(funnel, pid), ("n", "count", "learners"), ("n", "count", "rate"), min_cell, False
    )
    comp_t = _suppressed(
        competency_frame(competency, pid),
        ("n", "learners"),
        ("pre_mean", "post_mean", "gain", "std_error"),
        min_cell,
        False,
    )
    kpi_t = _suppressed(for_program(frame_of(kpis), pid), ("n", "learners"), _VALUES, min_cell, True)
    coh_t = _suppressed(for_program(frame_of(cohorts), pid), ("n", "learners"), _VALUES, min_cell, True)
    learners = _learners(funnel_t, model_roi.get("learners"), view.n)
    drv = drivers(funnel_t, comp_t, sum(c.amount for c in costs), learners, spec.program.currency)
    shown = figures if attributed else alt
    horizon = int(model_roi.get("horizon_months") or spec.program.horizon_months)
    links = _kpi_model(spec, kpi, model_roi, e_d, (template or {}).get(kpi, {}))
    links = tuple(_with_custom_value(k, model_roi, assumptions, horizon, spec) for k in links)
    section = ProgramSection(
        program_id=spec.id,
        name=spec.program.name,
        audience=spec.program.audience,
        currency=spec.program.currency,
        horizon_months=horizon,
        window_months=spec.program.evaluation_window_months,
        design_sentence=design_sentence(
            view.design, view.n, spec.program.evaluation_window_months, attributed
        ),
        identified=attributed,
        roi=figures if attributed else None,
        alt_roi=alt,
        effect=view,
        kpis_model=links,
        assumptions=assumptions,
        costs=costs,
        funnel=funnel_t,
        competency=comp_t,
        kpi_table=kpi_t,
        cohorts=coh_t,
        benefit_schedule=to_table(records_or_empty(pick(model_roi, "schedule", "benefit_schedule"))),
        tornado=to_table(records_or_empty(model_roi.get("tornado"))),
        scenarios=to_table(records_or_empty(model_roi.get("scenarios"))),
        roi_histogram=to_table(_histogram(pick(model_roi, "histogram", "roi_histogram"))),
        intangibles=to_table([{"name": i.name, "evidence": i.evidence} for i in spec.intangibles]),
        hypotheses=to_table(records_or_empty(hypotheses) or [h.model_dump() for h in spec.hypotheses]),
        drivers=drv,
        actions=recommend_actions(shown, attributed, drv),
        truth=MappingProxyType(dict(truth)) if truth else None,
        learners=learners,
        notes=tuple(str(n) for n in [*(model_roi.get("rules") or ()), *(model_roi.get("notes") or ())]),
        forecast=tuple(forecast_view(f, _kpi_unit(spec, f)) for f in forecast or ()),
        **_blend_tables(pid, min_cell, arms, content, modality, reaction, application, qualitative),  # type: ignore[arg-type]
        roi_cohorts=cohort_roi_table(roi_cohorts, pid, min_cell),
        roi_years=year_roi_table(roi_years if roi_years is not None else _breakdown_years(roi_cohorts), pid),
        retention=retention_view(retention, min_cell),
    )
    return replace(section, evidence=evidence_chain(section))


def _blend_tables(
    pid: str,
    min_cell: int,
    arms: Any,
    content: Any,
    modality: Any,
    reaction: Any,
    application: Any,
    qualitative: Any,
) -> dict[str, Table]:
    content_t = content_table(content, pid, min_cell)
    return {
        "arms": arms_table(arms, pid, min_cell),
        "content": content_t,
        "modality": modality_table(
            modality if modality is not None else getattr(content, "modalities", None),
            content_t,
            pid,
            min_cell,
        ),
        "reaction": reaction_table(reaction, pid, min_cell),
        "application": application_table(application, pid, min_cell),
        "qualitative": qualitative_table(qualitative, pid),
    }


def _breakdown_years(breakdown: Any) -> Any:
    """The program total's years of a ``RoiBreakdown`` (its ``by_year()`` rows for ``total``)."""
    by_year = getattr(breakdown, "by_year", None)
    if not callable(by_year):
        return None
    years = by_year()
    return years[years["cohort"] == "total"].drop(columns="cohort") if "cohort" in years else years


def _kpi_unit(spec: ProgramSpec, forecast: Any) -> str:
    kpi = forecast.get("kpi") if isinstance(forecast, Mapping) else getattr(forecast, "kpi", None)
    link = spec.kpi(str(kpi or ""))
    return link.unit if link is not None else ""


def _learners(funnel: Table, roi_learners: Any, n: int) -> int | None:
    for r in funnel:
        if str(r.get("stage", "")).lower().startswith("enrol") and r.get("n") is not None:
            return int(r["n"])
    if roi_learners:
        return int(roi_learners)
    return n or None


def build_report_data(
    programs: Sequence[ProgramSection],
    *,
    spec_hashes: Mapping[str, str] | None = None,
    ingest_batches: Any = None,
    generated_on: dt.date | None = None,
    title: str = "Learning program ROI",
    min_cell: int = DEFAULT_MIN_CELL,
    platform: Any = None,
) -> ReportData:
    """The frozen report data: sections plus provenance (batches as records: id, kind, file, hash…) and,
    when given, the platform's own ROI (a ``learnroi.roi.PlatformRoiResult`` or its ``to_dict()``)."""
    if not programs:
        raise DataError("the report has no program", hint="Pass at least one ProgramSection.")
    return ReportData(
        title=title,
        provenance=Provenance(
            generated_on=(generated_on or dt.date.today()).isoformat(),
            learnroi_version=learnroi.__version__,
            spec_hashes=MappingProxyType(dict(spec_hashes or {})),
            ingest_batches=to_table(records_or_empty(ingest_batches)),
        ),
        programs=tuple(programs),
        min_cell=min_cell,
        platform=platform_view(platform),
    )
