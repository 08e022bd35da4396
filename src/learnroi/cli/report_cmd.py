"""``learnroi report``: the HTML dashboard, the one-page PDF and the Excel ROI model from one report data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.analysis_opts import run_analyses
from learnroi.cli.common import DbOption, console, db_path
from learnroi.core.errors import UsageError
from learnroi.core.options import ReportFormat, choices
from learnroi.pipeline import build_report
from learnroi.report import write_report
from learnroi.store import Store


def report(
    specs: Annotated[
        list[Path] | None,
        typer.Argument(help="Program spec files. Default: the programs already in the store."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--format", help="Comma-separated: html, pdf, xlsx.")
    ] = "html,pdf,xlsx",
    out: Annotated[Path, typer.Option("--out", help="Folder for the report files.")] = Path(
        "learnroi-report"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
    db: DbOption = None,
) -> None:
    """Write the report files for each program."""
    wanted = tuple(f.strip() for f in formats.split(",") if f.strip())
    bad = [f for f in wanted if f not in choices(ReportFormat)]
    if bad or not wanted:
        raise UsageError(
            f"unknown report format {', '.join(bad) or '(none)'}", hint="Use --format html,pdf,xlsx."
        )
    with Store.open(db_path(db)) as store:
        analyses = run_analyses(store, specs, seed=seed)
        data = build_report(store, analyses)
    written = write_report(data, out, formats=wanted)
    for fmt, path in written.items():
        console.print(f"{fmt:<6} {path}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
