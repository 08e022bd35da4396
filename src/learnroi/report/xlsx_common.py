"""Workbook styles and the sheets that hold no formulas: the summary's links, KPI tables, provenance."""

from __future__ import annotations

from dataclasses import asdict

from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from learnroi.report.data import ProgramSection, ReportData
from learnroi.report.fmt import roi_range
from learnroi.report.model import ModelInputs, evaluate
from learnroi.report.tables import SUPPRESSED, Table
from learnroi.report.view import cell as fmt_cell
from learnroi.report.xlsx_mc import DRAWS_LABEL, simulate

NOT_IDENTIFIED = "not identified"
LEARNROI_MC = "static: learnroi's own Monte Carlo (100,000 draws by default), not recomputed by this workbook"


class Formats:
    def __init__(self, wb: Workbook) -> None:
        self.title = wb.add_format({"bold": True, "font_size": 14, "font_color": "#1f2a44"})
        self.head = wb.add_format({"bold": True, "bg_color": "#1f2a44", "font_color": "white", "border": 1})
        self.section = wb.add_format({"bold": True, "font_size": 11, "font_color": "#1b6ca8"})
        self.label = wb.add_format({"font_color": "#1f2a44"})
        self.note = wb.add_format({"italic": True, "font_color": "#6b7690", "text_wrap": False})
        self.warn = wb.add_format({"bold": True, "font_color": "#c0392b"})
        self.input = wb.add_format({"bg_color": "#fff7d6", "border": 1, "num_format": "#,##0.00##"})
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.money_b = wb.add_format({"num_format": "#,##0.00", "bold": True})
        self.num = wb.add_format({"num_format": "#,##0.0000"})
        self.pct = wb.add_format({"num_format": '0.00"%"', "bold": True, "bg_color": "#e3f0e8"})
        self.int = wb.add_format({"num_format": "0"})
        self.share = wb.add_format({"num_format": "0%"})


def _abs(row: int, col: int) -> str:
    return str(xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True))


def _ref(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{_abs(row, col)}"


def abs_cell(row: int, col: int) -> str:
    return str(xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True))


def write_table(ws: Worksheet, f: Formats, r: int, title: str, table: Table) -> int:
    """A suppressed data table (suppressed cells say so); returns the next free row."""
    ws.write(r, 0, title, f.section)
    if not table:
        ws.write(r + 1, 0, "no data", f.note)
        return r + 3
    cols = [c for c in table[0] if c != SUPPRESSED]
    ws.write_row(r + 1, 0, cols, f.head)
    for i, row in enumerate(table):
        for j, c in enumerate(cols):
            val = row.get(c)
            if isinstance(val, bool) or val is None or not isinstance(val, int | float):
                ws.write(
                    r + 2 + i,
                    j,
                    fmt_cell(val)
                    if val is None
                    else str(val)
                    if not isinstance(val, bool)
                    else fmt_cell(val),
                )
            else:
                ws.write_number(r + 2 + i, j, val)
    return r + len(table) + 3


def write_summary(
    ws: Worksheet, f: Formats, data: ReportData, results: list[tuple[ProgramSection, dict[str, str]]]
) -> None:
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 90)
    ws.write(0, 0, data.title, f.title)
    ws.write(
        1,
        0,
        f"learnroi {data.provenance.learnroi_version}, {data.provenance.generated_on}. "
        "Live figures link to each program's Calculation sheet.",
        f.note,
    )
    r = 3
    for p, out in results:
        h = p.headline
        v = evaluate(ModelInputs.of(p))
        ws.write(r, 0, p.name, f.section)
        ws.write(r, 2, p.design_sentence)
        r += 1
        if not p.identified:
            ws.write(r, 0, "Effect NOT IDENTIFIED", f.warn)
            ws.write(r, 2, " ".join(p.effect.reasons))
            r += 1
            if h is not None:
                ws.write(r, 0, f"Shown instead, labelled: {h.basis}-based ROI", f.warn)
                r += 1
        ok = h is not None
        for key, label, fmt, val in (
            ("roi_pct", "ROI %", f.pct, v.roi_pct),
            ("benefit", "Benefit", f.money, v.benefit),
            ("cost", "Fully loaded cost", f.money, v.cost),
            ("net_benefit", "Net benefit", f.money, v.net_benefit),
            ("break_even_effect", "Break-even effect", f.num, v.break_even_effect),
        ):
            ws.write(r, 0, label)
            if key in out:
                ws.write_formula(r, 1, f"={out[key]}", fmt, val if ok or key == "cost" else NOT_IDENTIFIED)
            r += 1
        if h is not None:
            ws.write(r, 0, "ROI range (Monte Carlo, from learnroi)")
            ws.write(r, 1, roi_range(h.roi_conf_low, h.roi_conf_high))
            ws.write(r, 2, LEARNROI_MC, f.note)
            r += 1
            ws.write(r, 0, "P(ROI > 0) (from learnroi)")
            if h.p_roi_positive is not None:
                ws.write_number(r, 1, h.p_roi_positive, f.share)
            ws.write(r, 2, LEARNROI_MC, f.note)
            r += 1
        r = _live_mc(ws, f, r, out, simulate(p) or (0.0, 0.0, 0.0))
        for d in p.drivers:
            ws.write(r, 0, f"Driver: {d.name}")
            ws.write(r, 2, d.text)
            r += 1
        for a in p.actions:
            ws.write(r, 0, f"Action: {a.verb}")
            ws.write(r, 2, a.text)
            r += 1
        r += 1


def _live_mc(
    ws: Worksheet, f: Formats, r: int, out: dict[str, str], cached: tuple[float, float, float]
) -> int:
    """The workbook's own Monte Carlo (Draws sheet): live, follows the Inputs sheet."""
    for (key, label, fmt), value in zip(
        (
            ("mc_low", "ROI % low", f.num),
            ("mc_high", "ROI % high", f.num),
            ("mc_p", "P(ROI > 0)", f.share),
        ),
        cached,
        strict=True,
    ):
        if key in out:
            ws.write(r, 0, f"{label} ({DRAWS_LABEL})")
            ws.write_formula(r, 1, f"={out[key]}", fmt, value)
            ws.write(r, 2, "live: the Draws sheet's 95% range and share, recalculated from Inputs", f.note)
            r += 1
    return r


def write_provenance(ws: Worksheet, f: Formats, data: ReportData) -> None:
    ws.set_column(0, 0, 24)
    ws.set_column(1, 5, 30)
    ws.write(0, 0, "Provenance", f.title)
    ws.write_row(1, 0, ["learnroi version", data.provenance.learnroi_version])
    ws.write_row(2, 0, ["generated on", data.provenance.generated_on])
    ws.write_row(3, 0, ["small cells suppressed under", str(data.min_cell)])
    r = 5
    for pid, h in data.provenance.spec_hashes.items():
        ws.write_row(r, 0, [f"spec SHA-256: {pid}", h])
        r += 1
    write_table(ws, f, r + 1, "Ingest batches", data.provenance.ingest_batches)


def write_evidence(ws: Worksheet, f: Formats, data: ReportData) -> None:
    """Per program: the chain of evidence (levels 1-5 with their strength), the survey summaries behind
    levels 1 and 3, and the qualitative notes (never monetized). Static values from learnroi."""
    ws.set_column(0, 0, 14)
    ws.set_column(1, 8, 22)
    r = 0
    for p in data.programs:
        ws.write(r, 0, p.name, f.title)
        chain = tuple(asdict(link) for link in p.evidence)
        r = write_table(ws, f, r + 1, "Chain of evidence (Kirkpatrick levels 1-4, Phillips level 5)", chain)
        if p.reaction:
            r = write_table(ws, f, r, "Level 1: reaction survey", p.reaction)
        if p.application:
            r = write_table(ws, f, r, "Level 3: application (manager ratings)", p.application)
        if p.qualitative:
            r = write_table(ws, f, r, "Qualitative evidence (not monetized)", p.qualitative)
