"""The report wired from the real pipeline (simulate -> ingest -> analyze -> build_report): the staggered
program's event study, the pre-pilot forecasts and the chain of evidence reach the report data and HTML.

What it would catch: the chooser's Callaway-Sant'Anna result losing its event-time profile on the way to
the report (no pre-trend chart), event times left in roll-out periods instead of months, a forecast that
``build_report`` forgets or mixes into the measured ROI, and a chain of evidence that claims reaction or
application data the simulated company does not have. One small synthetic company, fixed seed below.
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
        tmp_path_factory.mktemp("report-pipeline"), employees=EMPLOYEES, seed=SEED, formats=("html",)
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
        assert not levels[1]["has_data"]
        assert not levels[3]["has_data"]
        assert levels[4]["has_data"] == bool(p["identified"])
    n_forecast = sum(len(p["forecast"]) for p in twin["programs"])
    assert html.count("FORECAST — hypothesis") == n_forecast
