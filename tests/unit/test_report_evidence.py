"""The chain of evidence (Kirkpatrick 1-4, Phillips 5) and the pre-pilot forecast in the report.

What it would catch: a chain that claims evidence for a level with no data (reaction, application, an
unidentified impact), a learning gain that includes suppressed cells, an impact link whose strength does
not state the design and n, a forecast mixed into the measured ROI or shown without its FORECAST label,
and a forecast or chain that the HTML, the JSON twin or the workbook does not carry.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from learnroi.report.data import ReportData
from learnroi.report.evidence import evidence_chain, forecast_display, forecast_rows, forecast_view
from learnroi.report.example import example_inputs, example_report_data
from learnroi.report.html import render_html
from learnroi.report.xlsx import write_xlsx


@pytest.fixture(scope="module")
def data() -> ReportData:
    return example_report_data()


def test_chain_has_five_levels_and_is_honest_about_missing_data(data: ReportData) -> None:
    sales, onb = data.programs
    for p in data.programs:
        chain = p.evidence
        assert chain == evidence_chain(p)  # the stored chain is the pure function of the section
        assert [e.level for e in chain] == [1, 2, 3, 4, 5]
        for e in (chain[0], chain[2]):  # no reaction or application surveys are collected
            assert not e.has_data
            assert e.evidence.startswith("no data — collect")
        assert "30/60/90" in chain[2].evidence
    learn, impact, roi = sales.evidence[1], sales.evidence[3], sales.evidence[4]
    rows = [r for r in sales.competency if not r.get("suppressed")]
    n = sum(int(r["n"]) for r in rows)
    gain = sum(float(r["gain"]) * int(r["n"]) for r in rows) / n
    assert learn.has_data
    assert f"{gain:+.1f} points" in learn.evidence
    assert f"n={n:,}" in learn.strength
    assert "no comparison group" in learn.strength  # a pre/post gain is not attributed
    assert impact.has_data
    assert impact.strength.startswith(f"randomized, n={sales.effect.n:,}")
    assert f"{sales.effect.estimate:,.2f}" in impact.evidence
    assert roi.has_data
    assert sales.roi is not None
    assert f"{sales.roi.roi_pct:,.1f}%" in roi.evidence
    # the onboarding effect is not identified: levels 2, 4 and 5 must not claim evidence
    assert not any(e.has_data for e in onb.evidence)
    assert "not identified" in onb.evidence[3].evidence
    assert onb.effect.reasons[0].rstrip(".") in onb.evidence[3].evidence
    assert "not attributed" in onb.evidence[4].evidence
    assert "forecast" in onb.evidence[4].strength


def test_forecast_view_keeps_the_forecast_result_numbers() -> None:
    fr = example_inputs()["sales_forecast"]
    v = forecast_view(fr, "USD")
    assert v.basis == "forecast"
    assert v.hypothesis_id == fr.hypothesis_id
    assert v.roi_pct == pytest.approx(fr.roi.roi_pct)
    assert (v.roi_conf_low, v.roi_conf_high) == pytest.approx((fr.roi.roi_conf_low, fr.roi.roi_conf_high))
    assert v.break_even_effect == pytest.approx(fr.break_even_effect)
    assert v.mde == pytest.approx(fr.mde)
    assert v.can_detect_break_even == fr.can_detect_break_even
    assert v.verdict == fr.verdict
    row = forecast_rows((v,))[0]
    assert row["basis"].startswith("FORECAST")
    assert row["forecast ROI %"] == pytest.approx(fr.roi.roi_pct)


def test_forecast_never_replaces_the_measured_roi(data: ReportData) -> None:
    sales = data.programs[0]
    assert sales.forecast
    assert sales.roi is not None
    assert sales.roi.basis == "attributed"
    assert sales.headline is sales.roi
    assert sales.forecast[0].roi_pct != pytest.approx(sales.roi.roi_pct)


def test_html_shows_forecast_block_and_chain(data: ReportData) -> None:
    html = render_html(data, vega_js="")
    sales = data.programs[0]
    block = re.search(r'data-tile="forecast">(.*?)</div>', html, re.S)
    assert block is not None
    text = block.group(1)
    assert "Forecast (before the pilot)" in text
    assert "not the measured ROI" in text
    assert f"FORECAST — hypothesis {sales.forecast[0].hypothesis_id}" in text
    assert f"{sales.forecast[0].roi_pct:,.1f}%" in text
    assert html.count('data-tile="forecast"') == sum(1 for p in data.programs if p.forecast)
    assert html.count('data-tile="evidence-chain"') == len(data.programs)
    assert html.count('class="nodata"') == sum(not e.has_data for p in data.programs for e in p.evidence)
    twin = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert [e["level"] for e in twin["programs"][0]["evidence"]] == [1, 2, 3, 4, 5]
    assert twin["programs"][0]["forecast"][0]["basis"] == "forecast"


def test_workbook_has_a_labelled_forecast_sheet(data: ReportData, tmp_path: Path) -> None:
    path = write_xlsx(data, tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Forecast" in wb.sheetnames
    ws = wb["Forecast"]
    cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert str(cells[0]).startswith("FORECAST (before the pilot)")
    fc = data.programs[0].forecast[0]
    assert any(isinstance(c, float) and c == pytest.approx(fc.roi_pct) for c in cells)
    assert cells.count("FORECAST (before the pilot)") == sum(len(p.forecast) for p in data.programs)


def test_a_missing_forecast_says_why_and_shows_no_numbers() -> None:
    v = forecast_view(
        {"hypothesis_id": "H1", "kpi": "revenue", "verdict": "no forecast: 2 months of history"}
    )
    assert v.roi_pct is None
    assert v.mde is None
    shown = dict(forecast_display(v))
    assert shown["forecast ROI"].startswith("n/a")
    assert shown["pilot can detect the break-even effect"] == "n/a"
    assert forecast_rows((v,))[0]["verdict"] == "no forecast: 2 months of history"
