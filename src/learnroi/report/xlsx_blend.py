"""The workbook's Blend and Platform sheets: live formulas in the style of the Calculation sheet.

**Blend** (one per program with arms): per arm the people assigned ``n_a``, the effect and its
simultaneous interval, the arm's own cost lines, its share of the shared lines (``shared x n_a / sum_b
n_b``, contract §4) and its learners' time as yellow inputs or formulas; benefit = gain x value x n_a x S
with the value per KPI unit and the benefit months S linked live from the program's Calculation sheet
(docs/dev/roi-formulas.md with ``N`` = ``n_a``); cost, net benefit, ROI %, cost per learner, the ROI at the
interval's ends and the best-paying arm as formulas. The Monte Carlo range and P(ROI > 0) are static
values from learnroi. **Platform**: the platform's cost lines, admin hours saved, hourly cost and the
counted programs' net benefits as inputs; benefit, net benefit, ROI % and BCR as formulas.
"""

from __future__ import annotations

from typing import Any

from xlsxwriter.worksheet import Worksheet

from learnroi.report.blend import ARM_COST_PARTS, PlatformView, treated_arms
from learnroi.report.data import ProgramSection
from learnroi.report.fmt import roi_range
from learnroi.report.model import ModelInputs, evaluate
from learnroi.report.tables import SUPPRESSED
from learnroi.report.xlsx_common import Formats, abs_cell, write_table

BLEND_HEAD = (
    "arm",
    "n (people assigned)",
    "effect vs control",
    "simultaneous low",
    "simultaneous high",
    "arm's own cost lines",
    "share of shared lines",
    "participants' time",
    "fully loaded cost",
    "cost per person assigned",
    "benefit",
    "net benefit",
    "ROI %",
    "ROI % at effect low",
    "ROI % at effect high",
    "ROI range (learnroi, static)",
    "P(ROI > 0) (static)",
)


def _f(r: dict[str, Any] | Any, k: str) -> float:
    v = r.get(k)
    return float(v) if v is not None else 0.0


def write_blend(ws: Worksheet, f: Formats, p: ProgramSection, calc: str, cells: dict[str, str]) -> None:
    """The Blend sheet of ``p``; ``cells`` holds the Calculation sheet's ``value`` and ``factor_s``."""
    ws.set_column(0, 0, 34)
    ws.set_column(1, 16, 15)
    ws.write(0, 0, f"Blend: {p.name} — which arm pays", f.title)
    ws.write(
        1,
        0,
        "Yellow cells are inputs. Benefit uses the value per KPI unit and the benefit months S of the "
        f"{calc} sheet, with N = the people assigned to the arm.",
        f.note,
    )
    arms = treated_arms(p.arms)
    hidden = [str(r.get("arm")) for r in p.arms if r.get(SUPPRESSED)]
    k = p.kpis_model[0] if p.kpis_model else None
    if k is None or not arms:
        ws.write(
            3,
            0,
            "No monetized KPI or no arm with an effect: the per-arm results as learnroi computed them.",
            f.warn,
        )
        write_table(ws, f, 5, "Per-arm results", p.arms)
        return
    v = evaluate(ModelInputs.of(p))
    value, s_fac = v.values[0], v.factor_s
    sign = -1 if k.direction == "decrease" else 1
    ws.write(3, 0, f"Links to {calc}", f.section)
    ws.write(4, 0, "Value of one KPI unit")
    ws.write_formula(4, 1, f"={calc}!{cells['value']}", f.num, value)
    ws.write(5, 0, "Benefit months S")
    ws.write_formula(5, 1, f"={calc}!{cells['factor_s']}", f.num, s_fac)
    ws.write(6, 0, "Sign (a decrease in the KPI is a gain)")
    ws.write_formula(6, 1, f"={sign}", f.int, sign)
    parts = all(c in arms[0] for c in ARM_COST_PARTS)
    shared = sum(_f(r, "cost_shared") for r in arms) if parts else 0.0
    ws.write(7, 0, "Shared cost lines (total over the arms)")
    ws.write_number(7, 1, shared, f.input)
    ws.write(7, 2, "split by people assigned: shared x n_a / sum of n", f.note)
    val_c, s_c, sign_c, shared_c = (abs_cell(r, 1) for r in (4, 5, 6, 7))
    head = 9
    ws.write(head - 1, 0, f"Per arm against control ({k.business_kpi}, {k.unit})", f.section)
    ws.write_row(head, 0, BLEND_HEAD, f.head)
    first, last = head + 1, head + len(arms)
    n_sum = f"SUM({abs_cell(first, 1)}:{abs_cell(last, 1)})"
    n_total = sum(_f(r, "n") for r in arms)
    for i, r in enumerate(arms):
        row = head + 1 + i
        n, eff = _f(r, "n"), _f(r, "effect")
        c = {j: abs_cell(row, j) for j in range(17)}
        ws.write(row, 0, str(r["arm"]))
        ws.write_number(row, 1, n, f.input)
        ws.write_number(row, 2, eff, f.input)
        lo, hi = r.get("conf_low"), r.get("conf_high")
        ws.write_number(row, 3, float(lo) if lo is not None else eff, f.input)
        ws.write_number(row, 4, float(hi) if hi is not None else eff, f.input)
        own = _f(r, "cost_arm") if parts else _f(r, "cost")
        time = _f(r, "cost_participant_time") if parts else 0.0
        share = shared * n / n_total if n_total else 0.0
        cost = own + share + time
        ws.write_number(row, 5, own, f.input)
        ws.write_formula(row, 6, f"={shared_c}*{c[1]}/{n_sum}", f.money, share)
        ws.write_number(row, 7, time, f.input)
        ws.write_formula(row, 8, f"={c[5]}+{c[6]}+{c[7]}", f.money, cost)
        ws.write_formula(row, 9, f"={c[8]}/{c[1]}", f.money, cost / n if n else 0.0)
        per_unit = f"{sign_c}*{val_c}*{c[1]}*{s_c}"
        benefit = sign * eff * value * n * s_fac
        ws.write_formula(row, 10, f"={per_unit}*{c[2]}", f.money, benefit)
        ws.write_formula(row, 11, f"={c[10]}-{c[8]}", f.money, benefit - cost)
        roi = (benefit - cost) / cost * 100 if cost else 0.0
        ws.write_formula(row, 12, f"=({c[10]}-{c[8]})/{c[8]}*100", f.pct, roi)
        for col, end in ((13, 3), (14, 4)):
            e = float(r.get("conf_low" if end == 3 else "conf_high") or eff)
            at = (sign * e * value * n * s_fac - cost) / cost * 100 if cost else 0.0
            ws.write_formula(row, col, f"=({per_unit}*{c[end]}-{c[8]})/{c[8]}*100", f.num, at)
        ws.write(row, 15, roi_range(r.get("roi_conf_low"), r.get("roi_conf_high")))
        if r.get("p_roi_positive") is not None:
            ws.write_number(row, 16, float(r["p_roi_positive"]), f.share)
    row = last + 2
    rois = f"{abs_cell(first, 12)}:{abs_cell(last, 12)}"
    names = f"{abs_cell(first, 0)}:{abs_cell(last, 0)}"
    cached = _best_cached(arms, sign, value, s_fac, shared, n_total, parts)
    ws.write(row, 0, "Best-paying arm (highest ROI %)", f.section)
    ws.write_formula(row, 1, f"=INDEX({names},MATCH(MAX({rois}),{rois},0))", f.label, cached)
    ws.write(row, 2, "ranks the point ROI; check the ranges and P(ROI > 0) before choosing", f.note)
    if hidden:
        ws.write(
            row + 1, 0, f"Suppressed (fewer people than the small-cell minimum): {', '.join(hidden)}", f.note
        )


def _best_cached(
    arms: list[Any], sign: int, value: float, s_fac: float, shared: float, n_total: float, parts: bool
) -> str:
    def roi(r: Any) -> float:
        n = _f(r, "n")
        own = _f(r, "cost_arm") if parts else _f(r, "cost")
        time = _f(r, "cost_participant_time") if parts else 0.0
        cost = own + (shared * n / n_total if n_total else 0.0) + time
        return (sign * _f(r, "effect") * value * n * s_fac - cost) / cost if cost else float("-inf")

    return str(max(arms, key=roi)["arm"])


def write_platform(ws: Worksheet, f: Formats, v: PlatformView) -> None:
    """The Platform sheet: inputs, then benefit, net benefit, ROI % and BCR as formulas."""
    ws.set_column(0, 0, 46)
    ws.set_column(1, 3, 18)
    ws.set_column(4, 4, 70)
    ws.write(0, 0, "The learning platform's own ROI", f.title)
    ws.write(
        1,
        0,
        "Yellow cells are inputs. Admin hours saved are a before/after comparison, not a causal estimate; "
        "programs' net benefits are credited in full (an upper bound).",
        f.note,
    )
    r = 3
    ws.write(r, 0, "Platform cost lines", f.section)
    first = r + 1
    for line in v.cost_breakdown:
        r += 1
        ws.write(r, 0, str(line["category"]))
        ws.write_number(r, 1, float(line["amount"]), f.input)
    cost_range = f"{abs_cell(first, 1)}:{abs_cell(r, 1)}"
    r += 2
    ws.write(r, 0, "Admin time", f.section)
    r += 1
    ws.write(r, 0, "Admin hours saved per month (before - after go-live)")
    ws.write_number(r, 1, v.hours_saved, f.input)
    hours = abs_cell(r, 1)
    r += 1
    ws.write(r, 0, "Loaded hourly cost of admin staff")
    ws.write_number(r, 1, v.hourly_cost or 0.0, f.input)
    rate = abs_cell(r, 1)
    r += 1
    ws.write(r, 0, "Benefit months (sum of discount factors over the horizon)")
    ws.write_number(r, 1, v.benefit_months or float(v.horizon_months), f.input)
    months = abs_cell(r, 1)
    r += 2
    ws.write(r, 0, "Programs' net benefits counted", f.section)
    ws.write_row(r + 1, 0, ["program", "net benefit", "basis", "", "why"], f.head)
    r += 1
    prog_first = r + 1
    counted = [p for p in v.programs if p.get("included")]
    for p in v.programs:
        r += 1
        ws.write(r, 0, f"{p['program']} ({p['kpi']})")
        if p.get("included"):
            ws.write_number(r, 1, float(p.get("net_benefit") or 0.0), f.input)
        else:
            ws.write(r, 1, "not counted", f.note)
        ws.write(r, 2, str(p.get("basis") or ""))
        ws.write(r, 4, str(p.get("reason") or ""))
    prog = f"SUM({abs_cell(prog_first, 1)}:{abs_cell(max(r, prog_first), 1)})" if v.programs else "0"
    prog_val = sum(float(p.get("net_benefit") or 0.0) for p in counted)
    r += 2
    ws.write(r, 0, "Results", f.section)
    out: dict[str, str] = {}
    admin = v.hours_saved * (v.hourly_cost or 0.0) * (v.benefit_months or float(v.horizon_months))
    rows = (
        ("cost", "Platform cost", f"=SUM({cost_range})", v.platform_cost, f.money_b),
        ("admin", "Admin time benefit", f"={hours}*{rate}*{months}", admin, f.money),
        ("programs", "Programs' net benefit credited", f"={prog}", prog_val, f.money),
        ("benefit", "Benefit", "={admin}+{programs}", admin + prog_val, f.money_b),
        ("net", "Net benefit", "={benefit}-{cost}", admin + prog_val - v.platform_cost, f.money_b),
        (
            "roi",
            "ROI %",
            "=({benefit}-{cost})/{cost}*100",
            (admin + prog_val - v.platform_cost) / v.platform_cost * 100,
            f.pct,
        ),
        ("bcr", "Benefit-cost ratio (BCR)", "={benefit}/{cost}", (admin + prog_val) / v.platform_cost, f.num),
    )
    for key, label, form, val, fmt in rows:
        r += 1
        ws.write(r, 0, label)
        ws.write_formula(r, 1, form.format(**out), fmt, val)
        out[key] = abs_cell(r, 1)
    r += 1
    ws.write(r, 0, "ROI range (Monte Carlo, from learnroi)")
    ws.write(r, 1, roi_range(v.roi_conf_low, v.roi_conf_high))
    ws.write(r, 4, "static: recomputed by learnroi, not by this workbook", f.note)
    r += 1
    ws.write(r, 0, "P(ROI > 0)")
    if v.p_roi_positive is not None:
        ws.write_number(r, 1, v.p_roi_positive, f.share)
    for n in v.notes:
        r += 1
        ws.write(r, 0, f"note: {n}", f.note)
