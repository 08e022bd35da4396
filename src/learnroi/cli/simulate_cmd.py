"""`learnroi simulate`: write a synthetic company with planted effects (contracts §1)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from learnroi.cli.common import JsonOption, console, print_json, report_error
from learnroi.core.errors import LearnroiError


def simulate(
    employees: Annotated[int, typer.Option("--employees", help="Number of people in the HRIS.")] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same bytes.")] = 42,
    messy: Annotated[
        bool, typer.Option("--messy", help="Add real-export faults (listed in truth/messy.json).")
    ] = False,
    xapi: Annotated[
        bool | None,
        typer.Option(
            "--xapi/--no-xapi",
            help="Write the xAPI copy of the LMS events (default: only below 50,000 employees).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("learnroi-data"),
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic company (HRIS, LMS, xAPI, KPIs, costs, surveys, program specs, truth) to a folder."""
    from learnroi.simulate import simulate_company

    try:
        if as_json:
            summary = simulate_company(out, employees=employees, seed=seed, messy=messy, xapi=xapi)
            print_json(summary.to_dict())
            return
        with Progress(
            TextColumn("[bold]{task.description:<18}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("starting", total=1.0)

            def step(stage: str, fraction: float) -> None:
                bar.update(task, description=stage, completed=fraction)

            summary = simulate_company(
                out, employees=employees, seed=seed, messy=messy, xapi=xapi, progress=step
            )
    except LearnroiError as exc:
        raise typer.Exit(report_error(exc)) from None

    table = Table(title=f"Simulated company: {employees:,} employees, seed {seed}", title_justify="left")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in summary.files.items():
        table.add_row(str(out / name), f"{rows:,}")
    console.print(table)
    for pid, prog in summary.truth["programs"].items():
        kpi = next(iter(prog["kpis"]))
        console.print(
            f"  {pid}: spec {out / f'program-{pid}.toml'}; planted {prog['estimand']} on {kpi} = "
            f"{prog['kpis'][kpi]['att']:,.4g}, true ROI {prog['roi_pct']:,.1f} %",
            markup=False,
            soft_wrap=True,
        )
    console.print(f"  truth (never ingested): {out / 'truth' / 'truth.json'}", markup=False, soft_wrap=True)
    if messy:
        console.print(f"  planted faults: {out / 'truth' / 'messy.json'}", markup=False, soft_wrap=True)
    console.print(f"Next: learnroi ingest all {out}", markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the app."""
    app.command("simulate")(simulate)
