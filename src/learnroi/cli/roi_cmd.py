"""``learnroi roi``: money from the attributed effect, fully loaded costs, ROI with its range."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.analysis_opts import run_analyses
from learnroi.cli.common import DbOption, JsonOption, db_path, print_json
from learnroi.cli.render import print_rois
from learnroi.store import Store


def roi(
    specs: Annotated[
        list[Path] | None,
        typer.Argument(help="Program spec files. Default: the programs already in the store."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Compute each program's ROI (benefit, cost, ROI %, BCR, payback, NPV) with honest uncertainty."""
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


def register(app: typer.Typer) -> None:
    app.command("roi")(roi)
