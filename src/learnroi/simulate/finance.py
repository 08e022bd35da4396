"""The program cost ledger and the Phillips isolation survey (participants' and managers' estimates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import day, month_index
from learnroi.simulate.catalog import Modules
from learnroi.simulate.events import ATTENDED, COACHED, LAUNCHED, Events
from learnroi.simulate.onboarding import Onboarding
from learnroi.simulate.people import Workforce
from learnroi.simulate.sales import WINDOW, SalesPilot, window_means

LEDGER_COLUMNS = [
    "program_id",
    "line_id",
    "date",
    "category",
    "description",
    "amount",
    "currency",
    "modality",
    "arm",
]
SURVEY_COLUMNS = [
    "program_id",
    "respondent_id",
    "respondent_role",
    "subject_id",
    "kpi",
    "improvement",
    "share_attributed",
    "confidence",
    "response_date",
]
Line = tuple[str, str, str, str, float, str]  # date, category, description, modality, amount, program


def _first_launch_by_month(ev: Events, mods: Modules, modality: str) -> dict[str, int]:
    """Learners starting a module of this modality, by month (first session only)."""
    sel = (ev.event_type == LAUNCHED) & (ev.module >= 0)
    sel &= mods.modality[np.maximum(ev.module, 0)] == modality
    if not sel.any():
        return {}
    key = ev.enrolment[sel] * 100 + ev.module[sel]
    _, first = np.unique(key, return_index=True)
    months = month_index(ev.ts[sel][first] // 86_400)
    m, c = np.unique(months, return_counts=True)
    return {f"{2024 + mm // 12}-{mm % 12 + 1:02d}-28": int(cc) for mm, cc in zip(m, c, strict=True)}


def _sessions(
    by_month: dict[str, int], per_session: int, rate: float, category: str, what: str, modality: str
) -> list[tuple[str, str, str, str, float]]:
    return [
        (d, category, f"{what} ({-(-k // per_session)} sessions)", modality, -(-k // per_session) * rate)
        for d, k in by_month.items()
    ]


def sales_lines(p: SalesPilot, ev: Events, mods: Modules) -> list[tuple[str, str, str, str, float]]:
    n_enrolled = int(p.enrolled.sum())
    cls = _first_launch_by_month(ev, mods, "classroom")
    virt = _first_launch_by_month(ev, mods, "virtual")
    lines = [
        ("2024-10-15", "needs_assessment", "Sales capability needs analysis", "", 14_500.0),
        ("2024-11-15", "design_development", "Course design and build (3 courses)", "", 86_000.0),
        ("2024-12-20", "acquisition", "Negotiation lab licence", "classroom", 24_000.0),
    ]
    lines += [
        (f"2025-{m:02d}-28", "platform", "LMS seats", "digital", 25.0 * n_enrolled) for m in range(1, 7)
    ]
    lines += _sessions(cls, 16, 3_200.0, "facilitators", "Classroom facilitation", "classroom")
    lines += _sessions(virt, 25, 900.0, "facilitators", "Virtual classroom facilitation", "virtual")
    lines += [(d, "travel", "Travel to classroom sessions", "classroom", 450.0 * k) for d, k in cls.items()]
    lines += [("2025-01-10", "delivery", "Printed materials and venue", "classroom", 120.0 * n_enrolled)]
    lines += [("2025-07-31", "evaluation", "Pilot evaluation and reporting", "", 22_000.0)]
    sub = sum(x[4] for x in lines)
    lines.append(("2025-06-30", "overhead", "L&D overhead allocation (8 %)", "", 0.08 * sub))
    return lines


def onboarding_lines(o: Onboarding, ev: Events, mods: Modules) -> list[tuple[str, str, str, str, float]]:
    cls = _first_launch_by_month(ev, mods, "classroom")
    otj = _first_launch_by_month(ev, mods, "on_the_job")
    lines = [
        ("2024-04-15", "needs_assessment", "Onboarding needs analysis", "", 9_000.0),
        ("2024-05-31", "design_development", "Onboarding pathway design", "", 65_000.0),
    ]
    lines += _sessions(cls, 12, 2_200.0, "facilitators", "Role essentials workshop", "classroom")
    lines += [(d, "facilitators", "Shadowing hosts' time", "on_the_job", 400.0 * k) for d, k in otj.items()]
    n_treated = int(o.treated.sum())
    lines += [("2025-12-15", "platform", "LMS seats (new hires)", "digital", 40.0 * n_treated)]
    lines += [("2025-12-20", "evaluation", "Roll-out evaluation", "", 12_000.0)]
    sub = sum(x[4] for x in lines)
    lines.append(("2025-12-31", "overhead", "L&D overhead allocation (8 %)", "", 0.08 * sub))
    return lines


def background_lines(n_people: int) -> dict[str, list[tuple[str, str, str, str, float]]]:
    return {
        "compliance": [
            ("2024-02-15", "acquisition", "Compliance content licence 2024", "digital", 30_000.0),
            ("2025-02-15", "acquisition", "Compliance content licence 2025", "digital", 31_500.0),
            ("2024-12-31", "platform", "LMS seats 2024", "digital", 3.0 * n_people),
            ("2025-12-31", "platform", "LMS seats 2025", "digital", 3.0 * n_people),
        ],
        "product-academy": [
            ("2024-01-31", "design_development", "Product library production", "", 40_000.0),
            ("2025-01-31", "maintenance", "Product library updates", "", 15_000.0),
        ],
    }


def ledger_table(lines: Mapping[str, Sequence[tuple[Any, ...]]]) -> pa.Table:
    """The ledger; a line may carry a 6th element, its arm (empty: shared by every arm, or no arms)."""
    rows = [
        (prog, f"{prog[:2].upper()}-{i:04d}", *line[:5], line[5] if len(line) > 5 else "")
        for prog, ls in lines.items()
        for i, line in enumerate(ls, 1)
    ]
    return pa.table(
        {
            "program_id": [r[0] for r in rows],
            "line_id": [r[1] for r in rows],
            "date": _io.dates(np.array([day(r[2]) for r in rows], dtype=np.int64)),
            "category": [r[3] for r in rows],
            "description": [r[4] for r in rows],
            "amount": _io.floats(np.array([r[6] for r in rows])),
            "currency": ["USD"] * len(rows),
            "modality": pa.array([r[5] or None for r in rows], pa.string()),
            "arm": pa.array([r[7] or None for r in rows], pa.string()),
        }
    )


def _count_by_month(ev: Events, mods: Modules, event_type: int, modules: tuple[str, ...]) -> dict[str, int]:
    """Distinct (enrolment, module) pairs with an event of this type on these modules, by month of the first."""
    sel = (ev.event_type == event_type) & (ev.module >= 0)
    sel &= np.isin(mods.module[np.maximum(ev.module, 0)], modules)
    if not sel.any():
        return {}
    key = ev.enrolment[sel] * 100 + ev.module[sel]
    _, first = np.unique(key, return_index=True)
    months = month_index(ev.ts[sel][first] // 86_400)
    m, c = np.unique(months, return_counts=True)
    return {f"{2024 + mm // 12}-{mm % 12 + 1:02d}-28": int(cc) for mm, cc in zip(m, c, strict=True)}


BlendLine = tuple[str, str, str, str, float, str]
"""date, category, description, modality, amount, arm ("" = shared by every arm)."""


def blend_lines(
    n_assigned: dict[str, int], n_enrolled: dict[str, int], ev: Events, mods: Modules
) -> list[BlendLine]:
    """``service-blend`` ledger: shared lines (needs analysis, the core modules, evaluation) and per arm.

    Fixed amounts scale with the number of agents in the pilot so that the arms' cost per learner (and the
    ranking: blended pays best, classroom costs most) does not depend on the company's size.
    """
    live = _count_by_month(ev, mods, LAUNCHED, ("sb-b-live",))
    clinic = _count_by_month(ev, mods, LAUNCHED, ("sb-c-clinic",))
    days = _count_by_month(ev, mods, ATTENDED, ("sb-c-day1", "sb-c-day2"))
    coached = int((ev.event_type == COACHED).sum())
    n_d, n_b, n_c = n_assigned["digital"], n_assigned["blended"], n_assigned["classroom"]
    n_all = n_d + n_b + n_c
    groups: dict[str, list[BlendLine]] = {
        "": [
            ("2024-04-15", "needs_assessment", "Support quality needs analysis", "", 15.0 * n_all, ""),
            (
                "2024-05-20",
                "acquisition",
                f"Core modules licence ({n_all} seats)",
                "digital",
                45.0 * n_all,
                "",
            ),
            ("2025-01-31", "evaluation", "Four-arm pilot evaluation and reporting", "", 20.0 * n_all, ""),
        ],
        "digital": [
            (
                "2024-06-14",
                "design_development",
                "Self-paced scenarios set-up",
                "digital",
                40.0 * n_d,
                "digital",
            ),
            (
                "2024-07-31",
                "platform",
                "Scenario player seats",
                "digital",
                30.0 * n_enrolled["digital"],
                "digital",
            ),
        ],
        "blended": [
            (
                "2024-06-14",
                "design_development",
                "Scenarios and live practice design",
                "digital",
                45.0 * n_b,
                "blended",
            ),
            ("2024-07-01", "platform", "Community space set-up", "social", 10.0 * n_b, "blended"),
            *[
                (*x, "blended")
                for x in _sessions(live, 20, 900.0, "facilitators", "Live practice facilitation", "virtual")
            ],
            (
                "2024-12-31",
                "facilitators",
                f"Team leads' coaching time ({coached} sessions)",
                "social",
                55.0 * coached,
                "blended",
            ),
        ],
        "classroom": [
            (
                "2024-06-14",
                "design_development",
                "Two-day workshop design",
                "classroom",
                60.0 * n_c,
                "classroom",
            ),
            *[
                (*x, "classroom")
                for x in _sessions(
                    days, 14, 3_400.0, "facilitators", "Workshop facilitation (day sessions)", "classroom"
                )
            ],
            *[
                (d, "travel", "Travel to workshop days", "classroom", 380.0 * k, "classroom")
                for d, k in days.items()
            ],
            *[
                (d, "delivery", "Venue and materials", "classroom", 140.0 * k, "classroom")
                for d, k in days.items()
            ],
            *[
                (*x, "classroom")
                for x in _sessions(
                    clinic, 20, 900.0, "facilitators", "Follow-up clinic facilitation", "virtual"
                )
            ],
        ],
    }
    lines: list[BlendLine] = []
    for arm, ls in groups.items():
        sub = sum(x[4] for x in ls)
        lines += ls
        lines.append(
            ("2025-01-31", "overhead", "L&D overhead allocation (8 %)", "", round(0.08 * sub, 2), arm)
        )
    return lines


def ledger_totals(table: pa.Table) -> dict[str, float]:
    progs = np.array(table.column("program_id").to_pylist())
    amt = table.column("amount").to_numpy(zero_copy_only=False)
    return {str(p): float(np.round(amt[progs == p].sum(), 2)) for p in np.unique(progs)}


def _beta(rng: np.random.Generator, mean: float, k: float, n: int) -> NDArray[np.float64]:
    out: NDArray[np.float64] = rng.beta(mean * k, (1 - mean) * k, n)
    return out


def _survey_rows(
    rng: np.random.Generator,
    w: Workforce,
    program: str,
    kpi: str,
    subjects: np.ndarray,
    perceived: np.ndarray,
    when: str,
    share_p: float,
    share_m: float,
) -> dict[str, list[object]]:
    """Participants answer ~60 % of the time, managers ~60 %; overclaiming and a few extreme claims."""
    cols: dict[str, list[object]] = {c: [] for c in SURVEY_COLUMNS}
    for role, share, who in (("participant", share_p, subjects), ("manager", share_m, w.manager[subjects])):
        ok = (rng.random(subjects.size) < 0.6) & (who >= 0)
        k = int(ok.sum())
        imp = perceived[ok] * rng.lognormal(0.2, 0.4, k)  # overclaiming: perceived x ~1.3
        sh = _beta(rng, share, 6.0, k)
        conf = _beta(rng, 0.7, 8.0, k)
        extreme = rng.random(k) < 0.04
        imp = np.where(extreme, imp * 8.0, imp)
        sh = np.where(extreme, 1.0, sh)
        conf = np.where(extreme, 1.0, conf)
        resp = day(when) + rng.integers(0, 21, k)
        cols["program_id"] += [program] * k
        cols["respondent_id"] += list(w.employee_id[who[ok]])
        cols["respondent_role"] += [role] * k
        cols["subject_id"] += list(w.employee_id[subjects[ok]])
        cols["kpi"] += [kpi] * k
        cols["improvement"] += list(np.round(imp, 2))
        cols["share_attributed"] += list(np.round(sh, 2))
        cols["confidence"] += list(np.round(conf, 2))
        cols["response_date"] += list(resp)
    return cols


def surveys_table(rng: np.random.Generator, w: Workforce, p: SalesPilot, o: Onboarding) -> pa.Table:
    lo = WINDOW[0]
    post, has = window_means(p, "revenue")
    before = p.kpi["revenue"][:, lo - 6 : lo]
    cnt = (~np.isnan(before)).sum(axis=1)
    pre = np.where(cnt > 0, np.nansum(before, axis=1) / np.maximum(cnt, 1), np.nan)
    sel = p.completed & has & ~np.isnan(pre)
    perceived_s = np.maximum(post[sel] - pre[sel], 0.0) + rng.normal(2_000.0, 1_500.0, int(sel.sum()))
    a = _survey_rows(rng, w, "sales-skills", "revenue", p.reps[sel], perceived_s, "2025-07-07", 0.55, 0.35)
    t = o.treated & o.has_row
    perceived_o = -np.abs(rng.normal(2.5, 1.5, int(t.sum())))
    b = _survey_rows(
        rng, w, "onboarding", "weeks_to_productivity", o.hires[t], perceived_o, "2025-12-01", 0.5, 0.3
    )
    cols = {c: a[c] + b[c] for c in SURVEY_COLUMNS}
    return pa.table(
        {
            **{c: pa.array(cols[c], pa.string()) for c in SURVEY_COLUMNS[:5]},
            "improvement": pa.array(cols["improvement"], pa.float64()),
            "share_attributed": pa.array(cols["share_attributed"], pa.float64()),
            "confidence": pa.array(cols["confidence"], pa.float64()),
            "response_date": _io.dates(np.array(cols["response_date"], dtype=np.int64)),
        }
    )
