"""The learning platform's own ROI from the store: ``platform_costs`` and ``admin_time`` (the
``costs/platform.csv`` and ``costs/admin_time.csv`` files) and the programs' ROI results, handed to
:func:`learnroi.roi.platform.platform_roi` (Phillips' ROI applied to the platform; the admin-time saving
is a before/after difference in mean monthly hours with Welch's SE).

Two inputs are not in those files and have stated defaults: the go-live month (the month of the first
``licence`` line) and the admin staff's loaded hourly cost (the HRIS quartiles of loaded salary /
standard hours, as a triangular low / median / high). Pass them when they are known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from learnroi.core.errors import DataError
from learnroi.roi import PlatformRoiResult, RoiResult, platform_roi
from learnroi.store import Store

HourlyCost = float | tuple[float, float, float]


def _frame(store: Store, sql: str) -> pd.DataFrame | None:
    """The query's rows, or None when the view does not exist (a store from before migration 040)."""
    try:
        return store.con.execute(sql).df()
    except duckdb.CatalogException:
        return None


def go_live_month(costs: pd.DataFrame) -> date | None:
    """The month of the platform's first ``licence`` line (when it went live), else None."""
    lic = costs[costs["category"].astype(str).str.strip() == "licence"]
    first = pd.to_datetime(lic["date"]).min() if not lic.empty else pd.NaT
    return None if pd.isna(first) else date(first.year, first.month, 1)


def hris_hourly_cost(store: Store) -> tuple[float, float, float] | None:
    """(low, value, high): the 25th, 50th and 75th percentile of HRIS loaded hourly rates."""
    row = store.con.execute(
        """
        SELECT quantile_cont(r, 0.25), quantile_cont(r, 0.5), quantile_cont(r, 0.75)
        FROM (SELECT loaded_salary / coalesce(nullif(standard_hours, 0), 2080.0) AS r
              FROM employees WHERE loaded_salary > 0)
        """
    ).fetchone()
    if row is None or any(v is None or not math.isfinite(float(v)) for v in row):
        return None
    lo, mid, hi = (float(v) for v in row)
    return lo, mid, hi


def analyze_platform(
    store: Store,
    results: Sequence[RoiResult],
    *,
    go_live: str | date | None = None,
    hourly_cost: HourlyCost | None = None,
    horizon_months: int = 12,
    include_unattributed: bool = False,
    seed: int = 0,
    draws: int = 100_000,
) -> PlatformRoiResult | None:
    """The platform's ROI from the store's platform costs and admin hours and the programs' ``results``
    (their simulated net benefits; only identified attributed ones count unless
    ``include_unattributed``). None when the store has no platform cost lines."""
    costs = _frame(store, "SELECT * FROM platform_costs ORDER BY date, line_id")
    if costs is None or costs.empty:
        return None
    admin = _frame(
        store, "SELECT period, sum(hours) AS admin_hours FROM admin_time GROUP BY period ORDER BY period"
    )
    if admin is None or admin.empty:
        raise DataError(
            "the store has platform costs but no admin hours",
            where="admin_time",
            hint="Ingest costs/admin_time.csv (monthly admin hours per team and task, before and after go-live).",
        )
    live = go_live or go_live_month(costs)
    if live is None:
        raise DataError(
            "when did the platform go live? No licence line in the platform costs",
            where="platform_costs",
            hint="Pass the go-live month (`learnroi roi --platform --go-live 2025-01`).",
        )
    hourly = hourly_cost if hourly_cost is not None else hris_hourly_cost(store)
    if hourly is None:
        raise DataError(
            "no loaded salaries in the HRIS to value the admin hours saved",
            where="employees",
            hint="Pass the admin staff's loaded hourly cost (`--admin-hourly-cost 52`).",
        )
    cur = results[0].currency if results else None
    return platform_roi(
        costs, admin, list(results), hourly_cost=hourly, horizon_months=horizon_months,
        include_unattributed=include_unattributed, go_live=live, currency=cur, draws=draws, seed=seed,
    )  # fmt: skip


__all__ = ["analyze_platform", "go_live_month", "hris_hourly_cost"]
