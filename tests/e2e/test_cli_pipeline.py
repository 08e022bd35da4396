"""The whole mission from the command line: `learnroi demo`, then `attribute`, `roi` and `report` on its store.

Drives the real console script in a subprocess (exit codes, stdout, files), on a small synthetic company.
Checks that the terminal, the JSON and the report files carry the same numbers, and that errors are
messages with a Hint, never tracebacks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from learnroi.report.fmt import pct

EMPLOYEES = "2500"


def learnroi(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "learnroi", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=full_env,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    root = tmp_path_factory.mktemp("demo")
    proc = learnroi("demo", "--out", "out", "--employees", EMPLOYEES, cwd=root)
    return root / "out", proc


def test_demo_writes_every_step_and_reports(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = demo
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    for name in (
        "data/hris/employees.csv",
        "data/truth/truth.json",
        "learnroi.duckdb",
        "report.html",
        "summary.pdf",
        "roi-model.xlsx",
    ):
        assert (out / name).exists(), name
    assert "Attribute" in proc.stdout
    assert "Calculate" in proc.stdout
    assert "report.html" in proc.stdout  # says where the files are and what to open first


def test_terminal_json_and_report_agree(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, proc = demo
    db = str(out / "learnroi.duckdb")
    roi = learnroi("roi", "--db", db, "--json", cwd=out)
    assert roi.returncode == 0, roi.stderr
    rows = json.loads(roi.stdout)
    contract = {"program", "identified", "benefit", "cost", "net_benefit", "roi_pct", "roi_conf_low", "roi_conf_high",
                "p_roi_positive", "bcr", "payback_months", "npv", "break_even_effect", "basis"}  # fmt: skip
    assert {r["program"] for r in rows} == {"sales-skills", "onboarding", "service-blend", "compliance"}
    html = (out / "report.html").read_text(encoding="utf-8")
    for r in rows:
        assert contract <= set(r), contract - set(r)
        if r["roi_pct"] is not None:
            shown = pct(r["roi_pct"])
            assert shown in proc.stdout, f"terminal lacks {shown}"
            assert shown in html, f"report lacks {shown}"
            assert abs(r["roi_pct"] - (r["bcr"] - 1) * 100) < 1e-6


def test_attribute_json_contract(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    out, _ = demo
    proc = learnroi("attribute", "--db", str(out / "learnroi.duckdb"), "--json", cwd=out)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    keys = {"program", "kpi", "design", "estimand", "estimate", "std_error", "conf_low", "conf_high", "n",
            "identified", "reasons", "contrasts"}  # fmt: skip
    by_program = {r["program"]: r for r in rows}
    assert set(by_program) == {"sales-skills", "onboarding", "service-blend", "compliance"}
    for r in rows:
        assert keys <= set(r)
        assert all("name" in c and "estimate" in c for c in r["contrasts"])
        if r["identified"]:
            assert r["conf_low"] <= r["estimate"] <= r["conf_high"]
        else:
            assert r["estimate"] is None
            assert r["reasons"]
    assert by_program["sales-skills"]["design"] == "randomized"


def test_report_command_writes_three_formats(
    demo: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out, _ = demo
    proc = learnroi(
        "report",
        "--db",
        str(out / "learnroi.duckdb"),
        "--format",
        "html,xlsx",
        "--out",
        str(tmp_path),
        cwd=out,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "report.html").exists()
    assert (tmp_path / "roi-model.xlsx").exists()
    assert not (tmp_path / "summary.pdf").exists()


def test_errors_are_messages_with_hints(tmp_path: Path) -> None:
    missing = learnroi("roi", "--db", str(tmp_path / "x.duckdb"), "nope.toml", cwd=tmp_path)
    assert missing.returncode == 1
    assert "nope.toml" in missing.stderr
    assert "Hint:" in missing.stderr
    assert "Traceback" not in missing.stderr + missing.stdout
    empty = learnroi("attribute", "--db", str(tmp_path / "y.duckdb"), cwd=tmp_path)
    assert empty.returncode == 1
    assert "Hint:" in empty.stderr
    usage = learnroi("report", "--db", str(tmp_path / "z.duckdb"), "--format", "docx", cwd=tmp_path)
    assert usage.returncode == 2
    assert "Hint:" in usage.stderr


def test_unexpected_errors_are_logged_not_shown(tmp_path: Path) -> None:
    """A bug prints one line naming the log file; the traceback goes to the log only."""
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"this is not a duckdb file at all" * 100)
    proc = learnroi(
        "attribute", "--db", str(bad), cwd=tmp_path, env={"LEARNROI_LOG_DIR": str(tmp_path / "logs")}
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "Hint:" in proc.stderr or "logged to" in proc.stderr


def test_forecast_is_labelled_and_uses_the_pilot_size(
    demo: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    """`roi --forecast`: one forecast per hypothesis, labelled, with break-even and the pilot's MDE side by side."""
    out, _ = demo
    proc = learnroi("roi", "--forecast", "--db", str(out / "learnroi.duckdb"), "--json", cwd=out)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["program"] for r in rows} == {"sales-skills", "onboarding", "service-blend", "compliance"}
    for r in rows:
        assert r["basis"] == "forecast"
        assert r["break_even_effect"] is not None
        assert r["verdict"]
        if r["program"] == "compliance":  # one company-wide series: no person-level pilot to size
            assert r["mde"] is None
            assert "not computed" in " ".join(r.get("notes") or [])
        else:
            assert r["mde"] is not None
    sales = next(r for r in rows if r["program"] == "sales-skills")
    assert "reach" not in sales["n_source"], (
        "a recorded randomized pilot is sized by its assignments (both arms)"
    )
