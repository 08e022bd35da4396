"""docs/reference/cli.md is generated from the CLI and must be current (regenerate: python -m learnroi.cli.docs)."""

from __future__ import annotations

from pathlib import Path

from learnroi.cli.docs import render

ROOT = Path(__file__).resolve().parents[2]
MISSION = (
    "demo",
    "simulate",
    "init",
    "ingest",
    "sources",
    "kpis",
    "design",
    "attribute",
    "roi",
    "report",
    "hypotheses",
)


def test_cli_reference_is_current() -> None:
    page = (ROOT / "docs" / "reference" / "cli.md").read_text(encoding="utf-8")
    assert page == render(), (
        "docs/reference/cli.md is stale: run `python -m learnroi.cli.docs > docs/reference/cli.md`"
    )


def test_every_mission_command_is_documented() -> None:
    page = render()
    for name in MISSION:
        assert f"## `learnroi {name}`" in page, name
