"""``learnroi roi``: money from the attributed effect, fully loaded costs, ROI with its range."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.analysis_opts import arm_analyses, run_analyses, spec_ids
from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.cli.render import print_arms, print_by_cohort, print_by_year, print_platform, print_rois
from learnroi.core.errors import UsageError
from learnroi.pipeline import load_programs
from learnroi.pipeline.analysis import ProgramAnalysis, cohort_breakdown
from learnroi.pipeline.forecast import forecast_program
from learnroi.pipeline.platform import analyze_platform
from learnroi.roi import roi_by_year
from learnroi.store import Store

BY = ("cohort", "year")


def roi(
    specs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Program spec files (or ids of programs already in the store). Default: every program in the store."
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Monte Carlo draws.")] = 0,
    forecast: Annotated[
        bool,
        typer.Option(
            "--forecast", help="Forecast ROI before a pilot from each hypothesis's assumed effect (labelled)."
        ),
    ] = False,
    by_arm: Annotated[
        bool,
        typer.Option("--by-arm", help="Cost and ROI of each arm of a randomized pilot (which blend pays)."),
    ] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Break the ROI down by roll-out cohort or by program year: cohort or year."
        ),
    ] = None,
    platform: Annotated[
        bool,
        typer.Option(
            "--platform", help="The learning platform's own ROI: its costs vs admin time saved and programs."
        ),
    ] = False,
    go_live: Annotated[
        str | None,
        typer.Option("--go-live", help="Platform go-live month (YYYY-MM). Default: its first licence line."),
    ] = None,
    admin_hourly_cost: Annotated[
        float | None,
        typer.Option(
            "--admin-hourly-cost",
            help="Loaded hourly cost of admin staff. Default: the HRIS quartiles of loaded hourly rates.",
        ),
    ] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Compute each program's ROI (benefit, cost, ROI %, BCR, payback, NPV) with honest uncertainty."""
    modes = [
        m
        for m, on in (("--forecast", forecast), ("--by-arm", by_arm), ("--by", by), ("--platform", platform))
        if on
    ]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined", hint="Pick one of them per run.")
    if by is not None and by not in BY:
        raise UsageError(f"--by {by!r} is not a breakdown", hint="Use --by cohort or --by year.")
    if forecast:
        _forecast(specs, seed, db, json)
        return
    if by_arm:
        _by_arm(specs, seed, db, json)
        return
    with Store.open(db_path(db)) as store:
        analyses = run_analyses(store, specs, seed=seed)
        if by == "cohort":
            _by_cohort(store, analyses, json)
            return
        if platform:
            rois = [a.roi for a in analyses]
            result = analyze_platform(store, rois, go_live=go_live, hourly_cost=admin_hourly_cost, seed=seed)
            if json:
                print_json(result.to_dict() if result is not None else None)
            else:
                print_platform(result)
            return
    if by == "year":
        _by_year(analyses, json)
    elif json:
        payload = []
        for a in analyses:
            d = a.roi.to_dict()
            if a.alt_roi is not None:
                d["alternative"] = a.alt_roi.to_dict()
            payload.append(d)
        print_json(payload)
    else:
        print_rois(analyses)


def _by_arm(specs: list[Path] | None, seed: int, db: Path | None, json: bool) -> None:
    with Store.open(db_path(db)) as store:
        arms, skipped = arm_analyses(store, specs, seed=seed)
    if json:
        print_json([row for a in arms for row in a.to_dict()["arms"]])
    else:
        print_arms(arms, skipped, roi=True)


def _by_cohort(store: Store, analyses: list[ProgramAnalysis], json: bool) -> None:
    breakdowns = [(a.spec.id, cohort_breakdown(store, a)) for a in analyses]
    if json:
        print_json([{"program": p, "by_cohort": b.to_dict() if b else None} for p, b in breakdowns])
    else:
        print_by_cohort(breakdowns)


def _by_year(analyses: list[ProgramAnalysis], json: bool) -> None:
    years = [roi_by_year(a.roi) for a in analyses]
    if not json:
        print_by_year(analyses, years)
        return
    print_json(
        [
            {
                "program": a.spec.id,
                "kpi": a.kpi,
                "roi_pct": a.roi.roi_pct,
                "by_year": y.to_dict(orient="records"),
            }
            for a, y in zip(analyses, years, strict=True)
        ]
    )


def _forecast(specs: list[Path] | None, seed: int, db: Path | None, json: bool) -> None:
    with Store.open(db_path(db)) as store:
        ids = spec_ids(store, specs)
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
