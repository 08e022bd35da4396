"""``performance/kpis.csv``: the long KPI table (sales reps, operations agents, new hires)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io
from learnroi.simulate._calendar import MONTH_END_DAYS, MONTH_OF_YEAR, MONTH_START_DAYS, N_MONTHS
from learnroi.simulate.onboarding import Onboarding
from learnroi.simulate.people import Workforce
from learnroi.simulate.sales import KPIS, SalesPilot

KPI_COLUMNS = ["employee_id", "period", "kpi", "value"]
_DECIMALS = {"revenue": 2, "deal_size": 2, "win_rate": 4, "deals": 0, "errors": 0, "throughput": 0}


def _long(
    ids: NDArray[np.str_], observed: NDArray[np.bool_], values: NDArray[np.float64], kpi: str
) -> pa.Table:
    r, m = np.nonzero(observed)
    return pa.table(
        {
            "employee_id": pa.array(ids[r]),
            "period": _io.dates(MONTH_START_DAYS[m]),
            "kpi": pa.array(np.full(r.size, kpi)),
            "value": _io.floats(values[r, m], _DECIMALS[kpi]),
        }
    )


def ops_kpis(
    rng: np.random.Generator, w: Workforce
) -> tuple[NDArray[np.int64], NDArray[np.bool_], dict[str, NDArray[np.float64]]]:
    """Errors and throughput per operations agent-month: tenure and motivation help; seasonality; shocks."""
    ops = np.flatnonzero(w.role == "ops_agent").astype(np.int64)
    n = ops.size
    u = w.motivation[ops]
    ten = np.log(np.maximum((MONTH_START_DAYS[None, :] - w.hire_day[ops][:, None]) / 365.25, 0.05))
    n_dept = w.dept_names.size
    d = w.dept[ops]
    moy = MONTH_OF_YEAR[None, :]
    season = 1.0 + 0.1 * np.cos(2 * np.pi * (moy - 11) / 12)
    shock_e = 0.1 * rng.standard_normal((n_dept, N_MONTHS))
    shock_t = 0.05 * rng.standard_normal((n_dept, N_MONTHS))
    errors = rng.poisson(6.0 * season * np.exp(-0.15 * ten - 0.2 * u[:, None] + shock_e[d])).astype(
        np.float64
    )
    through = np.round(
        420.0
        * season
        * np.exp(0.05 * ten + 0.08 * u[:, None] + shock_t[d] + 0.08 * rng.standard_normal((n, N_MONTHS)))
    )
    observed = w.employed_whole_month(MONTH_START_DAYS, MONTH_END_DAYS)[ops]
    out = {}
    for k, v in (("errors", errors), ("throughput", through)):
        v = np.where(observed, v, np.nan)
        v[rng.random(v.shape) < 0.015] = np.nan
        out[k] = v
    return ops, observed, out


def kpi_tables(rng: np.random.Generator, w: Workforce, p: SalesPilot, o: Onboarding) -> list[pa.Table]:
    tables = [_long(w.employee_id[p.reps], p.observed, p.kpi[k], k) for k in KPIS]
    ops, observed, vals = ops_kpis(rng, w)
    tables += [_long(w.employee_id[ops], observed, v, k) for k, v in vals.items()]
    sel = o.has_row
    hire_month = (
        w.hire_day[o.hires[sel]]
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )
    tables.append(
        pa.table(
            {
                "employee_id": pa.array(w.employee_id[o.hires[sel]]),
                "period": _io.dates(hire_month),
                "kpi": pa.array(np.full(int(sel.sum()), "weeks_to_productivity")),
                "value": _io.floats(o.weeks[sel], 1),
            }
        )
    )
    return tables
