"""The workbook's own Monte Carlo: a Draws sheet whose ROI range and P(ROI > 0) follow the Inputs sheet.

``N_DRAWS`` seeded uniforms per uncertain input are stored as numbers (``numpy.random.default_rng(SEED)``);
every other column is an array formula over Inputs: each assumption with a range is drawn by its inverse
CDF (triangular(low, value, high), or uniform), the effect as estimate + SE x NORM.S.INV(u), and the ROI
of each draw by the Calculation sheet's formulas in row form (docs/dev/roi-formulas.md). The benefit
months S of a draw are the Calculation schedule's sum in closed form (two geometric series: the window,
or the event-study profile, then halving every h months, discounted monthly), so a drawn half-life or
discount rate needs no month-by-draw grid. Percentiles are Excel's PERCENTILE (= numpy's linear
quantile). 1,000 draws keep a recalculation fast; learnroi's own (100,000-draw) figures stay beside them.
"""

from __future__ import annotations

from xlsxwriter.worksheet import Worksheet

from learnroi.report.data import ProgramSection
from learnroi.report.model import ADOPTION, DISCOUNT, HALF_LIFE, REACH
from learnroi.report.xlsx_common import Formats, abs_cell
from learnroi.report.xlsx_mc import DRAWS_LABEL, LEVEL, N_DRAWS, SEED, Drawn, drawn_inputs, simulate, uniforms

LABEL = DRAWS_LABEL
FIRST = 10
"""0-based row of the first draw (the summary block and the header sit above it)."""


def _cells(x: Drawn, at: dict[str, str]) -> tuple[str, str, str]:
    """The Inputs addresses of the input's value, low and high (the effect: estimate, SE, SE)."""
    if x.kind == "normal":
        return at["effect"], at["effect_se"], at["effect_se"]
    value = at[f"a:{x.name}"]
    return value, value.replace("$B$", "$C$"), value.replace("$B$", "$D$")


def _inverse(x: Drawn, at: dict[str, str], u: str) -> str:
    """Excel for the input's quantile at the uniforms ``u`` (same as learnroi.roi.uncertainty.inverse_cdf)."""
    c, a, b = _cells(x, at)
    if x.kind == "normal":
        return f"{c}+{a}*_xlfn.NORM.S.INV({u})"
    if x.kind == "uniform":
        return f"{a}+({b}-{a})*{u}"
    tri = (
        f"IF({u}<=({c}-{a})/({b}-{a}),{a}+SQRT({u}*({b}-{a})*({c}-{a})),"
        f"{b}-SQRT((1-{u})*({b}-{a})*({b}-{c})))"
    )
    return f"IF({b}>{a},{tri},{c}+0*{u})"


def _geometric(q: str, n: str) -> str:
    """sum_{j=1..n} q^j (q = 1 gives n)."""
    return f"IF({q}=1,{n},{q}*(1-{q}^{n})/(1-{q}))"


def _factor_s(p: ProgramSection, at: dict[str, str], col: dict[str, str]) -> str:
    """S = sum over m <= H of d(m) (1+r)^(-m/12), in closed form over the draws (see the module doc)."""
    k = p.kpis_model[0]
    h_cell, w_cell = at["H"], at["W"]
    rate = col.get(DISCOUNT, at[f"a:{DISCOUNT}"])
    q = f"(1+{rate})^(-1/12)"
    half = col.get(HALF_LIFE, at.get(f"a:{HALF_LIFE}", ""))
    prof = k.decay_profile
    if prof:
        kk = len(prof)
        head = "+".join(f"IF({h_cell}>={m},{at[f'profile:{m}']},0)*{q}^{m}" for m in range(1, kk + 1))
        n, lead = f"MAX({h_cell}-{kk},0)", f"{at[f'profile:{kk}']}*{q}^{kk}"
    else:
        head = _geometric(q, f"MIN({w_cell},{h_cell})")
        n, lead = f"MAX({h_cell}-{w_cell},0)", f"{q}^{w_cell}"
    tail = _geometric(f"(0.5^(1/{half})*{q})" if half else q, n)
    return f"{head}+{lead}*{tail}"


def write_draws(
    ws: Worksheet, f: Formats, p: ProgramSection, at: dict[str, str], cells: dict[str, str], calc: str
) -> dict[str, str]:
    """The Draws sheet; returns the addresses (Sheet-less) of its summary: ``mc_low``, ``mc_high``, ``mc_p``.

    Empty (and nothing returned) when the program has no numeric effect or nothing is uncertain.
    """
    k = p.kpis_model[0] if p.kpis_model else None
    xs = drawn_inputs(p)
    if k is None or not xs:
        ws.write(0, 0, f"Monte Carlo: {p.name}", f.title)
        ws.write(1, 0, "No uncertain input with a numeric effect: nothing to simulate.", f.note)
        return {}
    last = FIRST + N_DRAWS - 1
    ws.set_column(0, 2 * len(xs) + 6, 14)
    ws.write(0, 0, f"Monte Carlo: {p.name} — {LABEL}", f.title)
    ws.write(
        1,
        0,
        f"Grey columns: uniforms pre-drawn by numpy default_rng({SEED}) (static). Every other column is a "
        "formula over Inputs: change a value or a range there and the draws, the range and P(ROI > 0) follow.",
        f.note,
    )
    ws.write(
        2,
        0,
        "Assumptions: inverse CDF of triangular(low, value, high) or uniform(low, high); effect: estimate + "
        "SE x NORM.S.INV(u). Drawn independently (correlations between assumptions are not modelled here).",
        f.note,
    )

    def rng(c: int) -> str:
        return f"{abs_cell(FIRST, c)}:{abs_cell(last, c)}"

    col: dict[str, str] = {}
    u = uniforms(len(xs))
    heads: list[str] = []
    c = 0
    for j, x in enumerate(xs):
        heads += [f"u: {x.name}", f"{x.name} ({x.kind})"]
        ws.write_column(FIRST, c, u[:, j].tolist(), f.num)
        ws.write_array_formula(FIRST, c + 1, last, c + 1, "{=" + _inverse(x, at, rng(c)) + "}", f.num)
        col[x.name] = rng(c + 1)
        c += 2
    a = at
    reach = col.get(REACH, a[f"a:{REACH}"])
    adoption = col.get(ADOPTION, a[f"a:{ADOPTION}"])
    people = f"({reach}*{adoption})"
    if k.unit_value is None and k.value_assumption and k.value_assumption in col:
        conv = "*12/52" if k.rule == "weeks_to_productivity" else ""
        value = f"{col[k.value_assumption]}{conv}"
    else:
        value = f"{calc}!{cells['value']}"
    sign = -1 if k.direction == "decrease" else 1
    effect = col.get("effect", a["effect"])
    out_cols: list[tuple[str, str, object]] = []
    if k.per == "person_month":
        out_cols.append(("benefit months S", _factor_s(p, a, col), f.num))
        s_term = rng(c)
    else:
        s_term = "1"
    benefit_col = c + len(out_cols)
    out_cols.append(("benefit", f"{sign}*{effect}*{value}*{people}*{s_term}", f.money))
    cost_terms = []
    for i, item in enumerate(p.costs):
        amount = a[f"cost:{i}"]
        if item.prorate_over_users:
            share = f"{people}/{a[f'prorate:{i}']}"
            cost_terms.append(f"{amount}*IF({share}<1,{share},1)")
        else:
            cost_terms.append(amount)
    cost_col = benefit_col + 1
    out_cols.append(("fully loaded cost", "+".join(cost_terms) or "0", f.money))
    out_cols.append(("ROI %", f"({rng(benefit_col)}-{rng(cost_col)})/{rng(cost_col)}*100", f.num))
    for label, form, fmt in out_cols:
        heads.append(label)
        ws.write_array_formula(FIRST, c, last, c, "{=" + form + "}", fmt)
        c += 1
    ws.write_row(FIRST - 1, 0, heads, f.head)
    roi = rng(c - 1)
    lo, hi = (1 - LEVEL) / 2, (1 + LEVEL) / 2
    summary = (
        ("mc_low", f"ROI % {lo * 100:g}th percentile ({LABEL})", f"=PERCENTILE({roi},{lo:g})", f.num),
        ("mc_high", f"ROI % {hi * 100:g}th percentile ({LABEL})", f"=PERCENTILE({roi},{hi:g})", f.num),
        ("mc_p", f"P(ROI > 0) ({LABEL})", f'=COUNTIF({roi},">0")/{N_DRAWS}', f.share),
    )
    out: dict[str, str] = {}
    cached = simulate(p) or (0.0, 0.0, 0.0)
    for r, (key, label, form, fmt) in enumerate(summary, start=4):
        ws.write(r, 0, label)
        ws.write_formula(r, 3, form, fmt, cached[r - 4])
        out[key] = abs_cell(r, 3)
    return out
