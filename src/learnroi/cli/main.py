"""The ``learnroi`` command: a thin typer shell over the library. Each command lives in its own module."""

from __future__ import annotations

import sys

import typer
from click.exceptions import ClickException, Exit
from click.exceptions import UsageError as ClickUsageError

from learnroi import __version__
from learnroi.cli import (
    attribute_cmd,
    demo_cmd,
    design_cmd,
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
):
    module.register(app)


def run(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning learnroi errors into messages and exit codes."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except Exit as exc:
        sys.exit(exc.exit_code)
    except ClickUsageError as exc:
        exc.show()
        sys.exit(2)
    except ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, EOFError):
        sys.exit(130)
    except Exception as exc:
        sys.exit(report_error(exc))
    sys.exit(rc if isinstance(rc, int) else 0)
