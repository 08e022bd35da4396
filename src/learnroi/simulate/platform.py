"""The learning platform: its cost lines and the administration hours it saves after go-live.

``costs/platform.csv`` holds the platform's own cost (integration before go-live, the first year's licence,
hosting, vendor support and the administrator's time); ``costs/admin_time.csv`` the monthly hours each team
spends on each manual learning-administration task over 2024-01..2025-12. The platform goes live on
:data:`GO_LIVE`, the middle of the calendar; from then on each task's hours drop by a planted share. The
seasonal pattern is the same in both years, so the before/after difference in mean monthly hours that
``learnroi.roi.platform.admin_saving`` computes (Welch 1947) is unbiased for the planted saving (a
before/after comparison: credible here because nothing else changes the workload).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from learnroi.simulate import _io
from learnroi.simulate._calendar import MONTH_START_DAYS, MONTH_STARTS, N_MONTHS, day

GO_LIVE = "2025-01-01"
TASKS = (  # team, task, monthly hours at 1,000 employees, share saved after go-live
    ("L&D operations", "enrolment administration", 70.0, 0.45),
    ("L&D operations", "course scheduling", 45.0, 0.30),
    ("L&D operations", "completion reporting", 50.0, 0.60),
    ("HR shared services", "compliance tracking", 40.0, 0.50),
    ("HR shared services", "training records requests", 25.0, 0.40),
    ("IT service desk", "learner access support", 30.0, 0.20),
    ("Finance", "training invoice reconciliation", 15.0, 0.10),
)
SEASON = np.array([1.12, 1.0, 1.15, 1.02, 0.98, 0.96, 0.88, 0.8, 1.04, 1.05, 1.02, 0.98])
"""Admin workload by calendar month (January enrolments, the March compliance campaign, a quiet August)."""
NOISE = 0.08
ADMIN_HOURLY_COST = (52.0, 45.0, 60.0)
"""Loaded hourly cost of learning-administration staff (value, low, high): what the saving is worth."""
PLATFORM_COLUMNS = ["line_id", "date", "category", "description", "amount", "currency"]
ADMIN_COLUMNS = ["period", "team", "task", "hours"]


def _scale(n_people: int) -> float:
    """Admin work grows less than proportionally with head count."""
    return float((n_people / 1000.0) ** 0.75)


def platform_costs(n_people: int) -> pa.Table:
    """Integration before go-live, then the first year's licence, hosting, support and administration."""
    licence = max(25_000.0, 22.0 * n_people)
    lines = [
        ("2024-10-15", "integration", "HRIS integration and single sign-on", 28_000.0),
        ("2024-11-29", "integration", "Data migration from the legacy LMS", 16_000.0),
        ("2024-12-13", "integration", "xAPI connector to the learning record store", 9_500.0),
        (GO_LIVE, "licence", "Platform licence 2025 (go-live 2025-01)", licence),
        (GO_LIVE, "support", "Vendor premium support 2025", round(0.15 * licence, 2)),
    ]
    hosting = max(1_500.0, 1.8 * n_people)
    lines += [
        (f"2025-{m:02d}-28", "hosting", f"Hosting and storage Q{m // 3}", hosting) for m in (3, 6, 9, 12)
    ]
    admin = round(0.5 * 96_000.0 * _scale(n_people), 2)
    lines.append(("2025-12-31", "administration", "Platform administrator time 2025", admin))
    n = len(lines)
    return pa.table(
        {
            "line_id": _io.prefixed_ids("PL-", np.arange(1, n + 1), 4),
            "date": _io.dates(np.array([day(x[0]) for x in lines], dtype=np.int64)),
            "category": pa.array([x[1] for x in lines]),
            "description": pa.array([x[2] for x in lines]),
            "amount": _io.floats(np.array([x[3] for x in lines])),
            "currency": pa.array(["USD"] * n),
        }
    )


def admin_time(rng: np.random.Generator, n_people: int) -> tuple[pa.Table, dict[str, Any]]:
    """Monthly hours per team and task; after go-live each task's hours drop by its planted share."""
    base = np.array([t[2] for t in TASKS]) * _scale(n_people)
    saved = np.array([t[3] for t in TASKS])
    after = np.asarray(MONTH_START_DAYS) >= day(GO_LIVE)
    season = SEASON / SEASON.mean()
    mean = base[:, None] * np.tile(season, N_MONTHS // 12)[None, :]
    expected = mean * np.where(after[None, :], 1.0 - saved[:, None], 1.0)
    noise = rng.lognormal(-(NOISE**2) / 2, NOISE, expected.shape)
    hours = np.round(expected * noise * 2.0) / 2.0  # timesheets in half hours
    k, m = hours.shape
    table = pa.table(
        {
            "period": _io.dates(np.tile(MONTH_START_DAYS, k)),
            "team": pa.array(np.repeat([t[0] for t in TASKS], m)),
            "task": pa.array(np.repeat([t[1] for t in TASKS], m)),
            "hours": _io.floats(hours.ravel(), 1),
        }
    )
    monthly = hours.sum(axis=0)
    truth = {
        "go_live": GO_LIVE,
        "hours_saved_per_month": float((base * saved).sum()),
        "hours_before_per_month": float(base.sum()),
        "hours_saved_realized": float(monthly[~after].mean() - monthly[after].mean()),
        "by_task": {t[1]: float(b * s) for t, b, s in zip(TASKS, base, saved, strict=True)},
        "months": [str(MONTH_STARTS[0])[:7], str(MONTH_STARTS[-1])[:7]],
    }
    return table, truth


def simulate_platform(
    tables: Mapping[str, pa.Table], seed: int
) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """``costs/platform.csv``, ``costs/admin_time.csv`` and ``truth.platform`` (go-live, planted monthly
    hours saved, the platform's total cost by category)."""
    n_people = tables["hris/employees.csv"].num_rows
    costs = platform_costs(n_people)
    admin, truth = admin_time(np.random.default_rng([seed, 74]), n_people)
    cat = costs.column("category").to_pylist()
    amt = costs.column("amount").to_pylist()
    by_cat: dict[str, float] = {}
    for c, a in zip(cat, amt, strict=True):
        by_cat[c] = round(by_cat.get(c, 0.0) + float(a), 2)
    truth |= {
        "total_cost": round(float(sum(amt)), 2),
        "cost_breakdown": by_cat,
        "admin_hourly_cost": ADMIN_HOURLY_COST[0],
        "admin_hourly_cost_range": [ADMIN_HOURLY_COST[1], ADMIN_HOURLY_COST[2]],
        "notes": (
            "hours_saved_per_month = planted expected drop in total monthly admin hours from go-live on "
            "(the target of the before/after difference in mean monthly hours); hours_saved_realized = that "
            "difference on the written hours. The platform cost is every line of costs/platform.csv."
        ),
    }
    return {"costs/platform.csv": costs, "costs/admin_time.csv": admin}, truth


__all__ = ["ADMIN_COLUMNS", "GO_LIVE", "PLATFORM_COLUMNS", "simulate_platform"]
