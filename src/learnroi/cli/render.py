"""Terminal rendering of analyses (rich). Figures use the report's formatters, so the terminal, HTML, PDF
and workbook print the same numbers."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from learnroi.cli.common import console
from learnroi.pipeline.analysis import ProgramAnalysis
from learnroi.report.fmt import money, number, pct, roi_range, share


def _truth(truth: dict[str, Any] | None, a: ProgramAnalysis) -> dict[str, Any]:
    prog = ((truth or {}).get("programs") or {}).get(a.spec.id) or {}
    kpi = (prog.get("kpis") or {}).get(a.kpi) or {}
    return {"att": kpi.get("att"), "roi_pct": prog.get("roi_pct")}


def print_attributions(analyses: list[ProgramAnalysis], truth: dict[str, Any] | None = None) -> None:
    """One row per program: the design, the effect with its interval, or "not identified" and why."""
    t = Table(title="Attribute: the program's causal effect", title_justify="left")
    for col in ("program", "KPI", "design", "effect", "95% CI", "n"):
        t.add_column(col, overflow="fold")
    if truth:
        t.add_column("true", overflow="fold")
    for a in analyses:
        att = a.attribution
        if att.identified and att.result is not None:
            lo, hi = att.result.conf_int()
            eff, ci, n = number(att.result.estimate), f"{number(lo)} to {number(hi)}", f"{att.result.n:,}"
        else:
            eff, ci, n = "[bold red]not identified[/]", "-", "-"
        row = [a.spec.id, a.kpi, att.design or "-", eff, ci, n]
        if truth:
            row.append(number(_truth(truth, a)["att"]))
        t.add_row(*row)
    console.print(t)
    for a in analyses:
        att = a.attribution
        console.print(f"[bold]{a.spec.id}[/]: {att.explanation}", soft_wrap=True)
        for r in att.reasons:
            console.print(f"  - {r}", markup=False, soft_wrap=True)
        for f in att.fixes:
            console.print(f"  what would fix it: {f}", markup=False, soft_wrap=True)


def print_rois(analyses: list[ProgramAnalysis], truth: dict[str, Any] | None = None) -> None:
    """One row per program: ROI with its range and P(ROI > 0), benefit and cost; payback and break-even below."""
    t = Table(title="Calculate: return on investment", title_justify="left")
    for col in ("program", "ROI", "95% range", "P(ROI>0)", "benefit", "cost"):
        t.add_column(col, overflow="fold")
    if truth:
        t.add_column("true ROI", overflow="fold")
    notes: list[str] = []
    for a in analyses:
        r = a.roi if a.roi.computed or a.alt_roi is None else a.alt_roi
        cur = a.spec.program.currency
        if r.computed:
            label = "" if r.basis == "attributed" else f" [yellow]({r.basis})[/]"
            row = [
                a.spec.id, f"[bold]{pct(r.roi_pct)}[/]{label}", roi_range(r.roi_conf_low, r.roi_conf_high),
                share(r.p_roi_positive), money(r.benefit, cur), money(r.cost, cur),
            ]  # fmt: skip
            notes.append(
                f"{a.spec.id}: payback {number(r.payback_months, 1)} months; pays back if the effect is at least "
                f"{number(r.break_even_effect)} ({a.kpi}); basis: {r.basis}."
            )
        else:
            row = [a.spec.id, "[bold red]not identified[/]", "-", "-", "-", money(r.cost, cur)]
        if truth:
            row.append(pct(_truth(truth, a)["roi_pct"]))
        t.add_row(*row)
    console.print(t)
    for line in notes:
        console.print(line, markup=False, soft_wrap=True)
    for a in analyses:
        if not a.roi.computed:
            label = f" (shown: {a.alt_roi.basis}-based, least credible)" if a.alt_roi is not None else ""
            console.print(f"[bold]{a.spec.id}[/]: no attributed ROI — the effect is not identified{label}.")


def print_analyses(analyses: list[ProgramAnalysis], truth: dict[str, Any] | None = None) -> None:
    print_attributions(analyses, truth)
    print_rois(analyses, truth)
