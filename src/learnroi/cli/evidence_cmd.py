"""`learnroi evidence add|list`: qualitative notes beside a program's estimate (never monetized)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.store import Store
from learnroi.store.evidence import add_evidence, list_evidence

Opt = typer.Option
evidence_app = typer.Typer(
    help="Qualitative evidence: notes that support or contradict a program's estimate (never monetized).",
    no_args_is_help=True,
)


@evidence_app.command("add")
def add(
    program: Annotated[str, typer.Argument(help="Program id.")],
    note: Annotated[str, Opt("--note", help="What was observed, said or read.")],
    stance: Annotated[str, Opt("--stance", help="supports, contradicts or neutral (about the estimate).")],
    kpi: Annotated[str | None, Opt("--kpi", help="The KPI the note is about (default: the program).")] = None,
    author_role: Annotated[
        str, Opt("--author-role", help="manager, participant, sponsor, analyst or customer.")
    ] = "analyst",
    source_type: Annotated[
        str, Opt("--source-type", help="observation, interview, focus_group or document.")
    ] = "observation",
    when: Annotated[
        str | None, Opt("--date", help="When it was recorded (YYYY-MM-DD; default today).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add one note as its own batch (`learnroi sources` lists it; `learnroi ingest --undo` removes it)."""
    with Store.open(db_path(db)) as store:
        eid = add_evidence(
            store,
            program,
            note,
            stance,
            kpi=kpi,
            author_role=author_role,
            source_type=source_type,
            recorded_date=when,
        )
        row = store.con.execute(
            "SELECT batch_id FROM batches WHERE source = 'cli: evidence add' ORDER BY batch_id DESC LIMIT 1"
        ).fetchone()
    batch = int(row[0]) if row else None
    if as_json:
        print_json({"evidence_id": eid, "program_id": program, "batch_id": batch})
    else:
        console.print(
            f"Added {eid} to {program} (batch {batch}; undo with `learnroi ingest --undo {batch}`).",
            markup=False,
            soft_wrap=True,
        )


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    out = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.date().isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in r.items()}
        for r in out.to_dict(orient="records")
    ]


@evidence_app.command("list")
def list_cmd(
    program: Annotated[str | None, typer.Argument(help="Only this program.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the qualitative evidence (added here or ingested from surveys/observations.csv)."""
    with Store.open(db_path(db)) as store:
        frame = list_evidence(store, program)
    records = _records(frame)
    if as_json:
        print_json(records)
        return
    if not records:
        console.print("No evidence recorded (add a note with `learnroi evidence add`).", markup=False)
        return
    table = Table(title="Qualitative evidence")
    for col in ("date", "program", "kpi", "stance", "author", "source", "note"):
        table.add_column(col, overflow="fold")
    for r in records:
        day = r["recorded_date"]
        table.add_row(
            day if isinstance(day, str) else str(day or ""),
            str(r["program_id"]),
            str(r["kpi"] or ""),
            str(r["stance"]),
            str(r["author_role"] or ""),
            str(r["source_type"] or ""),
            str(r["note"]),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `learnroi evidence ...` to the app."""
    app.add_typer(evidence_app, name="evidence")
