"""Analyze one program: the panel (metrics) -> the design chooser (attribution) -> ROI (roi).

This is where the store meets the numeric layers: frames are read here and handed down.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from learnroi import __version__
from learnroi.attribution.chooser import Attribution, DesignInfo, attribute
from learnroi.core.errors import LearnroiError
from learnroi.core.options import AttributionDesign
from learnroi.core.program import ProgramSpec
from learnroi.design.registry import record_effect
from learnroi.metrics import (
    ONE_PER_HIRE_KPIS,
    KpiTable,
    build_panel,
    compute_kpi,
    connect,
    funnel,
    incident_series,
)
from learnroi.roi import (
    EffectInput,
    RoiBreakdown,
    RoiResult,
    compute_roi,
    cost_model,
    effect_from_estimates,
    roi_by_cohort,
)
from learnroi.roi.valuation import REACH
from learnroi.store import Store


@dataclass(frozen=True)
class ProgramAnalysis:
    """Everything the report needs about one program, computed from the store."""

    spec: ProgramSpec
    spec_hash: str
    kpi: str
    attribution: Attribution
    roi: RoiResult
    alt_roi: RoiResult | None
    """Estimate-based (participants' estimates) or forecast ROI, labelled; only when not identified."""
    funnel: KpiTable
    competency: KpiTable | None
    n_unmatched: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.spec.id,
            "kpi": self.kpi,
            "spec_hash": self.spec_hash,
            "attribution": self.attribution.to_dict(),
            "roi": self.roi.to_dict(),
            "alt_roi": self.alt_roi.to_dict() if self.alt_roi is not None else None,
        }


def _frame(store: Store, sql: str, params: list[Any]) -> pd.DataFrame:
    return store.con.execute(sql, params).df()


def participant_time(store: Store, program_id: str) -> pd.DataFrame:
    """Hours each learner spent in the program (LMS durations) and their loaded hourly rate (HRIS)."""
    return _frame(
        store,
        """
        SELECT e.learner_id AS employee_id,
               sum(coalesce(e.duration_seconds, 0)) / 3600.0 AS hours,
               any_value(h.loaded_salary / coalesce(nullif(h.standard_hours, 0), 2080.0)) AS hourly_rate
        FROM lms_events e JOIN employees h ON h.employee_id = e.learner_id
        WHERE e.program_id = ? AND e.learner_id IS NOT NULL
        GROUP BY e.learner_id ORDER BY e.learner_id
        """,
        [program_id],
    )


def _effect_input(att: Attribution, kpi: str) -> EffectInput:
    if att.identified and att.result is not None:
        return EffectInput.from_effect_result(att.result, kpi)
    return EffectInput(
        kpi=kpi, estimate=math.nan, std_error=math.nan, identified=False,
        reasons=att.reasons or ("not identified",), method=att.design or "",
    )  # fmt: skip


def _alt_roi(
    spec: ProgramSpec,
    kpi: str,
    surveys: pd.DataFrame,
    ledger: pd.DataFrame,
    ptime: pd.DataFrame,
    baseline: float | None,
    seed: int,
    draws: int,
) -> RoiResult | None:
    """Beside a refusal: the estimate-based ROI when survey estimates exist, else a forecast from a hypothesis."""
    if not surveys.empty and (surveys["kpi"] == kpi).any():
        effect = effect_from_estimates(surveys, kpi, participants=max(len(ptime), 1), program=spec.id)
        return compute_roi(
            spec, effect, ledger=ledger, participant_time=ptime, basis="estimates", seed=seed, draws=draws
        )
    hyp = next((h for h in spec.hypotheses if h.kpi == kpi), None)
    if hyp is None:
        return None
    effect = EffectInput.from_hypothesis(hyp, baseline=baseline)
    return compute_roi(
        spec, effect, ledger=ledger, participant_time=ptime, basis="forecast", seed=seed, draws=draws
    )


def _unmonetized(
    spec: ProgramSpec, kpi: str, ledger: pd.DataFrame, ptime: pd.DataFrame, seed: int
) -> RoiResult:
    """No ROI on a KPI the spec does not monetize (e.g. ``win_rate``): the fully loaded cost, and why."""
    costs = cost_model(spec, ledger, ptime)
    reach = spec.assumptions.get(REACH)
    people = float(reach.value) if reach is not None else float(costs.learners or 0)
    why = "not monetized" if spec.kpi(kpi) is not None else "not listed"
    return RoiResult(
        program=spec.id, identified=False, benefit=None, cost=float(costs.total(np.asarray([people]))[0]),
        net_benefit=None, roi_pct=None, roi_conf_low=None, roi_conf_high=None, p_roi_positive=None,
        bcr=None, payback_months=None, npv=None, break_even_effect=None, basis="attributed", kpi=kpi,
        currency=spec.program.currency, seed=seed, cost_breakdown=costs.by_category(people),
        reasons=(f"KPI {kpi!r} is {why} in the program spec: no ROI on it "
                 f"(the ROI is on {spec.program.primary_kpi!r})",),
        notes=costs.notes,
    )  # fmt: skip


def _baseline(frame: pd.DataFrame) -> float | None:
    """The KPI's pre-period mean (turns a relative hypothesis into KPI units for a forecast)."""
    pre = frame.loc[~frame["post"].astype(bool), "value"] if "post" in frame else frame["value"]
    mean = float(pre.mean()) if len(pre) else math.nan
    return mean if math.isfinite(mean) else None


COMPANY_SERIES_KPIS = frozenset({"incidents"})
"""KPIs that are one company-wide monthly count (blended contract §4), not an employee x period panel."""


def company_panel(backend: Any, spec: ProgramSpec, kpi: str) -> pd.DataFrame:
    """The company-wide monthly series as a one-unit panel (unit ``company``), treated from the spec's start:
    the interrupted time series' input (no comparison group exists for a company-wide count)."""
    series = incident_series(backend)
    start = pd.Timestamp(spec.program.start) if spec.program.start else None
    period = pd.to_datetime(series["month"])
    treated = period >= start if start is not None else pd.Series(False, index=series.index)
    return pd.DataFrame(
        {
            "employee_id": "company",
            "period": period,
            "kpi": kpi,
            "value": series["incidents"].astype(float),
            "program_id": spec.id,
            "enrolled": True,
            "completed": True,
            "treated": treated,
            "first_treated_period": start,
        }
    )


def analyze_program(
    store: Store,
    spec: ProgramSpec,
    spec_hash: str,
    *,
    kpi: str | None = None,
    design: AttributionDesign = "auto",
    seed: int = 0,
    draws: int = 100_000,
    save: bool = True,
) -> ProgramAnalysis:
    """Run attribute -> ROI for ``spec`` on ``kpi`` (default: the primary KPI) and record the results."""
    kpi = kpi or spec.program.primary_kpi
    backend = connect(store.con)
    info = DesignInfo.from_spec(spec, kpi, one_value_per_person=kpi in ONE_PER_HIRE_KPIS)
    surveys = _frame(store, "SELECT * FROM survey_estimates WHERE program_id = ?", [spec.id])
    if kpi in COMPANY_SERIES_KPIS:
        frame, n_unmatched = company_panel(backend, spec, kpi), 0
    else:
        panel = build_panel(backend, spec.id, kpi)
        frame, n_unmatched = panel.frame, panel.n_unmatched_left_out
    att = attribute(frame, info, design=design, seed=seed, estimates=surveys if not surveys.empty else None)
    ledger = _frame(store, "SELECT * FROM cost_ledger WHERE program_id = ?", [spec.id])
    ptime = participant_time(store, spec.id)
    link = spec.kpi(kpi)
    if link is None or not link.monetized:  # an effect on a KPI without money: the cost, no ROI
        roi, alt = _unmonetized(spec, kpi, ledger, ptime, seed), None
    else:
        roi = compute_roi(
            spec, _effect_input(att, kpi), ledger=ledger, participant_time=ptime, seed=seed, draws=draws
        )
        alt = (
            None
            if att.identified
            else _alt_roi(spec, kpi, surveys, ledger, ptime, _baseline(frame), seed, draws)
        )
    fun = funnel(backend, spec.id)
    try:
        comp: KpiTable | None = compute_kpi(backend, "competency_gain", program=spec.id)
    except LearnroiError:  # a program without assessments has no competency table
        comp = None
    result = ProgramAnalysis(spec, spec_hash, kpi, att, roi, alt, fun, comp, n_unmatched)
    if save:
        save_results(store, result)
    return result


def save_results(store: Store, a: ProgramAnalysis) -> None:
    """Record the attribution and ROI results with the spec hash and version (provenance for the report),
    and fill the observed effect into the program's hypotheses in the registry (nothing when refused)."""
    if a.attribution.identified and a.attribution.result is not None:
        record_effect(store.con, a.spec.id, a.kpi, a.attribution.result)
    for stage, payload in (("attribution", a.attribution.to_dict()), ("roi", a.roi.to_dict())):
        store.con.execute(
            "INSERT INTO results (program_id, kpi, stage, spec_hash, payload, learnroi_version) VALUES (?, ?, ?, ?, ?, ?)",
            [a.spec.id, a.kpi, stage, a.spec_hash, json.dumps(payload, default=str), __version__],
        )


def cohort_breakdown(store: Store, a: ProgramAnalysis, *, draws: int = 20_000) -> RoiBreakdown | None:
    """ROI per roll-out cohort (``roi --by cohort``): each wave's own effect (the staggered design's
    per-cohort aggregation), reach and participants' time, shared costs split by reach
    (:func:`learnroi.roi.roi_by_cohort`). None unless a staggered design identified the effect."""
    res = a.attribution.result
    rows = res.extra.get("by_cohort") if res is not None and a.attribution.identified else None
    link = a.spec.kpi(a.kpi)
    if not rows or link is None or not link.monetized:
        return None
    method = res.method if res is not None else ""
    effects: dict[str, EffectInput] = {}
    for r in rows:
        if int(r["n"]) > 0:
            c = str(r["cohort"])
            effects[c] = EffectInput(
                kpi=a.kpi, estimate=float(r["estimate"]), std_error=float(r["std_error"]),
                n=int(r["n"]), method=f"{method}, cohort {c}",
            )  # fmt: skip
    n = {c: float(e.n or 0) for c, e in effects.items()}
    spec_reach = a.spec.assumptions.get(REACH)  # keep the program's reach; split it by treated people
    scale = float(spec_reach.value) / sum(n.values()) if spec_reach is not None else 1.0
    reach = {c: v * scale for c, v in n.items()}
    waves = _frame(
        store,
        """
        SELECT e.employee_id, strftime(min(w.start_date), '%Y-%m') AS cohort
        FROM employees e JOIN waves w ON w.unit_id = e.department
        WHERE w.program_id = ? AND w.wave > 0 AND w.start_date IS NOT NULL GROUP BY e.employee_id
        """,
        [a.spec.id],
    )
    ptime = participant_time(store, a.spec.id).merge(waves, on="employee_id", how="inner")
    ptime = ptime[ptime["cohort"].isin(list(effects))]
    ledger = _frame(store, "SELECT * FROM cost_ledger WHERE program_id = ?", [a.spec.id])
    seed = int(a.roi.seed)
    return roi_by_cohort(
        a.spec, effects, reach=reach, ledger=ledger, participant_time=ptime, draws=draws, seed=seed
    )
