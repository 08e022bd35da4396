"""From analyses in the store to the one frozen report-data object the exporters read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from learnroi.core.errors import DataError
from learnroi.core.program import ProgramSpec
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.design.registry import list_hypotheses
from learnroi.metrics import compute_all, connect
from learnroi.pipeline.analysis import ProgramAnalysis
from learnroi.pipeline.forecast import forecast_program
from learnroi.report import ReportData, build_program_section, build_report_data
from learnroi.store import Store


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
        return None
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


def _batches(store: Store) -> pd.DataFrame:
    return store.con.execute("SELECT * FROM batches ORDER BY 1").df()


def build_report(
    store: Store,
    analyses: list[ProgramAnalysis],
    *,
    truth: dict[str, Any] | None = None,
    min_cell: int = DEFAULT_MIN_CELL,
    forecast_draws: int = 20_000,
) -> ReportData:
    """One report-data object for ``analyses``; every exporter reads only this (with each program's
    pre-pilot forecast per hypothesis, :func:`learnroi.pipeline.forecast.forecast_program`)."""
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
            )
        )
    return build_report_data(
        sections,
        spec_hashes={a.spec.id: a.spec_hash for a in analyses},
        ingest_batches=_batches(store),
        min_cell=min_cell,
    )
