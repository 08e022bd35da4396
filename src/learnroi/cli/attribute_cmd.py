"""``learnroi attribute``: which design the data support, the effect with its interval, or a refusal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.analysis_opts import arm_analyses, load_specs, run_analyses
from learnroi.cli.common import DbOption, JsonOption, db_path, print_json
from learnroi.cli.render import print_arms, print_attributions, print_retention
from learnroi.core.errors import UsageError
from learnroi.core.options import AttributionDesign, check_option
from learnroi.pipeline.retention import RetentionAnalysis, analyze_retention
from learnroi.store import Store


def attribute(
    program: Annotated[
        str | None,
        typer.Argument(help="A program id in the store, or a program spec file. Default: every program."),
    ] = None,
    kpi: Annotated[
        str | None, typer.Option("--kpi", help="The KPI (default: the program's primary KPI).")
    ] = None,
    design: Annotated[
        str, typer.Option("--design", help="auto, randomized, matched, did, staggered, its or estimates.")
    ] = "auto",
    seed: Annotated[int, typer.Option("--seed", help="Seed for any resampling.")] = 0,
    by_arm: Annotated[
        bool,
        typer.Option(
            "--by-arm",
            help="Each arm of a randomized pilot against control, with simultaneous intervals (multi-arm pilots).",
        ),
    ] = False,
    retention: Annotated[
        bool,
        typer.Option(
            "--retention",
            help="Leaving within --months of assignment, each arm of a randomized pilot against control "
            "(Kaplan-Meier with Greenwood CI, Cox hazard ratio).",
        ),
    ] = False,
    months: Annotated[
        int, typer.Option("--months", min=1, max=120, help="Retention horizon in months (with --retention).")
    ] = 12,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Estimate each program's causal effect with the strongest design its data support."""
    chosen: AttributionDesign = check_option(design, AttributionDesign, "--design")  # type: ignore[assignment]
    specs = [Path(program)] if program and program.endswith(".toml") else None
    ids = [program] if program and specs is None else None
    if months != 12 and not retention:
        raise UsageError("--months applies to --retention only", hint="Add --retention, or drop --months.")
    if retention:
        done: list[RetentionAnalysis] = []
        skipped: list[str] = []
        with Store.open(db_path(db)) as store:
            for spec, _ in load_specs(store, specs, ids):
                res = analyze_retention(store, spec, months=months)
                if res is None:
                    skipped.append(spec.id)
                else:
                    done.append(res)
        if json:
            print_json([r.to_dict() for r in done])
            return
        print_retention(done, skipped)
        return
    if by_arm:
        with Store.open(db_path(db)) as store:
            arms, skipped = arm_analyses(store, specs, ids, kpi=kpi, seed=seed)
        if json:
            print_json([row for a in arms for row in a.to_dict()["arms"]])
            return
        print_arms(arms, skipped)
        return
    with Store.open(db_path(db)) as store:
        analyses = run_analyses(store, specs, ids, kpi=kpi, design=chosen, seed=seed)
    if json:
        print_json([a.attribution.to_dict() for a in analyses])
        return
    print_attributions(analyses)


def register(app: typer.Typer) -> None:
    app.command("attribute")(attribute)
