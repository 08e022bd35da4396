"""`learnroi simulate` on the command line: writes the folder, prints where, exits 2 on bad usage.

Would catch: the command not registered, options renamed against contracts §1, a traceback instead of a
message with a Hint, or --json output that is not the summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from learnroi.cli import simulate_cmd

# Only this command, so the test does not depend on the other commands importing cleanly.
app = typer.Typer()


@app.callback()
def _root() -> None:
    """Test shell."""


simulate_cmd.register(app)


def test_simulate_command_writes_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "data"
    res = CliRunner().invoke(
        app, ["simulate", "--employees", "300", "--seed", "3", "--no-xapi", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    text = res.output.replace("\n", "")
    assert "truth.json" in text
    assert "program-sales-skills.toml" in text
    assert (out / "truth" / "truth.json").exists()
    assert not (out / "xapi").exists()


def test_simulate_json_and_messy(tmp_path: Path) -> None:
    out = tmp_path / "m"
    res = CliRunner().invoke(app, ["simulate", "--employees", "300", "--messy", "--json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["messy"] is True
    assert payload["files"]["xapi/statements.jsonl"] > 0
    assert (out / "truth" / "messy.json").exists()


def test_simulate_bad_usage_exits_2_with_a_hint(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", "--employees", "5", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2
    assert "Hint:" in res.output
    assert "Traceback" not in res.output
