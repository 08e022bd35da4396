"""Turn the other layers' tables into the shapes the report reads, without importing those layers.

``learnroi.metrics`` returns ``KpiTable`` objects (``.table``: long format ``program_id, [cell], kpi,
value, n, suppressed``; the funnel adds ``stage, stage_order``); the report wants one program's rows, and
competency as one row per group with ``pre_mean, post_mean, gain, n``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from learnroi.report.tables import records_or_empty

PRE, POST, GAIN = "pre_score_mean", "post_score_mean", "competency_gain"
CELL_COLUMNS = ("cell", "cohort", "department", "course_id", "period", "group")


def frame_of(obj: Any) -> pd.DataFrame | None:
    """A pandas frame from a KpiTable (its ``.table``), a pandas/polars/Arrow frame or records."""
    if obj is None:
        return None
    table = getattr(obj, "table", None)
    if isinstance(table, pd.DataFrame):
        return table.copy()
    if isinstance(obj, pd.DataFrame):
        return obj.copy()
    if hasattr(obj, "to_pandas"):
        out = obj.to_pandas()
        return out if isinstance(out, pd.DataFrame) else None
    if isinstance(obj, Mapping) and "rows" in obj:
        return pd.DataFrame(records_or_empty(obj["rows"]))
    return pd.DataFrame(records_or_empty(obj))


def for_program(df: pd.DataFrame | None, program_id: str) -> pd.DataFrame | None:
    """Only this program's rows when the frame holds several programs."""
    if df is None or "program_id" not in df.columns:
        return df
    out = df[df["program_id"].astype(str) == program_id]
    if "stage_order" in out.columns:
        out = out.sort_values("stage_order")
    return out.reset_index(drop=True)


def funnel_frame(obj: Any, program_id: str) -> pd.DataFrame | None:
    df = for_program(frame_of(obj), program_id)
    if df is None or df.empty:
        return df
    if "stage" not in df.columns and "kpi" in df.columns:
        df = df.rename(columns={"kpi": "stage"})
    keep = [c for c in ("stage", "n", "suppressed", "conversion_from_previous") if c in df.columns]
    return df[keep]


def competency_frame(obj: Any, program_id: str) -> pd.DataFrame | None:
    """One row per group: ``group, pre_mean, post_mean, gain, n, suppressed`` (long KPI tables pivoted)."""
    df = for_program(frame_of(obj), program_id)
    if df is None or df.empty or not {"kpi", "value"} <= set(df.columns):
        return df
    df = df[df["kpi"].isin([PRE, POST, GAIN])]
    if df.empty:
        return None
    cell = next((c for c in CELL_COLUMNS if c in df.columns), None)
    group = df[cell].astype(str) if cell else pd.Series("all learners", index=df.index)
    df = df.assign(group=group)
    wide = df.pivot_table(index="group", columns="kpi", values="value", aggfunc="first", dropna=False)
    wide = wide.rename(columns={PRE: "pre_mean", POST: "post_mean", GAIN: "gain"}).reset_index()
    if "gain" not in wide and {"pre_mean", "post_mean"} <= set(wide.columns):
        wide["gain"] = wide["post_mean"] - wide["pre_mean"]
    n = pd.to_numeric(df["n"], errors="coerce").groupby(df["group"]).min()
    wide["n"] = wide["group"].map(n)
    if "suppressed" in df.columns:
        wide["suppressed"] = wide["group"].map(df.groupby("group")["suppressed"].any()).astype(bool)
    return wide
