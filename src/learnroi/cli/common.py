"""Shared pieces of the command line: the console, common options, JSON output and error handling.

The CLI only parses, calls the library and prints. It catches :class:`LearnroiError` (exit 1, or 2 for
usage); any other exception is a bug: one line says so and where the traceback was logged.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from learnroi.core.errors import LearnroiError
from learnroi.core.settings import Settings


def _width() -> int | None:
    """Rich's terminal width, or 120 columns when printing to a pipe or a CI log (rich would use 80)."""
    return None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120


console = Console(highlight=False, width=_width())
err_console = Console(stderr=True, highlight=False, width=_width())

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db", help="The DuckDB store file (default ./learnroi.duckdb, or $LEARNROI_DB).", show_default=False
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]

F = TypeVar("F", bound=Callable[..., Any])


def db_path(db: Path | None) -> Path:
    return Settings.from_env(db).db


def _default(o: object) -> object:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "item"):
        return o.item()
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def _finite(obj: object) -> object:
    """NaN and infinities become null: JSON has no such numbers, and "not computed" is what they mean here."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def print_json(payload: object) -> None:
    """Print JSON to stdout (no rich markup, so other tools can parse it); NaN is printed as null."""
    text = json.dumps(_finite(json.loads(json.dumps(payload, default=_default))), indent=2, allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def crash_log_dir() -> Path:
    base = os.environ.get("LEARNROI_LOG_DIR")
    return Path(base) if base else Path(tempfile.gettempdir()) / "learnroi-logs"


def report_error(exc: BaseException) -> int:
    """Print an error for a person and return the exit code."""
    if isinstance(exc, LearnroiError):
        head = f"{exc.where}: {exc.message}" if exc.where else exc.message
        err_console.print(f"[bold red]Error:[/] {escape(head)}", markup=True, soft_wrap=True)
        err_console.print(f"Hint: {exc.hint}", markup=False, soft_wrap=True)
        reasons = getattr(exc, "reasons", None)
        for r in reasons or []:
            err_console.print(f"  - {r}", markup=False, soft_wrap=True)
        return exc.exit_code
    log_dir = crash_log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    log = log_dir / f"crash-{stamp}.log"
    log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
    err_console.print(
        f"Internal error ({type(exc).__name__}): this is a bug in learnroi. The traceback was logged to {log}; "
        "please attach it to a bug report.",
        markup=False,
        soft_wrap=True,
    )
    return 1
