"""The ``learnroi`` command: a thin typer shell over the library. Each command lives in its own module."""

from __future__ import annotations

import sys

import typer

from learnroi import __version__
from learnroi.cli import (
    attribute_cmd,
    demo_cmd,
    design_cmd,
    evidence_cmd,
    hypotheses_cmd,
    ingest_cmd,
    init_cmd,
    kpis_cmd,
    report_cmd,
    roi_cmd,
    simulate_cmd,
)
from learnroi.cli.common import report_error

app = typer.Typer(
    name="learnroi",
    help="Measure the return on investment of learning programs: define, measure, attribute, calculate, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"learnroi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """learnroi: a defensible ROI study in four steps."""


for module in (
    demo_cmd,
    simulate_cmd,
    init_cmd,
    ingest_cmd,
    kpis_cmd,
    design_cmd,
    attribute_cmd,
    roi_cmd,
    report_cmd,
    hypotheses_cmd,
    evidence_cmd,
):
    module.register(app)


def run(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning learnroi errors into messages and exit codes.

    Typer/click handle their own usage errors in standalone mode (usage text, exit 2); learnroi errors
    become a message with a Hint (exit 1, or 2 for usage); anything else is a bug: one line naming the log
    file that holds the traceback.
    """
    try:
        app(args=argv, standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        sys.exit(report_error(exc))
