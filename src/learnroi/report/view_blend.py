"""The blended-learning blocks formatted once for every exporter (dashboard, PDF line, workbook labels)."""

from __future__ import annotations

from typing import Any

from learnroi.report import fmt
from learnroi.report.blend import (
    OBSERVATIONAL,
    REFERENCE,
    STANCES,
    PlatformView,
    best_arm,
    stance_counts,
)
from learnroi.report.data import ProgramSection, as_number
from learnroi.report.tables import SUPPRESSED, Record, Table

SUPP = "suppressed"


def _n(v: Any) -> str:
    return SUPP if v is None else f"{float(v):,.0f}"


def _f(v: Any, digits: int = 2) -> str:
    return "n/a" if v is None else f"{float(v):,.{digits}f}"


def _share(v: Any) -> str:
    return "n/a" if v is None else fmt.share(float(v))


def _ci(lo: Any, hi: Any, digits: int = 2) -> str:
    return "" if lo is None or hi is None else f"{float(lo):,.{digits}f} to {float(hi):,.{digits}f}"


def arm_rows(p: ProgramSection) -> list[dict[str, Any]]:
    """One formatted row per arm; the reference arm says so, a suppressed arm says "suppressed"."""
    cur = p.currency
    out = []
    for r in p.arms:
        arm = str(r.get("arm"))
        if r.get(SUPPRESSED):
            out.append({"arm": arm, "suppressed": True, "cells": [arm, SUPP] + [SUPP] * 7})
            continue
        if arm == REFERENCE or r.get("effect") is None:
            out.append(
                {"arm": arm, "suppressed": False, "cells": [arm, _n(r.get("n")), "reference"] + [""] * 6}
            )
            continue
        roi = r.get("roi_pct")
        roi_text = (
            "n/a"
            if roi is None
            else f"{fmt.pct(roi)} ({fmt.roi_range(r.get('roi_conf_low'), r.get('roi_conf_high'))})"
        )
        cells = [
            arm,
            _n(r.get("n")),
            f"{_f(r.get('effect'))} ({_ci(r.get('conf_low'), r.get('conf_high'))})",
            _f(r.get("p_adjusted"), 4),
            fmt.money(r.get("cost_per_learner"), cur),
            fmt.money(r.get("cost"), cur),
            fmt.money(r.get("benefit"), cur),
            roi_text,
            _share(r.get("p_roi_positive")),
        ]
        out.append({"arm": arm, "suppressed": False, "cells": cells})
    return out


ARM_HEAD = (
    "arm",
    "n",
    "effect vs control (simultaneous 95% CI)",
    "adjusted p",
    "cost per learner",
    "fully loaded cost",
    "benefit",
    "ROI (95% range)",
    "P(ROI > 0)",
)


def best_arm_sentence(p: ProgramSection) -> str | None:
    """One line on the best-paying arm (the PDF's and the panel's), or None when no arm pays."""
    b = best_arm(p.arms)
    if b is None:
        return None
    return (
        f"Best-paying arm: {b['arm']} - ROI {fmt.pct(b.get('roi_pct'))} "
        f"(range {fmt.roi_range(b.get('roi_conf_low'), b.get('roi_conf_high'))}, "
        f"P(ROI > 0) {_share(b.get('p_roi_positive'))}), "
        f"{fmt.money(b.get('cost_per_learner'), p.currency)} per learner."
    )


CONTENT_HEAD = ("rank", "module", "modality", "reach", "drop-off", "check gain", "median minutes", "priority")


def content_rows(content: Table) -> list[dict[str, Any]]:
    out = []
    for r in content:
        if r.get(SUPPRESSED):
            cells = ["not ranked", str(r.get("module_id")), str(r.get("modality") or "")] + [SUPP] * 5
        else:
            why = r.get("not_ranked")
            cells = [
                str(r.get("rank") or (f"not ranked ({why})" if why else "not ranked")),
                str(r.get("module_id")),
                str(r.get("modality") or ""),
                _n(r.get("reach", r.get("n"))),
                _share(r.get("drop_off")),
                _share(r.get("check_gain")),
                _f(r.get("median_minutes"), 0),
                _f(r.get("priority"), 3),
            ]
        out.append({"suppressed": bool(r.get(SUPPRESSED)), "cells": cells})
    return out


def generic_rows(table: Table) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and formatted cells of any small table (shares as percentages, money-free)."""
    if not table:
        return [], []
    cols = [c for c in table[0] if c != SUPPRESSED]
    rows = []
    for r in table:
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None:
                cells.append(SUPP if r.get(SUPPRESSED) else "")
            elif isinstance(v, float) and (c.endswith(("rate", "share", "drop_off")) or "gain" in c):
                cells.append(fmt.share(v))
            elif isinstance(v, float):
                whole = "minutes" in c or c in ("reach", "n", "modules")
                cells.append(f"{v:,.0f}" if whole else f"{v:,.2f}")
            else:
                cells.append(f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
        rows.append({"suppressed": bool(r.get(SUPPRESSED)), "cells": cells})
    return [LABELS.get(c, c.replace("_", " ")) for c in cols], rows


LABELS = {
    "mean_median_minutes": "median minutes (mean over modules)",
    "mean_drop_off": "drop-off (mean over modules)",
    "mean_check_gain": "check gain (mean over modules)",
    "learning_time_share": "share of learning time",
    "reach_share": "share of learners reached",
    "drop_off": "drop-off",
    "module_check_gain": "check gain",
    "median_minutes": "median minutes",
    "roi_pct": "ROI %",
    "roi_conf_low": "ROI low",
    "roi_conf_high": "ROI high",
    "p_roi_positive": "P(ROI > 0)",
    "bcr": "BCR",
    "cumulative_roi_pct": "cumulative ROI %",
}


def notes_by_stance(p: ProgramSection) -> list[tuple[str, int, list[Record]]]:
    """(stance, count, notes) for supports, contradicts and neutral (empty groups kept, count 0)."""
    counts = stance_counts(p.qualitative)
    return [(s, counts.get(s, 0), [r for r in p.qualitative if r.get("stance") == s]) for s in STANCES]


MONEY_COLS = ("benefit", "cost", "net_benefit", "cumulative_benefit")


def roi_rows(table: Table, currency: str, first: str) -> tuple[list[str], list[dict[str, Any]]]:
    """ROI per cohort / per year, money and percentages formatted."""
    if not table:
        return [], []
    cols = [c for c in table[0] if c != SUPPRESSED]
    rows = []
    for r in table:
        cells = []
        for c in cols:
            v = r.get(c)
            if v is None:
                cells.append(SUPP if r.get(SUPPRESSED) else "n/a")
            elif c in MONEY_COLS:
                cells.append(fmt.money(float(v), currency))
            elif c.endswith("_pct") or c.startswith("roi_conf"):
                cells.append(fmt.pct(float(v)))
            elif c in ("p_roi_positive", "cost_share"):
                cells.append(fmt.share(float(v)))
            elif c in ("reach", "n", "year"):
                cells.append(f"{float(v):,.0f}")
            elif isinstance(v, float):
                cells.append(f"{v:,.2f}")
            else:
                cells.append(str(v))
        rows.append({"suppressed": bool(r.get(SUPPRESSED)), "total": r.get(first) == "total", "cells": cells})
    return [LABELS.get(c, c.replace("_", " ")) for c in cols], rows


def platform_rows(v: PlatformView) -> list[tuple[str, str]]:
    """The platform block's figures as label/value pairs."""
    cur = v.currency
    hours = f"{v.hours_saved:,.1f} h/month"
    if v.hours_conf_low is not None and v.hours_conf_high is not None:
        hours += f" (95% CI {v.hours_conf_low:,.1f} to {v.hours_conf_high:,.1f})"
    if v.hours_before is not None and v.hours_after is not None:
        hours += f"; {v.hours_before:,.1f} before vs {v.hours_after:,.1f} after go-live"
    return [
        ("platform ROI", f"{fmt.pct(v.roi_pct)} (range {fmt.roi_range(v.roi_conf_low, v.roi_conf_high)})"),
        ("P(ROI > 0)", _share(v.p_roi_positive)),
        ("platform cost", fmt.money(v.platform_cost, cur)),
        ("admin hours saved (before/after, not causal)", hours),
        ("admin time benefit", fmt.money(v.admin_benefit, cur)),
        ("programs' net benefit credited", fmt.money(v.programs_net_benefit, cur)),
        ("total benefit", fmt.money(v.benefit, cur)),
        ("net benefit", fmt.money(v.net_benefit, cur)),
        ("benefit-cost ratio", fmt.number(v.bcr)),
        ("horizon", f"{v.horizon_months} months"),
    ]


RETENTION_HEAD = ("arm", "n", "exit share (95% CI)", "vs control (95% CI)", "hazard ratio (95% CI)")


def _pp(v: Any) -> str:
    return "n/a" if v is None else f"{100 * float(v):+.1f} pts"


def retention_rows(p: ProgramSection) -> list[dict[str, Any]]:
    """One formatted row per arm of the retention table; the control says "reference"."""
    if p.retention is None:
        return []
    out = []
    for r in p.retention.arms:
        arm = str(r.get("arm"))
        if r.get(SUPPRESSED):
            out.append({"arm": arm, "suppressed": True, "cells": [arm, SUPP, SUPP, SUPP, SUPP]})
            continue
        exit_share = (
            f"{fmt.share(r.get('exit_share'), 1)} "
            f"({fmt.share(r.get('exit_conf_low'), 1)} to {fmt.share(r.get('exit_conf_high'), 1)})"
        )
        if arm == REFERENCE or r.get("difference") is None:
            cells = [arm, _n(r.get("n")), exit_share, "reference", "reference"]
        else:
            hr = r.get("hazard_ratio")
            cells = [
                arm,
                _n(r.get("n")),
                exit_share,
                f"{_pp(r.get('difference'))} ({_pp(r.get('conf_low'))} to {_pp(r.get('conf_high'))})",
                "n/a" if hr is None else f"{_f(hr)} ({_ci(r.get('hr_conf_low'), r.get('hr_conf_high'))})",
            ]
        out.append({"arm": arm, "suppressed": False, "cells": cells})
    return out


def has_blend(p: ProgramSection) -> bool:
    """Show the blend panel when there is something to choose between: arms (or their retention), a ranked
    module, or more than one modality. A single-modality program with no module checks (an e-learning
    compliance course) has no blend to optimize."""
    ranked = any(as_number(r.get("rank")) is not None for r in p.content)
    modalities = {r.get("modality") for r in p.modality if r.get("modality")}
    return bool(p.arms or p.retention or ranked or len(modalities) > 1)


def blend_view(p: ProgramSection) -> dict[str, Any]:
    """Everything the dashboard's blend, qualitative and breakdown blocks show for one program."""
    mod_cols, mod_rows = generic_rows(p.modality)
    coh_cols, coh_rows = roi_rows(p.roi_cohorts, p.currency, "cohort")
    yr_cols, yr_rows = roi_rows(p.roi_years, p.currency, "year")
    return {
        "has_blend": has_blend(p),
        "arm_head": ARM_HEAD,
        "arm_rows": arm_rows(p),
        "best_arm": best_arm_sentence(p),
        "content_head": CONTENT_HEAD,
        "content_rows": content_rows(p.content),
        "modality": {"columns": mod_cols, "rows": mod_rows},
        "observational": OBSERVATIONAL,
        "notes": notes_by_stance(p) if p.qualitative else [],
        "roi_cohorts": {"columns": coh_cols, "rows": coh_rows},
        "roi_years": {"columns": yr_cols, "rows": yr_rows},
        "retention": {
            "months": p.retention.months if p.retention else None,
            "identified": p.retention.identified if p.retention else None,
            "head": RETENTION_HEAD,
            "rows": retention_rows(p),
            "notes": list(p.retention.notes) if p.retention else [],
        },
    }
