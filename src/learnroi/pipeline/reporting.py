"""From analyses in the store to the one frozen report-data object the exporters read.

Besides each program's analysis it gathers the optional blocks (docs/dev/blended-contract.md §5): the
per-arm comparison of a multi-arm pilot (:func:`learnroi.pipeline.arms.analyze_arms`) and its retention
(:func:`learnroi.pipeline.retention.analyze_retention`), content
effectiveness, the reaction and application survey summaries, the qualitative notes and the ROI per
program year. A program without them renders as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd

from learnroi.core.errors import DataError, LearnroiError
from learnroi.core.program import ProgramSpec
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.design.registry import list_hypotheses
from learnroi.metrics import compute_all, connect
from learnroi.metrics.content import content_effectiveness
from learnroi.metrics.surveys import application_summary, reaction_summary
from learnroi.pipeline.analysis import ProgramAnalysis, cohort_breakdown
from learnroi.pipeline.arms import analyze_arms, assigned_counts
from learnroi.pipeline.chain import quiz_learning
from learnroi.pipeline.forecast import forecast_program
from learnroi.pipeline.platform import analyze_platform
from learnroi.pipeline.retention import RetentionAnalysis, analyze_retention
from learnroi.report import ReportData, build_program_section, build_report_data
from learnroi.roi import RoiResult, roi_by_year
from learnroi.store import Store
from learnroi.store.evidence import list_evidence

T = TypeVar("T")


def read_truth(data_dir: Path) -> dict[str, Any] | None:
    """The simulator's truth (demo only): shown beside the estimates, never read by the analyses."""
    path = data_dir / "truth" / "truth.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _program_truth(truth: dict[str, Any] | None, program_id: str, kpi: str) -> dict[str, Any] | None:
    if not truth:
        return None
    prog = (truth.get("programs") or {}).get(program_id)
    if not prog:
        return None
    k = (prog.get("kpis") or {}).get(kpi) or {}
    return {
        "roi_pct": prog.get("roi_pct"),
        "benefit": prog.get("benefit"),
        "cost": prog.get("cost"),
        "att": k.get("att"),
    }


def _competency(store: Store, program_id: str, min_cell: int) -> pd.DataFrame | None:
    """Pre/post means and gain over the program's learners: ``group, pre_mean, post_mean, gain, n, suppressed``.

    At program grain: the pre-assessment opens the pathway and the post-assessment closes it, often in
    different courses, so a per-course table would pair nothing.
    """
    backend = connect(store.con)
    names = ["pre_score_mean", "post_score_mean", "competency_gain"]
    frame = compute_all(backend, names, program=program_id, by="program", min_cell=min_cell).table
    if frame.empty or frame["value"].isna().all():
        return _optional(lambda: quiz_learning(store, program_id, min_cell))  # no pre/post: its quiz results
    vals = frame.set_index("kpi")["value"]
    return pd.DataFrame(
        {
            "group": ["all learners"],
            "pre_mean": [vals.get("pre_score_mean")],
            "post_mean": [vals.get("post_score_mean")],
            "gain": [vals.get("competency_gain")],
            "n": [frame["n"].max()],
            "suppressed": [bool(frame["suppressed"].any())],
        }
    )


def _hypotheses(store: Store) -> pd.DataFrame | None:
    frame = list_hypotheses(store.con)
    return frame if not frame.empty else None


def _forecasts(store: Store, spec: ProgramSpec, draws: int) -> list[Any]:
    """The pre-pilot forecasts; when the store cannot support one (too little KPI history), each hypothesis
    says why instead of failing the whole report."""
    try:
        return list(forecast_program(store, spec, draws=draws))
    except DataError as err:
        why = f"no forecast: {err}"
        return [{"hypothesis_id": h.id, "kpi": h.kpi, "verdict": why} for h in spec.hypotheses]


def _optional(make: Callable[[], T]) -> T | None:
    """An optional block: absent (None) when the store cannot support it, instead of failing the report."""
    try:
        return make()
    except (LearnroiError, duckdb.CatalogException):  # no such data, or a store from before migration 040
        return None


def _arms(store: Store, spec: ProgramSpec, draws: int) -> pd.DataFrame | None:
    """The per-arm frame (contract §5, with the cost parts the workbook's Blend sheet splits: the arm's share
    of the shared lines, its learners' time and the rest) and the control's size first. None unless the
    pilot has several arms and its checks pass."""
    analysis = _optional(lambda: analyze_arms(store, spec, draws=draws))
    if analysis is None or not analysis.identified:
        return None
    frame = analysis.tidy()
    n = assigned_counts(store, spec.id)
    control = pd.DataFrame([{"arm": analysis.reference, "n": n.get(analysis.reference)}])
    return pd.concat([control, frame], ignore_index=True)


def _retention(store: Store, spec: ProgramSpec) -> RetentionAnalysis | None:
    """Leaving within 12 months of assignment per arm (``attribute --retention``'s default), for a randomized
    pilot with several arms (the blend panel's programs, as :func:`_arms`); None otherwise or when the
    store cannot support it."""
    if len(_optional(lambda: assigned_counts(store, spec.id)) or {}) < 3:
        return None
    return _optional(lambda: analyze_retention(store, spec))


def _blend(store: Store, a: ProgramAnalysis, min_cell: int, draws: int) -> dict[str, Any]:
    """The optional blocks of one program (each None when its data are absent)."""
    backend = connect(store.con)
    pid = a.spec.id
    app = _optional(lambda: application_summary(backend, pid, min_cell=min_cell, rater_role="manager"))
    notes = _optional(lambda: list_evidence(store, pid))
    return {
        "arms": _arms(store, a.spec, draws),
        "content": _optional(lambda: content_effectiveness(backend, pid, min_cell=min_cell)),
        "reaction": _optional(lambda: reaction_summary(backend, pid, min_cell=min_cell)),
        "application": app.table.assign(rater_role="manager") if app is not None else None,
        "qualitative": notes,
        "roi_years": roi_by_year(a.roi) if isinstance(a.roi, RoiResult) and a.roi.computed else None,
        "roi_cohorts": _optional(lambda: cohort_breakdown(store, a, draws=draws)),
        "retention": _retention(store, a.spec),
    }


def _batches(store: Store) -> pd.DataFrame:
    return store.con.execute("SELECT * FROM batches ORDER BY 1").df()


def build_report(
    store: Store,
    analyses: list[ProgramAnalysis],
    *,
    truth: dict[str, Any] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    forecast_draws: int = 20_000,
    arm_draws: int = 20_000,
    extras: Mapping[str, Mapping[str, Any]] | None = None,
    platform: Any = None,
) -> ReportData:
    """One report-data object for ``analyses``; every exporter reads only this (with each program's
    pre-pilot forecast per hypothesis, :func:`learnroi.pipeline.forecast.forecast_program`, and the
    optional blended-learning blocks gathered from the store).

    ``extras``: per program id, more keyword arguments of
    :func:`learnroi.report.build_program_section` (e.g. ``roi_cohorts`` = a ``learnroi.roi.roi_by_cohort``
    result); they override what was gathered. ``platform``: the platform's ROI
    (``learnroi.roi.PlatformRoiResult``), shown once for the whole report; by default
    :func:`learnroi.pipeline.platform.analyze_platform` over the programs' ROI results (absent when the
    store has no platform costs)."""
    hyps = _hypotheses(store)
    sections = []
    for a in analyses:
        prog_hyps = (
            hyps[hyps["program_id"] == a.spec.id] if hyps is not None and "program_id" in hyps else hyps
        )
        sections.append(
            build_program_section(
                a.spec,
                roi=a.roi,
                effects={a.kpi: a.attribution.result} if a.attribution.result is not None else None,
                alt_roi=a.alt_roi,
                funnel=a.funnel.table,
                competency=_competency(store, a.spec.id, min_cell),
                hypotheses=prog_hyps,
                truth=_program_truth(truth, a.spec.id, a.kpi),
                forecast=_forecasts(store, a.spec, forecast_draws),
                min_cell=min_cell,
                **{**_blend(store, a, min_cell, arm_draws), **dict((extras or {}).get(a.spec.id, {}))},
            )
        )
    if platform is None:
        results = [a.roi for a in analyses if isinstance(a.roi, RoiResult)]
        platform = _optional(lambda: analyze_platform(store, results))
    return build_report_data(
        sections,
        spec_hashes={a.spec.id: a.spec_hash for a in analyses},
        ingest_batches=_batches(store),
        min_cell=min_cell,
        platform=platform,
    )
