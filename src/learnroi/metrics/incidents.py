"""The incidents KPI: company-wide incidents per month and per 1,000 employees (blended contract §4).

This is the outcome series of the compliance program's interrupted time series (Bernal, Cummins & Gasparrini
2017, *Int. J. Epidemiol.* 46:348): one row per calendar month from the first to the last month with an
incident, months without one included as zeros. The headcount is the employees on payroll in the month (hired
on or before its last day, not left before its first day), so the rate is not moved by hiring or attrition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from learnroi.core.errors import DataError
from learnroi.metrics.engine import as_naive, collect, month, table

SERIES_COLUMNS = ["month", "incidents", "employees", "rate_per_1000"]


def incident_series(backend: BaseBackend) -> pd.DataFrame:
    """Per month: ``month`` (first day, datetime64), ``incidents``, ``employees`` on payroll, ``rate_per_1000``."""
    inc = table(backend, "incidents")
    inc = inc.filter(inc.date.notnull())
    counts = collect(inc.group_by(m=month(inc.date.cast("date"))).aggregate(incidents=inc.count()))
    if counts.empty:
        raise DataError(
            "the store has no incidents",
            where="incidents",
            hint="Ingest performance/incidents.csv (`learnroi ingest performance FILE`).",
        )
    counts["m"] = as_naive(counts["m"])
    months = pd.date_range(counts["m"].min(), counts["m"].max(), freq="MS")
    heads = _headcount(backend, months)
    out = pd.DataFrame({"month": months.astype("datetime64[ns]")})
    out = out.merge(counts.rename(columns={"m": "month"}), on="month", how="left")
    out["employees"] = heads
    out["incidents"] = out["incidents"].fillna(0).astype("int64")
    out["employees"] = out["employees"].fillna(0).astype("int64")
    out["rate_per_1000"] = (1000.0 * out["incidents"] / out["employees"].where(out["employees"] > 0)).astype(
        "float64"
    )
    return out[SERIES_COLUMNS]


def _headcount(backend: BaseBackend, months: pd.DatetimeIndex) -> pd.Series:
    """Employees on payroll per month: hired on or before its last day minus those who left before its first.

    Only hires and exits per month reach Python (no month spine on the engine, no employee rows)."""
    emp = table(backend, "employees")
    hires = emp.group_by(m=month(emp.hire_date.cast("date"))).aggregate(n=emp.count())
    left = emp.filter(emp.exit_date.notnull())
    exits = left.group_by(m=month(left.exit_date.cast("date"))).aggregate(n=left.count())
    h, x = collect(hires), collect(exits)
    h_m, x_m = as_naive(h["m"]), as_naive(x["m"])
    h_n, x_n = h["n"].to_numpy(dtype="int64"), x["n"].to_numpy(dtype="int64")
    hired = [int(h_n[(h_m <= m).to_numpy() | h_m.isna().to_numpy()].sum()) for m in months]
    gone = [int(x_n[(x_m < m).to_numpy()].sum()) for m in months]
    return pd.Series(np.subtract(hired, gone), index=range(len(months)), dtype="int64")
