"""`learnroi ingest KIND PATH…`, `learnroi ingest --undo BATCH` and `learnroi sources` (contracts §1-§2).

The library does the work (``learnroi.store.ingest``); this module parses, shows a progress bar and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from learnroi.cli.common import DbOption, JsonOption, console, db_path, err_console, print_json
from learnroi.core.errors import UsageError
from learnroi.core.options import IngestKind, choices
from learnroi.store import IngestResult, Store, ingest, ingest_all, list_batches, undo

KINDS = (*choices(IngestKind), "all")


def _print_result(r: IngestResult) -> None:
    console.print(r.summary(), markup=False, soft_wrap=True)
    if r.proposed_mapping:
        console.print(
            "Mapping inferred from the header (save it, check it, pass it with --mapping):", markup=False
        )
        console.print(r.proposed_mapping, markup=False, soft_wrap=True)


def ingest_command(
    kind: Annotated[
        str | None, typer.Argument(help=f"What the files hold: {', '.join(KINDS)}.", show_default=False)
    ] = None,
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files (or a folder for 'all', or an LRS statements URL for 'xapi').", show_default=False
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option("--mapping", help="A mapping TOML file or a preset name (docs/reference/mappings.md)."),
    ] = None,
    infer: Annotated[
        bool,
        typer.Option(
            "--infer", help="Propose a mapping from the header when columns are not the canonical ones."
        ),
    ] = False,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Time zone of timestamps written without an offset (default UTC)."),
    ] = None,
    max_quarantine: Annotated[
        float,
        typer.Option(
            "--max-quarantine", help="Largest share of refused rows accepted; above it nothing is loaded."
        ),
    ] = 0.01,
    pseudonymize: Annotated[
        bool,
        typer.Option(
            "--pseudonymize", help="Store HMAC pseudonyms instead of emails and ids (key outside the store)."
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="For an LRS URL: only statements stored after this time (ISO 8601)."),
    ] = None,
    undo_batch: Annotated[
        int | None,
        typer.Option("--undo", help="Undo batch BATCH: remove what it inserted, reinstate what it replaced."),
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load source files into the store as one atomic, idempotent batch (nothing lost: read = loaded + quarantined + skipped)."""
    store_path = db_path(db)
    if undo_batch is not None:
        if kind or paths:
            raise UsageError(
                "--undo takes no KIND or PATH", hint="learnroi ingest --undo BATCH (ids: learnroi sources)"
            )
        with Store.open(store_path) as store:
            res = undo(store, undo_batch)
        print_json(res.to_dict()) if as_json else console.print(res.summary(), markup=False)
        return
    if not kind or not paths:
        raise UsageError(
            "KIND and PATH are needed", hint=f"learnroi ingest KIND PATH… with KIND one of {', '.join(KINDS)}"
        )
    if kind not in KINDS:
        raise UsageError(
            f"KIND must be one of {', '.join(KINDS)}; got {kind!r}", hint=f"Pass one of: {', '.join(KINDS)}."
        )
    with (
        Store.open(store_path) as store,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            console=err_console,
            transient=True,
            disable=as_json,
        ) as bar,
    ):
        task = bar.add_task("ingest", total=1)

        def progress(message: str, done: int, total: int) -> None:
            bar.update(task, description=message[-60:], completed=done, total=total)

        if kind == "all":
            if len(paths) != 1 or mapping:
                raise UsageError(
                    "`ingest all` takes one folder and no --mapping",
                    hint="learnroi ingest all ./learnroi-data",
                )
            results = ingest_all(
                store,
                paths[0],
                tz=tz,
                max_quarantine=max_quarantine,
                pseudonymize=pseudonymize,
                progress=progress,
            )
        else:
            results = [
                ingest(
                    store,
                    kind,
                    [p if p.startswith(("http://", "https://")) else Path(p) for p in paths],
                    mapping=mapping,
                    infer=infer,
                    tz=tz,
                    max_quarantine=max_quarantine,
                    pseudonymize=pseudonymize,
                    progress=progress,
                    since=since,
                )
            ]
    if as_json:
        print_json([r.to_dict() for r in results] if kind == "all" else results[0].to_dict())
        return
    for r in results:
        _print_result(r)


def sources_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List ingest batches: id, kind, file, hash, rows read / loaded / quarantined / skipped, "no changes", time."""
    with Store.open(db_path(db)) as store:
        rows = list_batches(store)
    if as_json:
        print_json([b.to_dict() for b in rows])
        return
    if not rows:
        console.print("No batches yet: load data with `learnroi ingest KIND PATH…`.", markup=False)
        return
    table = Table(title="Ingest batches", show_edge=False, pad_edge=False)
    numeric = ("read", "loaded", "quar.", "skipped", "superseded")
    for col in ("batch", "kind", "file", "sha256", *numeric, "note", "time (UTC)"):
        table.add_column(col, justify="right" if col in {"batch", *numeric} else "left", overflow="fold")
    for b in rows:
        note = "undone" if b.undone_at else ("no changes" if b.no_changes else "")
        table.add_row(
            str(b.batch_id),
            b.kind,
            b.file if b.file.startswith(("http://", "https://")) else Path(b.file).name,
            (b.sha256 or "")[:8],
            f"{b.rows_read:,}",
            f"{b.loaded:,}",
            f"{b.quarantined:,}",
            f"{b.skipped:,}",
            f"{b.superseded:,}",
            note,
            f"{b.started_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `ingest` and `sources` to the app."""
    app.command("ingest")(ingest_command)
    app.command("sources")(sources_command)
