"""`learnroi hypotheses add|list|show|review`: the hypothesis registry in the store."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.core.errors import UsageError
from learnroi.design import add_hypothesis, get_hypothesis, list_hypotheses, review_hypothesis
from learnroi.store import Store

Opt = typer.Option
hypotheses_app = typer.Typer(
    help="The hypothesis registry: what each program should change, by how much, and what the data said.",
    no_args_is_help=True,
)


def _today(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a date", hint="Write it as YYYY-MM-DD.") from None


@hypotheses_app.command("add")
def add(
    program: Annotated[str, Opt("--program", help="Program id.")],
    kpi: Annotated[str, Opt("--kpi", help="The business KPI the program should move.")],
    effect: Annotated[float, Opt("--effect", help="Assumed effect (0.05 = +5 % with --relative).")],
    relative: Annotated[
        bool, Opt("--relative/--absolute", help="Effect as a share of baseline, or KPI units.")
    ] = True,
    rationale: Annotated[str, Opt("--rationale", help="Why this effect is expected.")] = "",
    owner: Annotated[str, Opt("--owner", help="Who owns the hypothesis.")] = "",
    steward: Annotated[str, Opt("--steward", help="The data steward for the KPI.")] = "",
    status: Annotated[
        str, Opt("--status", help="proposed, piloting, confirmed, refuted, inconclusive.")
    ] = "proposed",
    hypothesis_id: Annotated[str | None, Opt("--id", help="Id (default <program>-h<N>).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a hypothesis; its first quarterly review is due in three months."""
    with Store.open(db_path(db)) as store:
        rec = add_hypothesis(
            store.con,
            program_id=program,
            kpi=kpi,
            assumed_effect=effect,
            assumed_effect_unit="relative" if relative else "absolute",
            rationale=rationale,
            owner=owner,
            data_steward=steward,
            status=status,
            hypothesis_id=hypothesis_id,
        )
    if as_json:
        print_json(rec.to_dict())
    else:
        console.print(f"Registered {rec.id}.\n{rec.summary()}", markup=False, soft_wrap=True)


@hypotheses_app.command("list")
def list_cmd(
    program: Annotated[str | None, Opt("--program", help="Only this program.")] = None,
    status: Annotated[str | None, Opt("--status", help="Only this status.")] = None,
    due: Annotated[bool, Opt("--due", help="Only those with something due.")] = False,
    today: Annotated[str | None, Opt("--today", help="Reference date for what is due (YYYY-MM-DD).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the registry with what is due (quarterly reviews, analyses after the measurement window)."""
    with Store.open(db_path(db)) as store:
        frame = list_hypotheses(store.con, program_id=program, status=status, today=_today(today))
    if due:
        frame = frame[frame["due"] != ""]
    if as_json:
        print_json(_records(frame))
        return
    if frame.empty:
        console.print("No hypotheses registered (add one with `learnroi hypotheses add`).", markup=False)
        return
    table = Table(title="Hypotheses")
    table.add_column("id", no_wrap=True)  # people copy it into `hypotheses show`
    for col in ("program", "kpi", "assumed", "status", "observed [interval]", "next review", "due"):
        table.add_column(col, overflow="fold")
    for r in frame.to_dict(orient="records"):
        unit = "%" if r["assumed_effect_unit"] == "relative" else ""
        assumed = f"{r['assumed_effect'] * 100:+g}%" if unit else f"{r['assumed_effect']:+,.4g}"
        observed = (
            "-"
            if pd.isna(r["observed_effect"])
            else f"{r['observed_effect']:,.4g} [{r['observed_conf_low']:,.4g}, {r['observed_conf_high']:,.4g}]"
        )
        table.add_row(
            r["hypothesis_id"],
            r["program_id"],
            r["kpi"],
            assumed,
            r["status"],
            observed,
            str(r["next_review"]),
            r["due"],
        )
    console.print(table)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    out = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (str(v) if isinstance(v, date | pd.Timestamp) else v) for k, v in r.items()}
        for r in out.to_dict(orient="records")
    ]


@hypotheses_app.command("show")
def show(
    hypothesis_id: Annotated[str, typer.Argument(help="The hypothesis id.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """One hypothesis with its history of reviews and observed effects."""
    with Store.open(db_path(db)) as store:
        rec = get_hypothesis(store.con, hypothesis_id)
    if as_json:
        print_json(rec.to_dict())
    else:
        console.print(rec.summary(), markup=False, soft_wrap=True)


@hypotheses_app.command("review")
def review(
    hypothesis_id: Annotated[str, typer.Argument(help="The hypothesis id.")],
    status: Annotated[str | None, Opt("--status", help="New status (default: unchanged).")] = None,
    note: Annotated[str, Opt("--note", help="What the review concluded.")] = "",
    reviewer: Annotated[str, Opt("--reviewer", help="Who reviewed.")] = "",
    today: Annotated[str | None, Opt("--today", help="Review date (default today).")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a quarterly review (and optionally a new status); the next review is a quarter later."""
    with Store.open(db_path(db)) as store:
        rec = review_hypothesis(
            store.con, hypothesis_id, status=status, note=note, reviewer=reviewer, today=_today(today)
        )
    if as_json:
        print_json(rec.to_dict())
    else:
        console.print(rec.summary(), markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add `learnroi hypotheses ...` to the app."""
    app.add_typer(hypotheses_app, name="hypotheses")
