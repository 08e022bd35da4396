"""The one-page executive summary (fpdf2): ROI, its range and P(ROI > 0), three drivers, two actions,
the ROI gauge, the funnel and the cost breakdown, one sentence naming the design and, for a multi-arm
program, one line on the best-paying arm.

Charts are the same Vega-Lite specifications as the dashboard's, rendered to PNG by vl-convert. The page
uses the PDF core fonts (Helvetica), so it needs no font file and its text extracts cleanly; text is
mapped to Latin-1 by :func:`learnroi.report.fmt.ascii_safe`. The layout has fixed slots and clips long
text, so the summary is always exactly one page.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

from fpdf import FPDF

from learnroi.core.errors import DataError
from learnroi.report import charts
from learnroi.report.data import ProgramSection, ReportData
from learnroi.report.fmt import ascii_safe
from learnroi.report.view import break_even_sentence, figures
from learnroi.report.view_blend import best_arm_sentence

INK = (31, 42, 68)
MUTED = (107, 118, 144)
ACCENT = (27, 108, 168)
BAD = (192, 57, 43)
GOOD = (46, 139, 87)
LINE = (227, 231, 238)
_VERB_COLOR = {"scale": GOOD, "iterate": ACCENT, "stop": BAD}


class _Page(FPDF):
    def text_at(
        self,
        x: float,
        y: float,
        w: float,
        text: str,
        size: float,
        *,
        style: str = "",
        color: tuple[int, int, int] = INK,
        align: str = "L",
        h: float | None = None,
    ) -> float:
        """Write (wrapped) text in a box; returns the y below it."""
        self.set_font("helvetica", style, size)
        self.set_text_color(*color)
        self.set_xy(x, y)
        self.multi_cell(w, h or size * 0.45, ascii_safe(text), align=align, new_x="LMARGIN", new_y="NEXT")
        return self.get_y()

    def chart(self, spec: dict[str, object] | None, x: float, y: float, w: float, h: float) -> float:
        """Place a chart at the top-left of its box, as large as fits; returns the height used."""
        if spec is None:
            self.text_at(x, y + 4, w, "no data", 9, color=MUTED, align="C")
            return 12.0
        png = charts.to_png(spec, scale=3.0)
        pw, ph = struct.unpack(">II", png[16:24])  # PNG IHDR: width, height
        scale = min(w / pw, h / ph)
        self.image(io.BytesIO(png), x=x, y=y, w=pw * scale, h=ph * scale)
        return float(ph * scale)


def choose_program(data: ReportData, program: str | None) -> ProgramSection:
    """The named program, else the first whose effect is identified, else the first."""
    if program is not None:
        return data.program(program)
    return next((p for p in data.programs if p.identified), data.programs[0])


def render_pdf(data: ReportData, program: str | None = None) -> bytes:
    """The one-page summary of one program as PDF bytes."""
    p = choose_program(data, program)
    f = figures(p)
    pdf = _Page(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(14, 12, 14)
    pdf.set_title(ascii_safe(f"{p.name}: learning ROI summary"))
    pdf.set_creator(f"learnroi {data.provenance.learnroi_version}")
    pdf.add_page()
    W = 210 - 28

    # Header band
    pdf.set_fill_color(*INK)
    pdf.rect(0, 0, 210, 26, style="F")
    name = p.name if len(p.name) <= 48 else p.name[:47] + "..."
    pdf.text_at(14, 7, W, name, 18, style="B", color=(255, 255, 255))
    pdf.text_at(
        14,
        16,
        W,
        f"Learning ROI - one-page summary - {data.provenance.generated_on}",
        9,
        color=(201, 210, 227),
    )

    y = 31.0
    y = pdf.text_at(
        14, y, W, f"How we know it was the training: {p.design_sentence}", 10.5, style="B", color=ACCENT
    )
    if not p.identified:
        reason = " ".join(p.effect.reasons)[:260]
        y = pdf.text_at(14, y + 1, W, f"Not identified: {reason}", 8.5, color=BAD)
        y = pdf.text_at(14, y, W, f"What data would fix it: {p.effect.fix}"[:300], 8.5, color=BAD)

    # Headline: ROI figures left, gauge right
    top = y + 3
    h = p.headline
    label = (
        "Return on investment" if p.identified else f"ROI ({h.basis}-based, not attributed)" if h else "ROI"
    )
    pdf.text_at(14, top, 95, label, 10, color=MUTED)
    pdf.text_at(14, top + 6, 95, f.roi, 34, style="B", h=14)
    pdf.text_at(14, top + 22, 95, f"Range: {f.range}", 11, style="B")
    pdf.text_at(14, top + 29, 95, f"Probability ROI is positive: {f.p_pos}", 11)
    rows = [
        ("Benefit", f.benefit),
        ("Fully loaded cost", f.cost),
        ("Net benefit", f.net),
        ("Benefit per learner", f.impact),
        ("Benefit-cost ratio", f.bcr),
        ("Payback", f.payback),
    ]
    yy: float = top + 38
    for k, v in rows:
        pdf.text_at(14, yy, 45, k, 9.5, color=MUTED)
        pdf.text_at(60, yy, 40, v, 9.5, style="B", align="R")
        yy += 5.5
    gauge = charts.gauge(p, size=260)
    if gauge is None:
        pdf.text_at(
            112,
            top + 20,
            84,
            "No ROI gauge: the effect is not identified, so no ROI is computed.",
            10,
            color=MUTED,
            align="C",
        )
    else:
        pdf.chart(gauge, 112, top, 84, 64)

    # Drivers and actions
    y = max(yy, top + 66) + 2
    pdf.set_draw_color(*LINE)
    pdf.line(14, y, 196, y)
    pdf.text_at(14, y + 3, 88, "Three drivers", 11, style="B")
    dy = y + 10
    for d in p.drivers:
        dy = pdf.text_at(16, dy, 86, f"- {d.text}", 9.5) + 1.5
    pdf.text_at(108, y + 3, 88, "Two recommended actions", 11, style="B")
    ay = y + 10
    for i, a in enumerate(p.actions, start=1):
        pdf.text_at(110, ay, 86, f"{i}. {a.verb.capitalize()}", 10, style="B", color=_VERB_COLOR[a.verb])
        ay = pdf.text_at(115, ay + 5, 81, a.text, 9.5) + 2
    y = max(dy, ay) + 3
    best = best_arm_sentence(p)
    if best is not None:  # one line; the charts below shrink to keep the page whole
        pdf.line(14, y, 196, y)
        y = pdf.text_at(14, y + 2, W, best[:150], 9.5, style="B", color=GOOD) + 1

    # Funnel and cost breakdown
    pdf.line(14, y, 196, y)
    pdf.text_at(14, y + 3, 88, "Enrollment to completion", 11, style="B")
    pdf.text_at(108, y + 3, 88, "Cost breakdown", 11, style="B")
    ch = min(80.0, 262 - (y + 10))
    used = max(
        pdf.chart(charts.funnel(p, width=290, height=230), 14, y + 10, 88, ch),
        pdf.chart(charts.cost_breakdown(p, width=290, height=230), 108, y + 10, 88, ch),
    )
    y = y + 13 + used
    pdf.line(14, y, 196, y)
    pdf.text_at(14, y + 3, W, break_even_sentence(p), 9, color=INK)

    # Footer: provenance
    pdf.line(14, 279, 196, 279)
    spec = data.provenance.spec_hashes.get(p.program_id, "")
    pdf.text_at(
        14,
        281,
        W,
        f"learnroi {data.provenance.learnroi_version} - {data.provenance.generated_on} - "
        f"program spec {spec[:12] or 'n/a'} - {len(data.provenance.ingest_batches)} ingest batches. "
        "Full detail: the HTML dashboard and the Excel model.",
        7,
        color=MUTED,
    )
    return bytes(pdf.output())


def write_pdf(data: ReportData, path: Path | str, program: str | None = None) -> Path:
    """Write the one-page executive summary of one program (see :func:`choose_program`)."""
    if not data.programs:
        raise DataError("the report has no program", hint="Build the report data with at least one program.")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(render_pdf(data, program))
    return out
