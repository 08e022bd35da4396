"""KPI results and small-cell suppression.

Suppression is written by hand on the already aggregated (small) table because it is a rule, not an
algorithm a library offers: a cell that aggregates fewer than ``min_cell`` people is *primary*-suppressed
(value and n hidden, ``suppressed`` set, ``suppression`` = ``"small_cell"``); wherever a total of the cells is
published (every grain below the program, whose program row is the total), a group with exactly one
suppressed cell also hides its next smallest cell (``"complementary"``), so no suppressed value or count can
be recovered by subtracting the shown cells from the total (Hundepool et al. 2012, *Statistical Disclosure
Control*, §5.2 and §5.4: threshold rule with secondary suppression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from learnroi.metrics.catalog import kpi_def

GRAIN_COLUMN: dict[str, str | None] = {
    "program": None,
    "course": "course_id",
    "module": "module_id",
    "modality": "modality",
    "cohort": "cohort",
    "department": "department",
    "period": "period",
    "learner": "learner_id",
}
"""The column that names a cell at each grain (besides ``program_id``)."""
GRAIN_KEYS: dict[str, list[str]] = {
    g: ([] if c is None else ["course_id", c] if g == "module" else [c]) for g, c in GRAIN_COLUMN.items()
}
"""The columns that identify a cell at each grain (besides ``program_id``): a module needs its course too."""

TABLE_COLUMNS = ["program_id", "kpi", "value", "n", "suppressed", "suppression"]


def suppress(frame: pd.DataFrame, *, keys: list[str], min_cell: int, complementary: bool) -> pd.DataFrame:
    """Return a copy of a long KPI frame (``keys``, kpi, value, n) with small cells hidden and flagged.

    ``keys[0]`` must be ``program_id``; complementary suppression runs within each (program_id, kpi) group.
    """
    out = frame.copy()
    n = out["n"].fillna(0).to_numpy(dtype="int64")
    small = n < min_cell
    reason = np.where(small, "small_cell", "").astype(object)
    if complementary and len(keys) > 1 and len(out):
        order = out.assign(_n=n, _small=small, _pos=np.arange(len(out)))
        order = order.sort_values(["program_id", "kpi", "_n", *keys[1:]], kind="stable")
        grp = order.groupby(["program_id", "kpi"], sort=False)
        n_small = grp["_small"].transform("sum").to_numpy()
        size = grp["_small"].transform("size").to_numpy()
        # rank among the shown cells of the group, smallest n first
        shown_rank = (~order["_small"]).astype("int64").groupby([order["program_id"], order["kpi"]]).cumsum()
        pick = (n_small == 1) & (size > 1) & (~order["_small"].to_numpy()) & (shown_rank.to_numpy() == 1)
        extra = order["_pos"].to_numpy()[pick]
        reason[extra] = "complementary"
    hidden = reason != ""
    out["value"] = out["value"].astype("float64").where(~hidden, np.nan)
    out["n"] = pd.array(np.where(hidden, 0, n), dtype="Int64")
    out.loc[hidden, "n"] = pd.NA
    out["suppressed"] = hidden
    out["suppression"] = pd.Series(reason, index=out.index, dtype="string").where(hidden, pd.NA)
    return out


@dataclass(frozen=True)
class KpiTable:
    """KPI values at one grain, long format, with small cells flagged.

    ``table`` columns: ``program_id``, the grain's cell columns (``course_id``, ``course_id`` and ``module_id``,
    ``modality``, ``cohort``, ``department``, ``period``, ``learner_id``; none at program grain), ``kpi``, ``value`` (NaN when suppressed), ``n`` (the
    people the cell aggregates over; <NA> when suppressed), ``suppressed`` (bool) and ``suppression``
    (``small_cell``, ``complementary`` or <NA>). Funnel tables add ``stage`` and conversion columns.
    """

    grain: str
    min_cell: int
    table: pd.DataFrame
    engine: str = "duckdb"

    @property
    def cell_column(self) -> str | None:
        return GRAIN_COLUMN.get(self.grain)

    @property
    def n_suppressed(self) -> int:
        return int(self.table["suppressed"].sum()) if "suppressed" in self.table else 0

    def tidy(self) -> pd.DataFrame:
        """Snake_case long table: program_id, grain, cell, kpi, value, unit, level, n, suppressed, suppression."""
        t = self.table
        cols = [c for c in GRAIN_KEYS.get(self.grain, []) if c in t]
        if not cols:
            cell = pd.Series("(all)", index=t.index, dtype="string")
        elif len(cols) == 1:
            cell = t[cols[0]].astype("string")
        else:  # a module: "course/module"
            cell = t[cols[0]].astype("string").fillna("") + "/" + t[cols[1]].astype("string").fillna("")
        units = {k: kpi_def(k).unit for k in t["kpi"].unique() if _known(k)}
        levels = {k: kpi_def(k).level for k in t["kpi"].unique() if _known(k)}
        return pd.DataFrame(
            {
                "program_id": t["program_id"].astype("string"),
                "grain": self.grain,
                "cell": cell,
                "kpi": t["kpi"].astype("string"),
                "value": t["value"].astype("float64"),
                "unit": t["kpi"].map(units).astype("string"),
                "level": t["kpi"].map(levels).astype("Int64"),
                "n": t["n"].astype("Int64"),
                "suppressed": t["suppressed"].astype(bool),
                "suppression": t["suppression"].astype("string"),
            }
        ).reset_index(drop=True)

    def summary(self) -> str:
        rows = len(self.table)
        return (
            f"{rows} KPI cells at grain {self.grain!r} ({self.n_suppressed} suppressed below "
            f"{self.min_cell} people) on {self.engine}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN and <NA> become None, dates ISO strings."""
        records = []
        for rec in self.tidy().to_dict(orient="records"):
            records.append({k: json_value(v) for k, v in rec.items()})
        return {"grain": self.grain, "min_cell": self.min_cell, "engine": self.engine, "rows": records}


def _known(name: object) -> bool:
    try:
        kpi_def(str(name))
    except Exception:
        return False
    return True


def json_value(v: object) -> object:
    """A frame cell as plain JSON: missing (None, NA, NaT, NaN, inf) -> None, numpy scalars -> Python."""
    if v is pd.NA or v is None or v is pd.NaT:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, np.generic):
        return json_value(v.item())
    return v
