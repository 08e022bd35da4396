"""``learnroi roi``: money from the attributed effect, fully loaded costs, ROI with its range."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.analysis_opts import run_analyses
from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.cli.render import print_rois
from learnroi.pipeline import load_programs, register_spec
from learnroi.pipeline.forecast import forecast_program
from learnroi.store import Store


def roi(
    specs: Annotated[
        list[Path] | None,
        typer.Argument(help="Program spec files. Default: the programs already in the store."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast", help="Forecast ROI before a pilot from each hypothesis's assumed effect (labelled)."
        ),
    ] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Compute each program's ROI (benefit, cost, ROI %, BCR, payback, NPV) with honest uncertainty."""
    if forecast:
        _forecast(specs, seed, db, json)
        return
    with Store.open(db_path(db)) as store:
        analyses = run_analyses(store, specs, seed=seed)
    if json:
        payload = []
        for a in analyses:
            d = a.roi.to_dict()
            if a.alt_roi is not None:
                d["alternative"] = a.alt_roi.to_dict()
            payload.append(d)
        print_json(payload)
        return
    print_rois(analyses)


def _forecast(specs: list[Path] | None, seed: int, db: Path | None, json: bool) -> None:
    with Store.open(db_path(db)) as store:
        ids = [register_spec(store, p).id for p in specs or []]
        results = [
            f
            for spec, _ in load_programs(store, ids or None)
            for f in forecast_program(store, spec, seed=seed)
        ]
    if json:
        print_json([f.to_dict() for f in results])
        return
    if not results:
        console.print("No hypotheses in these specs: add a [[hypotheses]] entry to forecast from.")
    for f in results:
        console.print(f.summary(), markup=False, soft_wrap=True)
        console.print()


def register(app: typer.Typer) -> None:
    app.command("roi")(roi)
