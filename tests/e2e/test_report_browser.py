"""The dashboard opened as a person would: headless Debian Chromium via Playwright, offline.

What it would catch: a chart spec Vega cannot draw (no marks, or a console error), a missing executive
tile, a gauge showing a number other than the report data's ROI, a page that needs the network (all
requests other than the file itself are refused), a "not identified" program shown with an ROI, and a
blend panel (per-arm chart, content ranking), qualitative notes or platform block that does not draw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnroi.report import write_html
from learnroi.report.example import example_report_data
from learnroi.report.example_blend import example_blend_report_data
from learnroi.report.fmt import pct
from tests.conftest import require_tool

pytestmark = pytest.mark.browser

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
EXEC_TILES = ("roi-gauge", "funnel", "competency", "impact", "cost-breakdown", "actions")
DATA_MARKS = "g.role-mark > path, g.role-mark > line, g.role-mark > text, g.role-mark > rect"


@pytest.fixture(scope="module")
def page_info(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = write_html(example_report_data(), tmp_path_factory.mktemp("html") / "report.html")
    return _open(path)


@pytest.fixture(scope="module")
def blend_info(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = write_html(example_blend_report_data(), tmp_path_factory.mktemp("html") / "blend.html")
    return _open(path)


def _open(path: Path) -> dict[str, Any]:
    """Open the page offline in Chromium; the charts, tiles, gauges and JSON twin as the page shows them."""
    chromium = require_tool("chromium", "the dashboard is tested in a real browser")
    sync_api = pytest.importorskip("playwright.sync_api")
    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))

        def route(r: Any) -> None:
            if r.request.url.startswith("file://"):
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-charts-ready=true]", timeout=30_000)
        info = page.evaluate(
            """(sel) => ({
            charts: [...document.querySelectorAll('[data-chart]')].map(e => ({
                id: e.dataset.chart, rendered: e.dataset.rendered,
                marks: e.querySelectorAll(sel).length, text: e.textContent})),
            tiles: [...document.querySelectorAll('[data-program] [data-tile]')].map(e => [e.closest('[data-program]').dataset.program, e.dataset.tile]),
            gauges: [...document.querySelectorAll('[data-tile=roi-gauge]')].map(e => ({
                program: e.closest('[data-program]').dataset.program, roi: e.dataset.roi,
                svg: e.querySelector('svg') ? e.querySelector('svg').textContent : ''})),
            notIdentified: [...document.querySelectorAll('[data-role=not-identified]')].map(e => e.closest('[data-program]').dataset.program),
            bestArm: [...document.querySelectorAll('[data-role=best-arm]')].map(e => e.textContent),
            stances: Object.fromEntries([...document.querySelectorAll('[data-stance]')].map(e => [e.dataset.stance, e.dataset.count])),
            platform: !!document.querySelector('section[data-tile=platform]'),
            data: JSON.parse(document.getElementById('report-data').textContent),
            pageWidth: document.documentElement.scrollWidth,
        })""",
            DATA_MARKS,
        )
        page.screenshot(path=str(path.with_suffix(".png")), full_page=True)
        browser.close()
    info["errors"] = errors
    info["requests"] = requests
    return info


def test_no_console_errors_and_no_network(page_info: dict[str, Any]) -> None:
    assert page_info["errors"] == []
    assert page_info["requests"] == []
    assert page_info["pageWidth"] <= 1280, "nothing may overflow the page sideways"


def test_every_chart_drew_marks(page_info: dict[str, Any]) -> None:
    charts = page_info["charts"]
    assert len(charts) >= 15
    for c in charts:
        assert c["rendered"] == "true", c["id"]
        assert c["marks"] >= 2, f"{c['id']} drew {c['marks']} marks"


def test_every_executive_tile_is_present(page_info: dict[str, Any]) -> None:
    data = example_report_data()
    tiles = {tuple(t) for t in page_info["tiles"]}
    for p in data.programs:
        for tile in EXEC_TILES:
            assert (p.program_id, tile) in tiles


def test_gauge_shows_the_report_datas_roi(page_info: dict[str, Any]) -> None:
    data = example_report_data()
    for g in page_info["gauges"]:
        h = data.program(g["program"]).headline
        assert h is not None
        assert float(g["roi"]) == pytest.approx(h.roi_pct, abs=0.05)
        assert pct(h.roi_pct) in g["svg"]


def test_not_identified_program_is_labelled(page_info: dict[str, Any]) -> None:
    assert page_info["notIdentified"] == ["onboarding"]
    onb = next(p for p in page_info["data"]["programs"] if p["program_id"] == "onboarding")
    assert onb["roi"] is None
    assert onb["alt_roi"]["basis"] == "forecast"
    json.dumps(page_info["data"])


def test_blend_panel_draws_and_names_the_best_arm(blend_info: dict[str, Any]) -> None:
    assert blend_info["errors"] == []
    assert blend_info["requests"] == []
    assert blend_info["pageWidth"] <= 1280
    charts = {c["id"]: c for c in blend_info["charts"]}
    for name in ("arms", "content_priority"):
        c = charts[f"service-blend/{name}"]
        assert c["rendered"] == "true", name
        assert c["marks"] >= 3, f"{name} drew {c['marks']} marks"  # one mark per arm / module at least
    assert all(c["rendered"] == "true" for c in blend_info["charts"])
    tiles = {t for _, t in blend_info["tiles"]}
    assert {"blend", "qualitative", "evidence-chain"} <= tiles
    assert blend_info["platform"]
    (best,) = blend_info["bestArm"]
    assert best.startswith("Best-paying arm: blended")
    assert blend_info["stances"] == {"supports": "4", "contradicts": "2", "neutral": "1"}
    levels = {e["level"]: e for e in blend_info["data"]["programs"][0]["evidence"]}
    assert all(levels[k]["has_data"] for k in (1, 3, 4, 5))
