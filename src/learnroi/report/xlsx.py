"""The Excel ROI model (xlsxwriter): live formulas that a finance partner can audit and change.

Per program an **Inputs** sheet (every assumption with its source and range, the effect and its interval,
the practitioner template's baseline X, post-period Y and the naive Y - X shown as a labelled contrast,
the cost lines) and a **Calculation** sheet whose every cell is a formula over Inputs: the benefit
schedule by month with decay and discounting, the fully loaded cost, net benefit, ROI %, BCR, payback,
NPV and the break-even effect (docs/dev/roi-formulas.md, term by term), with a schedule row for each of
the 120 months a spec allows; a **Draws** sheet (:mod:`learnroi.report.xlsx_draws`) simulates the ROI
range live. Then data sheets (KPIs, cohorts, provenance). Each formula is written with its cached value
(:mod:`learnroi.report.model`) so viewers that do not recalculate still show the numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from learnroi.report.data import ProgramSection, ReportData
from learnroi.report.evidence import forecast_rows
from learnroi.report.model import (
    ADOPTION,
    DISCOUNT,
    HALF_LIFE,
    REACH,
    ModelInputs,
    ModelValues,
    decay_factors,
    discount_factors,
    evaluate,
)
from learnroi.report.tables import to_table
from learnroi.report.xlsx_blend import write_blend, write_platform
from learnroi.report.xlsx_common import (
    NOT_IDENTIFIED,
    Formats,
    abs_cell,
    write_evidence,
    write_provenance,
    write_summary,
    write_table,
)
from learnroi.report.xlsx_draws import write_draws


def _abs(row: int, col: int) -> str:
    return abs_cell(row, col)


def _ref(sheet: str, row: int, col: int) -> str:
    return f"{sheet}!{abs_cell(row, col)}"


MAX_HORIZON = 120
"""The longest horizon a spec allows (``ProgramInfo.horizon_months``, le=120): the schedule has this many
rows, each weighted 0 beyond the Inputs horizon, so raising the horizon on Inputs adds months."""


SE_LABEL = "Effect standard error (Monte Carlo)"


def schedule_rows(horizon: int) -> int:
    """Rows of the monthly benefit schedule: room for the longest horizon a spec allows."""
    return max(MAX_HORIZON, horizon)


def sheet_names(data: ReportData, p: ProgramSection) -> tuple[str, str]:
    """``Inputs``/``Calculation`` for a one-program report, else suffixed with the program's position."""
    if len(data.programs) == 1:
        return "Inputs", "Calculation"
    i = data.programs.index(p) + 1
    return f"Inputs{i}", f"Calculation{i}"


def draws_name(data: ReportData, p: ProgramSection) -> str:
    """``Draws`` (the workbook's own Monte Carlo) for a one-program report, else suffixed like the others."""
    return "Draws" if len(data.programs) == 1 else f"Draws{data.programs.index(p) + 1}"


def blend_name(data: ReportData, p: ProgramSection) -> str:
    """``Blend`` for a one-program report, else suffixed with the program's position."""
    return "Blend" if len(data.programs) == 1 else f"Blend{data.programs.index(p) + 1}"


def _write_inputs(ws: Worksheet, f: Formats, p: ProgramSection, name: str) -> dict[str, str]:
    """The Inputs sheet; returns the address (Sheet!$C$5) of every named input."""
    at: dict[str, str] = {}
    ws.set_column(0, 0, 34)
    ws.set_column(1, 4, 15)
    ws.set_column(5, 5, 60)
    ws.write(0, 0, f"Inputs: {p.name}", f.title)
    ws.write(
        1, 0, "Yellow cells are inputs: change one and the Calculation sheet and the ROI follow.", f.note
    )
    r = 2
    if not p.identified:
        ws.write(r, 0, "Effect NOT IDENTIFIED from the design: no attributed ROI.", f.warn)
        for reason in p.effect.reasons:
            r += 1
            ws.write(r, 0, f"- {reason}", f.note)
        r += 1
        ws.write(r, 0, f"What data would fix it: {p.effect.fix}", f.note)
        if p.alt_roi is not None:
            r += 1
            ws.write(
                r,
                0,
                f"The effect below is a {p.alt_roi.basis.upper()} effect (labelled; not measured).",
                f.warn,
            )
    r += 2
    ws.write(r, 0, "Program", f.section)
    r += 1
    ws.write(r, 0, "Horizon used (months; Phillips principle 9 caps at 12)")
    ws.write_number(r, 1, p.horizon_months, f.input)
    ws.write(
        r,
        5,
        f"After learnroi's first-year cap; up to {MAX_HORIZON} months (the Calculation schedule has a row "
        "for each, 0 beyond this horizon).",
        f.note,
    )
    at["H"] = _ref(name, r, 1)
    r += 1
    ws.write(r, 0, "Evaluation window W (months at full effect)")
    ws.write_number(r, 1, p.window_months, f.input)
    at["W"] = _ref(name, r, 1)

    r += 2
    ws.write(r, 0, "Assumptions", f.section)
    r += 1
    ws.write_row(r, 0, ["assumption", "value", "low", "high", "unit", "source"], f.head)
    rows = {a.name: a for a in p.assumptions}
    defaults = {
        REACH: (float(p.learners or p.effect.n or 0), "people", "learners in the data (no reach assumption)"),
        ADOPTION: (1.0, "share", "learnroi default (docs/dev/roi-formulas.md)"),
        DISCOUNT: (0.0, "per year", "learnroi default (docs/dev/roi-formulas.md)"),
    }
    for key in [*rows, *(k for k in defaults if k not in rows)]:
        r += 1
        a = rows.get(key)
        value, unit, source = (a.value, a.unit, a.source) if a else defaults[key]
        ws.write(r, 0, key)
        ws.write_number(r, 1, value, f.input)
        if a and a.low is not None:
            ws.write_number(r, 2, a.low)
        if a and a.high is not None:
            ws.write_number(r, 3, a.high)
        ws.write(r, 4, unit)
        ws.write(r, 5, source)
        at[f"a:{key}"] = _ref(name, r, 1)
    if HALF_LIFE not in rows:
        r += 1
        ws.write(r, 0, f"{HALF_LIFE}: none given, so no decay after the window", f.note)

    k = p.kpis_model[0] if p.kpis_model else None
    r += 2
    basis = "attributed" if p.identified else (p.alt_roi.basis if p.alt_roi else "none")
    ws.write(r, 0, f"Effect that drives the ROI (basis: {basis})", f.section)
    r += 1
    ws.write_row(r, 0, ["KPI", "effect", "95% low", "95% high", "unit", "direction / per / rule"], f.head)
    r += 1
    if k is not None:
        ws.write(r, 0, k.business_kpi)
        if k.effect is not None:
            ws.write_number(r, 1, k.effect, f.input)
        else:
            ws.write(r, 1, NOT_IDENTIFIED, f.input)
        if k.conf_low is not None and k.conf_high is not None:
            ws.write_number(r, 2, k.conf_low, f.input)
            ws.write_number(r, 3, k.conf_high, f.input)
        ws.write(r, 4, k.unit)
        ws.write(r, 5, f"{k.direction} / per {k.per.replace('_', '-')} / rule {k.rule}")
        at["effect"], at["effect_low"], at["effect_high"] = (_ref(name, r, c) for c in (1, 2, 3))
        if k.effect is not None and k.std_error is not None and k.std_error > 0:
            r += 1
            ws.write(r, 0, SE_LABEL)
            ws.write_number(r, 1, k.std_error, f.input)
            ws.write(r, 5, "Draws sheet: effect = estimate + SE x NORM.S.INV(u)")
            at["effect_se"] = _ref(name, r, 1)
        if k.unit_value is not None:
            r += 1
            ws.write(r, 0, "Value of one KPI unit (custom rule)")
            ws.write_number(r, 1, k.unit_value, f.input)
            ws.write(
                r, 5, "The spec's custom expression, evaluated by learnroi at the point values (static)."
            )
            at["unit_value"] = _ref(name, r, 1)
        r += 2
        ws.write(r, 0, "Practitioner template (naive contrast: NOT the answer)", f.section)
        r += 1
        ws.write(r, 0, "Baseline X (before the program)")
        if k.baseline_x is not None:
            ws.write_number(r, 1, k.baseline_x, f.input)
        bx = _abs(r, 1)
        r += 1
        ws.write(r, 0, "Post-period Y (after the program)")
        if k.post_y is not None:
            ws.write_number(r, 1, k.post_y, f.input)
        py = _abs(r, 1)
        r += 1
        ws.write(r, 0, "Naive Y - X (includes everything else that changed)")
        naive = k.post_y - k.baseline_x if k.post_y is not None and k.baseline_x is not None else 0.0
        ws.write_formula(r, 1, f"={py}-{bx}", f.num, naive)
        ws.write(r, 5, "Shown for comparison only; the ROI uses the attributed effect above.", f.note)
        if k.decay_profile:
            r += 2
            ws.write(
                r, 0, "Effect by month (multiple of the headline effect, from the event study)", f.section
            )
            for m, v in enumerate(k.decay_profile, start=1):
                r += 1
                ws.write(r, 0, f"month {m}")
                ws.write_number(r, 1, v, f.input)
                at[f"profile:{m}"] = _ref(name, r, 1)

    r += 2
    ws.write(r, 0, "Cost lines (fully loaded)", f.section)
    r += 1
    ws.write_row(r, 0, ["category", "amount", "prorate over users", "origin", "", "description"], f.head)
    for i, c in enumerate(p.costs):
        r += 1
        ws.write(r, 0, c.category)
        ws.write_number(
            r, 1, c.gross_amount if c.prorate_over_users and c.gross_amount else c.amount, f.input
        )
        if c.prorate_over_users:
            ws.write_number(r, 2, c.prorate_over_users, f.input)
        ws.write(r, 3, c.origin)
        ws.write(r, 5, c.description)
        at[f"cost:{i}"] = _ref(name, r, 1)
        at[f"prorate:{i}"] = _ref(name, r, 2)
    return at


def _calc_row(ws: Worksheet, r: int, label: str, formula: str, value: Any, fmt: Any, note: str = "") -> str:
    ws.write(r, 0, label)
    if isinstance(value, str):
        ws.write_formula(r, 1, formula, fmt, value)
    else:
        ws.write_formula(r, 1, formula, fmt, value if value is not None else 0)
    if note:
        ws.write(r, 2, note)
    return _abs(r, 1)


def _write_calculation(
    ws: Worksheet, f: Formats, p: ProgramSection, at: dict[str, str], v: ModelValues
) -> dict[str, str]:
    """The Calculation sheet (formulas only); returns the addresses of its results."""
    ws.set_column(0, 0, 40)
    ws.set_column(1, 6, 16)
    ws.set_column(2, 2, 16)
    ws.write(0, 0, f"Calculation: {p.name}", f.title)
    ws.write(1, 0, "Every cell is a formula over the Inputs sheet (docs/dev/roi-formulas.md).", f.note)
    k = p.kpis_model[0] if p.kpis_model else None
    a = at
    ok = f"ISNUMBER({a['effect']})" if k is not None else "FALSE"
    out: dict[str, str] = {}
    r = 3
    people = _calc_row(
        ws, r, "People reached N = reach x adoption", f"={a['a:reach']}*{a['a:adoption']}", v.people, f.num
    )
    r += 1
    if k is not None and k.unit_value is not None:
        value = _calc_row(
            ws, r, "Value of one KPI unit", f"={a['unit_value']}", v.values[0], f.num, "custom rule"
        )
    elif k is not None and k.value_assumption:
        conv = "*12/52" if k.rule == "weeks_to_productivity" else ""
        note = "monthly cost x 12/52 per week" if conv else "money per KPI unit"
        value = _calc_row(
            ws, r, "Value of one KPI unit", f"={a['a:' + k.value_assumption]}{conv}", v.values[0], f.num, note
        )
    else:
        value = _calc_row(ws, r, "Value of one KPI unit", "=0", 0.0, f.num, "no monetized KPI")
    r += 1
    sign = -1 if k is not None and k.direction == "decrease" else 1
    gain_val = sign * (k.effect or 0.0) if k is not None else 0.0
    gain = _calc_row(
        ws,
        r,
        "Gain per person and period (sign: a decrease is a gain)",
        f"=IF({ok},{sign}*{a['effect']},0)" if k is not None else "=0",
        gain_val,
        f.num,
    )
    r += 2
    recurring = k is not None and k.per == "person_month"
    if recurring:
        ws.write(r, 0, "Benefit schedule", f.section)
        r += 1
        ws.write_row(
            r,
            0,
            ["month m", "decay d(m)", "discount (1+r)^(-m/12)", "weight", "benefit", "cumulative"],
            f.head,
        )
        first = r + 1
        prof = k.decay_profile if k is not None else None
        h = a.get(f"a:{HALF_LIFE}")
        hl = next((x.value for x in p.assumptions if x.name == HALF_LIFE), None)
        rate = next((x.value for x in p.assumptions if x.name == DISCOUNT), 0.0)
        decay = decay_factors(schedule_rows(p.horizon_months), p.window_months, hl, prof)
        disc = discount_factors(schedule_rows(p.horizon_months), rate)
        cum = 0.0
        for i in range(schedule_rows(p.horizon_months)):
            r += 1
            m = i + 1
            mc = _abs(r, 0)
            ws.write_formula(r, 0, f"={_abs(r - 1, 0)}+1" if i else "=1", f.int, m)
            if prof:
                kk = len(prof)
                last = a[f"profile:{kk}"]
                if m <= kk:
                    dform = f"={a[f'profile:{m}']}"
                else:
                    dform = f"={last}*0.5^(({mc}-{kk})/{h})" if h else f"={last}"
            else:
                dform = (
                    f"=IF({mc}<={a['W']},1,0.5^(({mc}-{a['W']})/{h}))" if h else f"=IF({mc}<={a['W']},1,1)"
                )
            wt = float(decay[i] * disc[i]) if m <= p.horizon_months else 0.0
            ws.write_formula(r, 1, dform, f.num, float(decay[i]))
            ws.write_formula(r, 2, f"=(1+{a['a:' + DISCOUNT]})^(-{mc}/12)", f.num, float(disc[i]))
            ws.write_formula(r, 3, f"=IF({mc}<={a['H']},{_abs(r, 1)}*{_abs(r, 2)},0)", f.num, wt)
            bm = gain_val * v.values[0] * v.people * wt
            ws.write_formula(r, 4, f"={gain}*{value}*{people}*{_abs(r, 3)}", f.money, bm)
            cum += bm
            ws.write_formula(
                r, 5, f"={_abs(r, 4)}" if i == 0 else f"={_abs(r - 1, 5)}+{_abs(r, 4)}", f.money, cum
            )
        last_row = r
        r += 2
        tf = _calc_row(
            ws,
            r,
            "Benefit months S = sum of d(m) x discount",
            f"=SUM({_abs(first, 3)}:{_abs(last_row, 3)})",
            v.factor_s,
            f.num,
        )
    else:
        ws.write(r, 0, "Once-per-person benefit (no decay; discounting at m = 0)", f.section)
        r += 1
        tf = _calc_row(ws, r, "Benefit months S", "=1", 1.0, f.num)
    r += 2
    ws.write(r, 0, "Cost lines charged to the program", f.section)
    cost_cells = []
    for i, c in enumerate(p.costs):
        r += 1
        amount = a[f"cost:{i}"]
        if c.prorate_over_users:
            form = f"=MIN({amount},{amount}*{people}/{a[f'prorate:{i}']})"
            note = "prorated: amount x N / users, capped"
        else:
            form, note = f"={amount}", c.origin
        cost_cells.append(
            _calc_row(ws, r, f"{c.category}: {c.description}"[:60], form, v.cost_charged[i], f.money, note)
        )
    r += 1
    cost = _calc_row(
        ws,
        r,
        "Fully loaded cost",
        "=SUM(" + ",".join(cost_cells) + ")" if cost_cells else "=0",
        v.cost,
        f.money_b,
    )
    r += 2
    ws.write(r, 0, "Results", f.section)
    na = NOT_IDENTIFIED

    def res(label: str, expr: str, val: Any, fmt: Any, note: str = "") -> str:
        nonlocal r
        r += 1
        shown = val if k is not None and k.effect is not None else na
        return _calc_row(ws, r, label, f'=IF({ok},{expr},"{na}")', shown, fmt, note)

    out["value"], out["factor_s"] = value, tf
    out["benefit"] = res(
        "Benefit (discounted, over the horizon)", f"{gain}*{value}*{people}*{tf}", v.benefit, f.money_b
    )
    out["cost"] = cost
    out["net_benefit"] = res("Net benefit", f"{out['benefit']}-{cost}", v.net_benefit, f.money_b)
    out["roi_pct"] = res(
        "ROI %", f"({out['benefit']}-{cost})/{cost}*100", v.roi_pct, f.pct, "(benefit - cost) / cost x 100"
    )
    out["bcr"] = res("Benefit-cost ratio (BCR)", f"{out['benefit']}/{cost}", v.bcr, f.num)
    out["payback_months"] = res(
        "Payback (months)",
        f'IF({out["benefit"]}>0,{cost}/({out["benefit"]}/{a["H"]}),"never")',
        v.payback_months if v.payback_months is not None else "never",
        f.num,
        "cost / (benefit / H)",
    )
    out["npv"] = res("NPV (benefit already discounted - cost)", f"{out['benefit']}-{cost}", v.npv, f.money_b)
    per_unit = f"({sign}*{value}*{people}*{tf})"
    out["break_even_effect"] = res(
        "Break-even effect (KPI units)",
        f"{cost}/{per_unit}",
        v.break_even_effect,
        f.num,
        "the program pays back if the effect is at least this",
    )
    if k is not None and k.conf_low is not None:
        for key, lab in (
            ("effect_low", "ROI % with the effect at its 95% low"),
            ("effect_high", "ROI % with the effect at its 95% high"),
        ):
            e = (k.conf_low if key == "effect_low" else k.conf_high) or 0.0
            val = (sign * e * v.factor_s * v.values[0] * v.people - v.cost) / v.cost * 100 if v.cost else 0.0
            out[key] = res(
                lab,
                f"({sign}*{a[key]}*{value}*{people}*{tf}-{cost})/{cost}*100",
                val,
                f.num,
                "effect uncertainty only",
            )
    return out


def _write_forecast(ws: Worksheet, f: Formats, data: ReportData) -> None:
    """Pre-pilot forecasts, one row per hypothesis: static values, labelled FORECAST, never the measured ROI."""
    ws.set_column(0, 12, 18)
    ws.write(0, 0, "FORECAST (before the pilot) — not the measured ROI", f.title)
    ws.write(
        1,
        0,
        "Planning figures from the hypotheses' assumed effects; the measured ROI is on Calculation.",
        f.note,
    )
    r = 3
    for p in data.programs:
        ws.write(r, 0, p.name, f.section)
        r = write_table(ws, f, r + 1, "FORECAST per hypothesis", to_table(forecast_rows(p.forecast)))


def write_xlsx(data: ReportData, path: Path | str) -> Path:
    """Write the live ROI workbook: Summary, Inputs/Calculation/Draws (and Blend, for a multi-arm program)
    per program, KPIs (with content effectiveness and the modality mix), Cohorts, Evidence (the chain of
    evidence, surveys, qualitative notes), Forecast (when any program has one), Platform (when given),
    Provenance."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out))
    f = Formats(wb)
    summary = wb.add_worksheet("Summary")
    results = []
    for p in data.programs:
        iname, cname = sheet_names(data, p)
        ws_in = wb.add_worksheet(iname)
        ws_calc = wb.add_worksheet(cname)
        at = _write_inputs(ws_in, f, p, iname)
        cells = _write_calculation(ws_calc, f, p, at, evaluate(ModelInputs.of(p)))
        dname = draws_name(data, p)
        mc = write_draws(wb.add_worksheet(dname), f, p, at, cells, cname)
        if p.arms:
            write_blend(wb.add_worksheet(blend_name(data, p)), f, p, cname, cells)
        results.append(
            (p, {k: f"{cname}!{v}" for k, v in cells.items()} | {k: f"{dname}!{v}" for k, v in mc.items()})
        )
    write_summary(summary, f, data, results)
    kpis = wb.add_worksheet("KPIs")
    kpis.set_column(0, 8, 16)
    cohorts = wb.add_worksheet("Cohorts")
    cohorts.set_column(0, 8, 16)
    rk = rc = 0
    for p in data.programs:
        kpis.write(rk, 0, p.name, f.title)
        rk = write_table(kpis, f, rk + 1, "Funnel", p.funnel)
        rk = write_table(kpis, f, rk, "Competency (pre / post)", p.competency)
        rk = write_table(kpis, f, rk, "KPIs", p.kpi_table)
        if p.content:
            rk = write_table(kpis, f, rk, "Content effectiveness (update first: rank 1)", p.content)
        if p.modality:
            rk = write_table(kpis, f, rk, "Modality mix (observational association)", p.modality)
        cohorts.write(rc, 0, p.name, f.title)
        rc = write_table(cohorts, f, rc + 1, "Cohorts", p.cohorts)
        if p.roi_cohorts:
            rc = write_table(cohorts, f, rc, "ROI per cohort (from learnroi, static)", p.roi_cohorts)
        if p.roi_years:
            rc = write_table(cohorts, f, rc, "ROI per program year (from learnroi, static)", p.roi_years)
    write_evidence(wb.add_worksheet("Evidence"), f, data)
    if any(p.forecast for p in data.programs):
        _write_forecast(wb.add_worksheet("Forecast"), f, data)
    if data.platform is not None:
        write_platform(wb.add_worksheet("Platform"), f, data.platform)
    write_provenance(wb.add_worksheet("Provenance"), f, data)
    wb.close()
    return out
