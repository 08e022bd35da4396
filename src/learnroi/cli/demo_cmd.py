"""``learnroi demo``: the whole study on a synthetic company, with its true effects shown beside the estimates."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from learnroi.cli.common import DbOption, console
from learnroi.cli.render import print_analyses
from learnroi.pipeline.demo import run_demo


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for the data, the store and the report.")] = Path(
        "learnroi-demo"
    ),
    employees: Annotated[
        int, typer.Option("--employees", min=200, help="Size of the synthetic company.")
    ] = 5000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic company.")] = 42,
    db: DbOption = None,
) -> None:
    """Run a synthetic company through define -> measure -> attribute -> calculate -> report."""
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("simulate", total=1.0)

        def tick(stage: str, fraction: float) -> None:
            bar.update(task, description=stage, completed=fraction)

        result = run_demo(out, employees=employees, seed=seed, db=db, progress=tick)
    loaded = sum(r.loaded for r in result.ingests)
    quarantined = sum(r.quarantined for r in result.ingests)
    console.print(
        f"[bold]learnroi demo[/] — {employees:,} simulated employees, {loaded:,} rows loaded, "
        f"{quarantined:,} quarantined ({time.perf_counter() - start:.0f} s)"
    )
    print_analyses(list(result.analyses), truth=result.truth)
    console.print("\n[bold]Written:[/]")
    console.print(f"  {'data':<18} {result.data_dir}/")
    console.print(f"  {'store':<18} {result.db}")
    for fmt, path in result.reports.items():
        console.print(f"  {fmt:<18} {path}")
    first = result.reports.get("html")
    if first is not None:
        console.print(
            f"\nOpen [bold]{first}[/] in a browser first; the PDF is the one-page executive summary."
        )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
