"""Every chart is one Vega-Lite spec that vl-convert draws without a browser (the PDF's path).

What it would catch: a spec that Vega rejects, a chart with no data marks, a gauge whose label is not the
report data's ROI, and an offline bundle that is missing Vega-Embed.
"""

from __future__ import annotations

import re

import pytest

from learnroi.report import charts
from learnroi.report.example import example_report_data
from learnroi.report.fmt import pct


@pytest.fixture(scope="module")
def all_specs() -> dict[str, dict[str, object]]:
    data = example_report_data()
    out = {}
    for p in data.programs:
        for name, spec in charts.program_charts(p).items():
            out[f"{p.program_id}/{name}"] = spec
    return out


def test_every_chart_renders_with_marks(all_specs: dict[str, dict[str, object]]) -> None:
    assert {"sales-skills/" + n for n in (*charts.EXECUTIVE, *charts.PRACTITIONER)} <= set(all_specs)
    for key, spec in all_specs.items():
        svg = charts.to_svg(spec)
        marks = re.findall(r'class="mark-\w+ role-mark', svg)
        assert marks, f"{key} drew no marks"


def test_gauge_label_is_the_roi() -> None:
    data = example_report_data()
    for p in data.programs:
        spec = charts.gauge(p)
        assert spec is not None
        h = p.headline
        assert h is not None
        assert pct(h.roi_pct) in charts.to_svg(spec)
    png = charts.to_png(charts.gauge(data.programs[0]) or {})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_offline_bundle_has_vega_embed() -> None:
    js = charts.vega_bundle()
    assert "window.vegaEmbed" in js
    assert "</script" not in js
