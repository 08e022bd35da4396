"""The self-contained HTML dashboard: one file, the Vega bundle and every chart specification inlined.

Executive tiles first (ROI gauge, funnel, competency gain, impact per learner, cost breakdown, drivers
and actions), practitioner detail after (chain of evidence, design and diagnostics, the labelled pre-pilot
forecast, event study, balance, tornado, ROI distribution, scenarios, assumptions with sources, intangibles, hypotheses, methods). The report data's
JSON twin is embedded as ``<script id="report-data">``. Optional blocks: "where to optimize the blend"
(per-arm results, content ranking, modality mix), qualitative notes, ROI per cohort and per year, and the
platform's own ROI. Opens offline: no network request is made.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from learnroi.report import charts, charts_blend
from learnroi.report.data import ProgramSection, ReportData
from learnroi.report.evidence import forecast_display
from learnroi.report.fmt import money
from learnroi.report.view import (
    batches_view,
    break_even_sentence,
    figures,
    num,
    short,
    table_view,
    truth_rows,
)
from learnroi.report.view_blend import blend_view, platform_rows

_TITLES = {
    "balance": "Covariate balance",
    "event_study": "Event study with pre-trends",
    "tornado": "Sensitivity tornado",
    "roi_distribution": "ROI distribution",
    "scenarios": "Scenario bands",
    "benefit_schedule": "Benefit schedule (discounted, with decay)",
}


def _template(name: str) -> str:
    return resources.files("learnroi.report").joinpath("templates", name).read_text(encoding="utf-8")


def _script_json(obj: Any) -> Markup:
    """JSON safe inside a <script> element (no '</script>', no HTML comment openers)."""
    text = json.dumps(obj, allow_nan=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _section(p: ProgramSection, specs: dict[str, Any]) -> dict[str, Any]:
    chs = {**charts.program_charts(p), **charts_blend.blend_charts(p)}
    for name, spec in chs.items():
        specs[f"{p.program_id}/{name}"] = spec
    f = figures(p)
    tables = [
        table_view("kpis", "KPIs (small cells suppressed)", p.kpi_table),
        table_view("cohorts", "Cohorts (small cells suppressed)", p.cohorts),
        table_view("funnel", "Funnel", p.funnel),
        table_view("competency", "Competency by group", p.competency),
    ]
    return {
        "p": p,
        **f.__dict__,
        "charts": chs,
        "practitioner_charts": [(n, t) for n, t in _TITLES.items() if n in chs],
        "truth": truth_rows(p),
        "break_even_text": break_even_sentence(p),
        "costs": [
            (c.category.replace("_", " "), c.description, c.origin, money(c.amount, p.currency, cents=True))
            for c in p.costs
        ],
        "tables": [t for t in tables if t],
        "hypotheses": table_view("hypotheses", "Hypothesis registry", p.hypotheses),
        "forecasts": [(fc, forecast_display(fc)) for fc in p.forecast],
        "blend": blend_view(p),
    }


def render_html(data: ReportData, *, vega_js: str | None = None) -> str:
    """The dashboard as one HTML string."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    specs: dict[str, Any] = {}
    sections = [_section(p, specs) for p in data.programs]
    batches = batches_view(data.provenance.ingest_batches)
    return env.from_string(_template("dashboard.html.j2")).render(
        data=data,
        sections=sections,
        batches=batches,
        platform=platform_rows(data.platform) if data.platform is not None else None,
        css=Markup(_template("dashboard.css")),
        methods=Markup(_template("methods.html")),
        boot_js=Markup(_template("boot.js")),
        vega_js=Markup(vega_js if vega_js is not None else charts.vega_bundle()),
        report_json=_script_json(data.to_dict()),
        short=short,
        num=num,
        specs_json=_script_json(specs),
    )


def write_html(data: ReportData, path: Path | str) -> Path:
    """Write the self-contained dashboard to ``path``."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(data), encoding="utf-8")
    return out
