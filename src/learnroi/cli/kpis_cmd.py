"""`learnroi kpis [KPI...] [--program P] [--by GRAIN] [--format F] [--output F]`: the KPI catalog over the store.

No KPI named: every KPI computable at the grain, for every program. Small cells are suppressed and shown as
such. ``--by learner`` exports one row per learner: it needs ``--learner-level`` and is recorded in the
store's ``access_log`` (contracts §2, Privacy). ``--content`` shows content effectiveness instead: per module
and modality, with the update-priority ranking (blended contract §4).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.core.errors import DataError, UsageError
from learnroi.core.options import Grain, OutputFormat, check_option, choices
from learnroi.core.settings import Settings
from learnroi.metrics import (
    ContentTable,
    KpiTable,
    compute_all,
    connect,
    content_effectiveness,
    kpi_def,
    record_access,
)
from learnroi.store import Store


def _fmt(value: object, suppressed: bool, min_cell: int) -> str:
    if suppressed:
        return f"suppressed (<{min_cell})"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    v = float(value)  # type: ignore[arg-type]
    return f"{v:,.0f}" if v.is_integer() and abs(v) >= 1 else f"{v:,.4g}"


def _print_table(result: KpiTable) -> None:
    tidy = result.tidy()
    table = Table(title=f"KPIs by {result.grain}", show_lines=False)
    for col in ("program", "cell", "kpi", "value", "unit", "n"):
        table.add_column(col, justify="right" if col in {"value", "n"} else "left")
    for rec in tidy.to_dict(orient="records"):
        n = rec["n"]
        table.add_row(
            str(rec["program_id"]),
            "" if rec["cell"] is pd.NA else str(rec["cell"]),
            str(rec["kpi"]),
            _fmt(rec["value"], bool(rec["suppressed"]), result.min_cell),
            "" if rec["unit"] is pd.NA else str(rec["unit"]),
            "" if n is pd.NA else str(n),
        )
    console.print(table)
    if result.n_suppressed:
        console.print(
            f"{result.n_suppressed} cells suppressed: fewer than {result.min_cell} people, or hidden so that a "
            "suppressed cell cannot be recovered from the program total.",
            markup=False,
        )


def _export(payload: dict[str, Any], tidy: pd.DataFrame, fmt: str, output: Path | None) -> None:
    """``json`` / ``csv`` / ``parquet`` to stdout or ``output`` (parquet needs a file)."""
    if fmt == "json":
        if output is None:
            print_json(payload)
        else:
            output.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    elif fmt == "csv":
        if output is None:
            typer.echo(tidy.to_csv(index=False), nl=False)
        else:
            tidy.to_csv(output, index=False)
    else:
        if output is None:
            raise UsageError("--format parquet writes a file", hint="Add --output FILE.parquet.")
        tidy.to_parquet(output, index=False)


def _write(result: KpiTable, fmt: str, output: Path | None) -> None:
    if fmt != "table":
        _export(result.to_dict(), result.tidy(), fmt, output)
        return
    _print_table(result)
    if output is not None:
        output.write_text(result.tidy().to_string(index=False) + "\n", encoding="utf-8")


_CONTENT_COLUMNS = {
    "rank": "rank",
    "module": "module",
    "modality": "modality",
    "reach": "reach",
    "drop_off": "drop-off",
    "median_minutes": "median min",
    "revisit_rate": "revisits",
    "module_check_gain": "check gain",
    "attendance_rate": "attendance",
    "update_priority": "priority",
}


_SHARES = {"drop_off", "revisit_rate", "module_check_gain", "attendance_rate"}


def _content_cell(key: str, value: object) -> str:
    """Shares as percentages (the check gain in points of the maximum score), minutes to one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    x = float(value)  # type: ignore[arg-type]
    if key in _SHARES:
        return f"{100 * x:.1f}%"
    if key == "reach":
        return f"{x:,.0f}"
    if key == "median_minutes":
        return f"{x:,.1f}"
    return f"{x:.3f}"


def _print_content(result: ContentTable) -> None:
    mods = result.modules
    programs = sorted(str(p) for p in mods["program_id"].dropna().unique()) if "program_id" in mods else []
    one = programs[0] if len(programs) == 1 else None
    title = "Content effectiveness" + (f" of {one}" if one else "") + " (update first: highest priority)"
    table = Table(title=title, show_lines=False)

    def widest(col: str) -> int:  # identifiers are never cut: numbers' headers wrap instead
        return max([len(str(v)) for v in mods[col].dropna()] + [6]) if col in mods else 6

    if one is None:  # several programs: name each row's
        table.add_column("program", no_wrap=True, min_width=widest("program_id"))
    for key, label in _CONTENT_COLUMNS.items():
        if key == "module":
            table.add_column(label, no_wrap=True, min_width=widest("module_id"))
        else:
            table.add_column(label, justify="left" if key == "modality" else "right", overflow="fold")
    hidden = result.table[result.table["grain"] == "module"]
    hidden = hidden[hidden["suppressed"]]
    hidden_cells = set(
        zip(hidden["program_id"], hidden["course_id"], hidden["module_id"], hidden["kpi"], strict=True)
    )
    for rec in result.modules.to_dict(orient="records"):
        cells = []
        for key in _CONTENT_COLUMNS:
            if key == "rank":
                cells.append("-" if pd.isna(rec["rank"]) else str(rec["rank"]))
            elif key in {"module", "modality"}:
                label = rec["module_id" if key == "module" else "modality"]
                cells.append("" if pd.isna(label) else str(label))
            else:
                sup = (rec["program_id"], rec["course_id"], rec["module_id"], key) in hidden_cells
                cells.append("hidden" if sup else _content_cell(key, rec[key]))
        table.add_row(*(cells if one is not None else [str(rec["program_id"]), *cells]))
    console.print(table)
    console.print(
        f"hidden: suppressed, fewer than {result.min_cell} people (or hidden so that a suppressed cell cannot be "
        "recovered); -: does not apply. Priority = reach share x drop-off x (1 - check gain / max gain).",
        markup=False,
    )
    unranked = result.modules["not_ranked"].dropna()
    if len(unranked):
        counts = ", ".join(f"{n} {why}" for why, n in unranked.value_counts().sort_index().items())
        console.print(f"Not ranked: {counts}.", markup=False)


def _write_content(result: ContentTable, fmt: str, output: Path | None) -> None:
    if fmt != "table":
        _export(result.to_dict(), result.tidy(), fmt, output)
        return
    _print_content(result)
    if output is not None:
        output.write_text(result.modules.to_string(index=False) + "\n", encoding="utf-8")


def register(app: typer.Typer) -> None:
    """Add ``kpis`` to the app."""

    @app.command("kpis")
    def kpis(
        names: Annotated[
            list[str] | None, typer.Argument(metavar="[KPI]...", help="KPI names (default: all).")
        ] = None,
        program: Annotated[str | None, typer.Option("--program", help="One program id.")] = None,
        by: Annotated[
            str, typer.Option("--by", help=f"Grain: {', '.join(choices(Grain))} (see the catalog).")
        ] = "program",
        fmt: Annotated[str, typer.Option("--format", help="table, csv, parquet or json.")] = "table",
        output: Annotated[Path | None, typer.Option("--output", help="Write to this file.")] = None,
        learner_level: Annotated[
            bool,
            typer.Option(
                "--learner-level", help="Allow --by learner (one row per person; recorded in the access log)."
            ),
        ] = False,
        content: Annotated[
            bool,
            typer.Option(
                "--content",
                help="Content effectiveness per module and modality, ranked by update priority (no KPI names).",
            ),
        ] = False,
        db: DbOption = None,
        as_json: JsonOption = False,
    ) -> None:
        """Compute the KPI catalog (reach, funnel rates, scores, gains, times, engagement, costs)."""
        check_option(fmt, OutputFormat, "--format")
        check_option(by, Grain, "--by")
        if as_json:
            fmt = "json"
        if content:
            if names or by != "program" or learner_level:
                raise UsageError(
                    "--content takes no KPI names, --by or --learner-level",
                    hint="Run `learnroi kpis --content [--program P]`; it is per module and modality already.",
                )
            _content(program, fmt, output, db)
            return
        for name in names or []:
            kpi_def(name)
        if by == "learner" and not learner_level:
            raise UsageError(
                "--by learner exports one row per person",
                hint="Add --learner-level; the export is recorded in the store's access log.",
            )
        settings = Settings.from_env(db)
        path = db_path(db)
        with Store.open(path, read_only=by != "learner") as store:
            result = compute_all(
                connect(store.con),
                names or None,
                program=program,
                by=by,
                min_cell=settings.min_cell,
                learner_level=learner_level,
            )
            if by == "learner":
                record_access(
                    store.con,
                    command="kpis --by learner",
                    grain="learner",
                    rows=len(result.table),
                    program=program,
                    kpis=names,
                    output=str(output) if output else None,
                )
        if result.table.empty:
            scope = f"program {program!r}" if program else "any program"
            raise DataError(
                f"no KPI values: the store has no LMS events for {scope}",
                where=str(path),
                hint="Ingest LMS data first (`learnroi ingest lms FILE` or `learnroi ingest all DIR`), "
                "or check --program.",
            )
        _write(result, fmt, output)


def _content(program: str | None, fmt: str, output: Path | None, db: Path | None) -> None:
    settings = Settings.from_env(db)
    path = db_path(db)
    with Store.open(path, read_only=True) as store:
        result = content_effectiveness(connect(store.con), program, min_cell=settings.min_cell)
    if result.modules.empty:
        scope = f"program {program!r}" if program else "any program"
        raise DataError(
            f"no modules: the store has no catalog or LMS events for {scope}",
            where=str(path),
            hint="Ingest the catalog and LMS events first (`learnroi ingest all DIR`), or check --program.",
        )
    _write_content(result, fmt, output)
