"""Terminal rendering of analyses (rich). Figures use the report's formatters, so the terminal, HTML, PDF
and workbook print the same numbers."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich.table import Table

from learnroi.cli.common import console
from learnroi.pipeline.analysis import ProgramAnalysis
from learnroi.pipeline.arms import ArmAnalysis
from learnroi.pipeline.retention import RetentionAnalysis
from learnroi.report.fmt import money, number, pct, roi_range, share
from learnroi.roi import PlatformRoiResult, RoiBreakdown


def effect_number(x: float | None) -> str:
    """An effect for a table: two decimals, or three significant digits below 1 (a win rate's 0.0076)."""
    if x is None:
        return "n/a"
    return f"{x:,.3g}" if 0 < abs(x) < 1 else number(x)


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
            eff, ci = effect_number(att.result.estimate), f"{effect_number(lo)} to {effect_number(hi)}"
            n = f"{att.result.n:,}"
        else:
            eff, ci, n = "[bold red]not identified[/]", "-", "-"
        row = [a.spec.id, a.kpi, att.design or "-", eff, ci, n]
        if truth:
            row.append(effect_number(_truth(truth, a)["att"]))
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


def print_arms(results: list[ArmAnalysis], skipped: list[str], *, roi: bool = False) -> None:
    """One row per arm: the effect against control with its simultaneous interval; with ``roi`` the
    arm's cost, ROI with its range and P(ROI > 0)."""
    title = (
        "Which blend pays: each arm against control" if roi else "Attribute by arm: each arm against control"
    )
    one = len(results) == 1  # one program: named in the title, not on every row
    t = Table(title=f"{title} ({results[0].program})" if one else title, title_justify="left")
    cols = [] if one else ["program"]
    cols += ["arm", "n", "effect", "simultaneous 95% CI", "p (Holm)"]
    cols += ["cost", "cost/learner", "ROI", "95% range", "P(ROI>0)"] if roi else []
    for col in cols:
        t.add_column(col, overflow="fold")
    for r in results:
        for row in r.tidy().to_dict(orient="records"):
            cells = [] if one else [r.program]
            cells += [
                str(row["arm"]), f"{row['n']:,}", effect_number(row["effect"]),
                f"{effect_number(row['conf_low'])} to {effect_number(row['conf_high'])}",
                number(row["p_adjusted"], 3),
            ]  # fmt: skip
            if roi:
                ok = r.identified and row["roi_pct"] is not None
                cells += [
                    money(row["cost"], r.currency), money(row["cost_per_learner"], r.currency),
                    f"[bold]{pct(row['roi_pct'])}[/]" if ok else "[bold red]not computed[/]",
                    roi_range(row["roi_conf_low"], row["roi_conf_high"]) if ok else "-",
                    share(row["p_roi_positive"]) if ok else "-",
                ]  # fmt: skip
            t.add_row(*cells)
    console.print(t)
    for r in results:
        head = f"[bold]{r.program}[/] ({r.kpi}, {r.effects.method})"
        console.print(head if r.identified else f"{head}: [bold red]not identified[/]", soft_wrap=True)
        for line in (*r.reasons, *r.notes):
            console.print(f"  - {line}", markup=False, soft_wrap=True)
        best = r.best()
        if roi and best is not None and r.identified:
            console.print(f"  highest ROI point estimate: {best} (overlapping ranges mean no clear winner)")
    for pid in skipped:
        console.print(f"{pid}: no randomized arms (not a randomized pilot with a control arm).")


def print_by_year(analyses: list[ProgramAnalysis], tables: list[pd.DataFrame]) -> None:
    """Benefit by program year against the cost counted in year 1, with the cumulative ROI."""
    t = Table(title="ROI by program year", title_justify="left")
    for col in ("program", "year", "benefit", "cost", "net benefit", "cumulative ROI"):
        t.add_column(col, overflow="fold")
    for a, frame in zip(analyses, tables, strict=True):
        cur = a.spec.program.currency
        if frame.empty:
            t.add_row(a.spec.id, "-", "[bold red]not identified[/]", money(a.roi.cost, cur), "-", "-")
        for row in frame.to_dict(orient="records"):
            t.add_row(
                a.spec.id, str(row["year"]), money(row["benefit"], cur), money(row["cost"], cur),
                money(row["net_benefit"], cur), pct(row["cumulative_roi_pct"]),
            )  # fmt: skip
    console.print(t)


def print_by_cohort(breakdowns: list[tuple[str, RoiBreakdown | None]]) -> None:
    """One table per program: each roll-out cohort's ROI with its range, and the program total."""
    for pid, b in breakdowns:
        if b is None:
            console.print(
                f"{pid}: no per-cohort effects (ROI by cohort needs a staggered roll-out whose effect is identified)."
            )
            continue
        cur = b.total.currency
        t = Table(title=f"ROI by cohort: {pid} ({b.total.kpi})", title_justify="left")
        for col in ("cohort", "reach", "ROI", "95% range", "P(ROI>0)", "benefit", "cost"):
            t.add_column(col, overflow="fold")
        for row in b.tidy().to_dict(orient="records"):
            t.add_row(
                str(row["cohort"]), f"{row['reach']:,.0f}", pct(row["roi_pct"]),
                roi_range(row["roi_conf_low"], row["roi_conf_high"]), share(row["p_roi_positive"]),
                money(row["benefit"], cur), money(row["cost"], cur),
            )  # fmt: skip
        console.print(t)
        for n in b.notes:
            console.print(f"  note: {n}", markup=False, soft_wrap=True)


def print_platform(result: PlatformRoiResult | None) -> None:
    if result is None:
        console.print("No platform costs in the store: ingest costs/platform.csv and costs/admin_time.csv.")
        return
    console.print(result.summary(), markup=False, soft_wrap=True)


def _signed_share(x: float | None) -> str:
    return "n/a" if x is None or x != x else f"{x:+.1%}"


def print_retention(results: list[RetentionAnalysis], skipped: list[str]) -> None:
    """One table per program: each arm's share leaving within the horizon (Kaplan-Meier), its difference
    from control with the Greenwood interval, and the Cox hazard ratio; the notes below."""
    for r in results:
        t = Table(title=f"Retention: {r.program}, leaving within {r.months} months", title_justify="left")
        for col in (
            "arm",
            "n",
            "exits",
            "exit share (95% CI)",
            "vs control (95% CI)",
            "hazard ratio (95% CI)",
        ):
            t.add_column(col, overflow="fold")
        for row in r.tidy().to_dict(orient="records"):
            ref = row["arm"] == r.reference
            hr = row["hazard_ratio"]
            t.add_row(
                str(row["arm"]), f"{row['n']:,}", f"{row['exits']:,}",
                f"{share(row['exit_share'], 1)} ({share(row['exit_conf_low'], 1)} to "
                f"{share(row['exit_conf_high'], 1)})",
                "reference" if ref else f"{_signed_share(row['difference'])} "
                f"({_signed_share(row['conf_low'])} to {_signed_share(row['conf_high'])})",
                "reference" if ref else "n/a" if hr is None or hr != hr
                else f"{hr:.2f} ({row['hr_conf_low']:.2f} to {row['hr_conf_high']:.2f})",
            )  # fmt: skip
        console.print(t)
        if not r.identified:
            console.print(f"[bold]{r.program}[/]: [bold red]not identified[/]")
        for line in (*r.reasons, *r.all_notes()):
            console.print(f"  - {line}", markup=False, soft_wrap=True)
    for pid in skipped:
        console.print(f"{pid}: no retention comparison (not a randomized pilot with a control arm).")
