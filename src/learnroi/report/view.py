"""The formatted figures every exporter prints (one function, so the formats agree to the character)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnroi.report import fmt
from learnroi.report.actions import gain_text
from learnroi.report.data import ProgramSection
from learnroi.report.tables import SUPPRESSED, Table

_WHY = {
    "randomized": "People were assigned to the program at random, so the two groups differ only by chance "
    "and by the training: the cleanest comparison there is.",
    "staggered": "Groups started in waves; groups not yet trained serve as the comparison, and the estimator "
    "allows effects to differ by wave and to grow over time.",
    "did": "The change in the trained group is compared with the change in a similar untrained group over "
    "the same months (difference-in-differences); the pre-trends check supports the comparison.",
    "matched": "Each trained person is compared with similar untrained people (matched on the baseline KPI "
    "and covariates); the balance table shows how similar.",
    "its": "The KPI's trend before the program is extended and compared with what happened after.",
    "estimates": "Participants' own estimates of the share due to training, adjusted for their confidence "
    "(Phillips); the least credible source.",
}


@dataclass(frozen=True)
class Figures:
    roi: str
    roi_raw: str
    range: str
    p_pos: str
    benefit: str
    cost: str
    net: str
    bcr: str
    payback: str
    npv: str
    impact: str
    gain: str
    effect: str
    effect_ci: str
    break_even: str
    why: str


def figures(p: ProgramSection) -> Figures:
    """The headline ROI and its companions, formatted once for every format."""
    h = p.headline
    cur = p.currency
    e = p.effect
    return Figures(
        roi=fmt.pct(h.roi_pct) if h else "not identified",
        roi_raw=f"{h.roi_pct:.1f}" if h else "",
        range=fmt.roi_range(h.roi_conf_low, h.roi_conf_high) if h else "n/a",
        p_pos=fmt.share(h.p_roi_positive) if h else "n/a",
        benefit=fmt.money(h.benefit, cur) if h else "n/a",
        cost=fmt.money(h.cost, cur) if h else fmt.money(sum(c.amount for c in p.costs), cur),
        net=fmt.money(h.net_benefit, cur) if h else "n/a",
        bcr=fmt.number(h.bcr) if h else "n/a",
        payback=fmt.months(h.payback_months) if h else "n/a",
        npv=fmt.money(h.npv, cur) if h else "n/a",
        impact=fmt.money(p.impact_per_learner(), cur),
        gain=gain_text(p.competency),
        effect=fmt.number(e.estimate),
        effect_ci=f"{fmt.number(e.conf_low)} to {fmt.number(e.conf_high)}",
        break_even=fmt.number(h.break_even_effect) if h else "n/a",
        why=_WHY.get(e.design, "") if p.identified else "No design isolates the effect in these data.",
    )


def truth_rows(p: ProgramSection) -> list[tuple[str, str, str]]:
    """Estimate beside the synthetic company's true value (demo only)."""
    t = p.truth or {}
    h = p.headline
    rows = []
    if "roi_pct" in t:
        rows.append(("ROI", fmt.pct(h.roi_pct) if h else "not identified", fmt.pct(float(t["roi_pct"]))))
    if "att" in t:
        est = fmt.number(p.effect.estimate) if p.effect.estimate is not None else "not identified"
        rows.append((f"effect on {p.effect.kpi}", est, fmt.number(float(t["att"]))))
    for k, label in (("benefit", "benefit"), ("cost", "fully loaded cost")):
        if k in t:
            est = fmt.money(getattr(h, k), p.currency) if h else "n/a"
            rows.append((label, est, fmt.money(float(t[k]), p.currency)))
    return rows


def num(v: Any) -> str:
    """An input as a person writes it: ``10,000``, ``0.08``, ``1,234.57``; blank when absent."""
    if v is None:
        return ""
    x = float(v)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.6g}"


BATCH_COLUMNS = (
    "batch_id",
    "kind",
    "source",
    "file",
    "rows_read",
    "loaded",
    "rows_loaded",
    "quarantined",
    "skipped",
    "finished_at",
)


def batches_view(table: Table) -> dict[str, Any] | None:
    """The ingest batches for people: the useful columns, file names without folders, times to the minute."""
    view = table_view("batches", "Ingest batches", table)
    if view is None:
        return None
    cols = [c for c in BATCH_COLUMNS if c in view["columns"]] or view["columns"]
    for r in view["rows"]:
        cells = r["cells"]
        for c in ("source", "file"):
            if c in cells:
                cells[c] = "; ".join(part.strip().rsplit("/", 1)[-1] for part in cells[c].split(";"))
        if "finished_at" in cells:
            cells["finished_at"] = cells["finished_at"].replace("T", " ")[:16]
    return {**view, "columns": cols}


def short(v: Any) -> str:
    """A diagnostic's value: four significant digits, blank when absent."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def cell(v: Any, *, missing: str = "suppressed") -> str:
    if v is None:
        return missing
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def table_view(name: str, title: str, table: Table) -> dict[str, Any] | None:
    """Columns and formatted cells of a (suppressed) table; None when empty."""
    if not table:
        return None
    columns = [c for c in table[0] if c != SUPPRESSED]
    has_flag = SUPPRESSED in table[0]
    rows = [
        {
            "suppressed": bool(r.get(SUPPRESSED)),
            "cells": {c: cell(r.get(c), missing="suppressed" if has_flag else "") for c in columns},
        }
        for r in table
    ]
    return {"name": name, "title": title, "columns": columns, "rows": rows}


def break_even_sentence(p: ProgramSection) -> str:
    """What effect the program needs to pay back, beside what was measured (or assumed)."""
    h = p.headline
    k = p.kpis_model[0] if p.kpis_model else None
    if h is None and not p.identified:
        return "No ROI is computed from this design: the effect is not identified (reasons above)."
    if h is None or k is None or h.break_even_effect is None:
        return "No monetized effect: the ROI cannot be computed from these data."
    be = h.break_even_effect
    kpi = k.business_kpi.replace("_", " ")
    if k.direction == "decrease":
        need = f"The program pays back if it cuts {kpi} by at least {fmt.number(abs(be))} {k.unit}"
    else:
        need = f"The program pays back if it raises {kpi} by at least {fmt.number(be)} {k.unit}"
    if p.identified and p.effect.estimate is not None:
        return (
            f"{need}; measured effect {fmt.number(p.effect.estimate)} "
            f"(95% CI {fmt.number(p.effect.conf_low)} to {fmt.number(p.effect.conf_high)})."
        )
    return f"{need}; the {h.basis} assumes {fmt.number(k.effect)}, which is not a measured effect."
