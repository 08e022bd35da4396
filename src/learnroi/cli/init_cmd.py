"""`learnroi init [PATH] [--force]`: write a commented example program spec that runs as is on the
synthetic company (the ``sales-skills`` program)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnroi.cli.common import console
from learnroi.roi import init_spec


def register(app: typer.Typer) -> None:
    """Add ``init`` to the app."""

    @app.command("init")
    def init(
        path: Annotated[
            Path, typer.Argument(help="Where to write the spec (a folder gets program.toml).")
        ] = Path("program.toml"),
        force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
    ) -> None:
        """Write a commented example program spec (sales-skills) to PATH, default ./program.toml."""
        written = init_spec(path, force=force)
        console.print(f"Wrote {written}. Edit it, then: learnroi roi {written}", markup=False)
