"""Generate the CLI reference (docs/reference/cli.md) from the command definitions themselves.

A test checks that the committed page equals what this produces, so the docs cannot drift from the CLI.
Run ``python -m learnroi.cli.docs > docs/reference/cli.md`` after changing a command.
"""

from __future__ import annotations

from typing import Any

import typer

from learnroi.cli.main import app


# typer 0.29 vendors its own click, so parameters and groups are recognised by shape, not by class.
def _param_line(p: Any) -> str:
    if getattr(p, "param_type_name", "") == "argument":
        name = f"`{(p.name or '').upper()}`" + (" …" if p.nargs == -1 else "")
        return f"| {name} | argument | {getattr(p, 'help', '') or ''} |"
    names = ", ".join(f"`{o}`" for o in (*p.opts, *p.secondary_opts))
    default = "" if p.is_flag or p.default in (None, False, ()) else f" (default `{p.default}`)"
    return f"| {names} | option | {(p.help or '').strip()}{default} |"


def _command_section(name: str, cmd: Any, prefix: str = "learnroi") -> list[str]:
    lines = [f"## `{prefix} {name}`", "", (cmd.help or "").strip().split("\n\n")[0], ""]
    params = [p for p in cmd.params if p.name != "help"]
    if params:
        lines += ["| name | kind | meaning |", "|---|---|---|", *(_param_line(p) for p in params), ""]
    if hasattr(cmd, "commands"):
        for sub_name, sub in sorted(cmd.commands.items()):
            lines += _command_section(sub_name, sub, f"{prefix} {name}")
    return lines


def render() -> str:
    """The whole CLI reference as Markdown."""
    root: Any = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the CLI by `python -m learnroi.cli.docs`; a test keeps it current.",
        "Every command takes `--db FILE` (default `./learnroi.duckdb`, or `$LEARNROI_DB`). Exit status: 0 done;",
        "1 a problem with the data, spec or environment (the message ends with a `Hint:`); 2 wrong usage.",
        "",
    ]
    for name, cmd in root.commands.items():
        lines += _command_section(name, cmd)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
