"""The report wired from the real pipeline (simulate -> ingest -> analyze -> build_report): the staggered
program's event study, the pre-pilot forecasts and the chain of evidence reach the report data and HTML.

What it would catch: the chooser's Callaway-Sant'Anna result losing its event-time profile on the way to
the report (no pre-trend chart), event times left in roll-out periods instead of months, a forecast that
``build_report`` forgets or mixes into the measured ROI, a chain of evidence that claims reaction or
application data the report does not hold, and a multi-arm program whose per-arm results do not reach
the dashboard or whose workbook Blend sheet does not recalculate to them. One small synthetic company,
fixed seed below.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from learnroi.pipeline.demo import DemoResult, run_demo

SEED = 42
EMPLOYEES = 2000


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return run_demo(
        tmp_path_factory.mktemp("report-pipeline"), employees=EMPLOYEES, seed=SEED, formats=("html", "xlsx")
    )


def _twin(html: str) -> dict[str, Any]:
    m = re.search(r'id="report-data">(.*?)</script>', html, re.S)
    assert m is not None
    out: dict[str, Any] = json.loads(m.group(1))
    return out


@pytest.mark.slow
def test_staggered_event_study_reaches_the_report(demo: DemoResult) -> None:
    staggered = [a for a in demo.analyses if a.spec.program.design == "staggered"]
    assert staggered, "the simulated company has a staggered program"
    html = Path(demo.reports["html"]).read_text(encoding="utf-8")
    twin = _twin(html)
    for a in staggered:
        result = a.attribution.result
        assert result is not None
        records = result.extra["event_study"]
        times = [r["event_time"] for r in records]
        assert min(times) < 0 < max(times)  # pre-trends and post effects
        for r in records:  # the reference period (estimate 0 by construction) has no interval
            if r["conf_low"] is None:
                assert r["estimate"] == 0.0
            else:
                assert r["conf_low"] <= r["estimate"] <= r["conf_high"]
        assert sum(r["conf_low"] is None for r in records) <= 1
        programs = {p["program_id"]: p for p in twin["programs"]}
        shown = programs[a.spec.id]["effect"]["event_study"]
        assert [r["event_time"] for r in shown] == times
        assert f'data-chart="{a.spec.id}/event_study"' in html


@pytest.mark.slow
def test_forecast_and_chain_from_the_pipeline(demo: DemoResult) -> None:
    html = Path(demo.reports["html"]).read_text(encoding="utf-8")
    twin = _twin(html)
    for a, p in zip(demo.analyses, twin["programs"], strict=True):
        assert p["program_id"] == a.spec.id
        assert len(p["forecast"]) == len(a.spec.hypotheses)
        for f in p["forecast"]:
            assert f["basis"] == "forecast"
            assert f["roi_pct"] is not None
        if a.roi.roi_pct is not None and p["roi"] is not None:
            assert p["roi"]["roi_pct"] == pytest.approx(a.roi.roi_pct)  # the measured ROI is untouched
        levels = {e["level"]: e for e in p["evidence"]}
        assert sorted(levels) == [1, 2, 3, 4, 5]
        # levels 1 and 3 claim data exactly when a shown (unsuppressed) survey summary reached the report
        assert levels[1]["has_data"] == any(not r["suppressed"] for r in p["reaction"])
        assert levels[3]["has_data"] == any(not r["suppressed"] for r in p["application"])
        assert levels[4]["has_data"] == bool(p["identified"])
    n_forecast = sum(len(p["forecast"]) for p in twin["programs"])
    assert html.count("FORECAST — hypothesis") == n_forecast


@pytest.mark.slow
def test_multi_arm_program_reaches_the_blend_panel_and_sheet(demo: DemoResult) -> None:
    """The simulated blended program's arms (analyze_arms) in the dashboard and, recalculated by the
    `formulas` engine, in the workbook's Blend sheet."""
    formulas = pytest.importorskip("formulas")
    openpyxl = pytest.importorskip("openpyxl")
    twin = _twin(Path(demo.reports["html"]).read_text(encoding="utf-8"))
    multi = [p for p in twin["programs"] if len(p["arms"]) > 2]
    if not multi:
        pytest.skip("the simulated company has no multi-arm program with identified arms")
    (p,) = multi
    arms = {a["arm"]: a for a in p["arms"] if a["arm"] != "control" and not a["suppressed"]}
    assert p["arms"][0]["arm"] == "control"
    assert arms
    assert all(a["roi_pct"] is not None for a in arms.values())
    path = Path(demo.reports["xlsx"])
    wb = openpyxl.load_workbook(path)
    i = [q["program_id"] for q in twin["programs"]].index(p["program_id"]) + 1
    sheet = "Blend" if len(twin["programs"]) == 1 else f"Blend{i}"
    rows = {str(r[0].value): r[0].row for r in wb[sheet].iter_rows() if r[0].value in arms}
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    for arm, row in rows.items():
        v = sol[f"'[{path.name}]{sheet.upper()}'!M{row}"].value
        got = float(v[0][0] if hasattr(v, "__getitem__") else v)
        assert got == pytest.approx(arms[arm]["roi_pct"], abs=0.005), arm
    assert set(rows) == set(arms)
