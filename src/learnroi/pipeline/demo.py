"""``learnroi demo``: a synthetic company through define -> measure -> attribute -> calculate -> report.

Everything goes under one folder: ``data/`` (the simulated exports), the DuckDB store and the report
files. The simulator's truth is shown beside each estimate; the analyses never read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnroi.pipeline.analysis import ProgramAnalysis, analyze_program
from learnroi.pipeline.programs import load_programs, register_spec
from learnroi.pipeline.reporting import build_report, read_truth
from learnroi.report import write_report
from learnroi.simulate import simulate_company
from learnroi.store import Store, ingest_all
from learnroi.store.result import IngestResult

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class DemoResult:
    """What the demo did and where it wrote it."""

    out: Path
    data_dir: Path
    db: Path
    ingests: tuple[IngestResult, ...]
    analyses: tuple[ProgramAnalysis, ...]
    reports: dict[str, Path]
    truth: dict[str, Any] | None


def _noop(stage: str, fraction: float) -> None:
    return None


def run_demo(
    out: Path,
    *,
    employees: int = 5000,
    seed: int = 42,
    db: Path | None = None,
    formats: tuple[str, ...] = ("html", "pdf", "xlsx"),
    progress: Progress | None = None,
) -> DemoResult:
    """Simulate a company into ``out/data``, ingest it into ``out/learnroi.duckdb``, analyze, and report."""
    tick = progress or _noop
    out.mkdir(parents=True, exist_ok=True)
    data_dir = out / "data"
    db_path = db or out / "learnroi.duckdb"
    if db_path.exists():
        db_path.unlink()  # the demo always starts from an empty store
    tick("simulate", 0.0)
    simulate_company(data_dir, employees=employees, seed=seed)
    tick("ingest", 0.25)
    with Store.open(db_path) as store:
        ingests = tuple(ingest_all(store, data_dir))
        for path in sorted(data_dir.glob("program-*.toml")):
            register_spec(store, path)
        tick("attribute and calculate", 0.55)
        analyses = tuple(analyze_program(store, spec, h, seed=seed) for spec, h in load_programs(store))
        tick("report", 0.8)
        truth = read_truth(data_dir)
        data = build_report(store, list(analyses), truth=truth)
    reports = write_report(data, out, formats=formats)
    tick("done", 1.0)
    return DemoResult(out, data_dir, db_path, ingests, analyses, reports, truth)
