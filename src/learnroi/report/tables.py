"""Immutable tables inside the report data, and small-cell suppression applied once, before any exporter.

A :data:`Table` is a tuple of read-only records (``MappingProxyType``), so an exporter cannot change what
another exporter shows. Suppression follows the usual statistical-disclosure rule (Hundepool et al.,
*Statistical Disclosure Control*, 2012, §4.2): a cell over fewer than ``min_cell`` people is blanked, and
wherever a total is shown a second, complementary cell is blanked too, so that the first cannot be
recovered by subtraction. Written by hand because it is a dozen lines over pandas; no disclosure-control
library fits a report this small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

Record = Mapping[str, Any]
Table = tuple[Record, ...]

SUPPRESSED = "suppressed"
"""Name of the boolean column that marks a suppressed row."""


def _clean(value: Any) -> Any:
    """Plain Python scalars (no numpy types, NaN as None) so records serialize to JSON as they are."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def to_table(data: pd.DataFrame | Iterable[Mapping[str, Any]] | None) -> Table:
    """A frozen table from a pandas frame, a polars/Arrow frame (via pandas) or an iterable of records."""
    if data is None:
        return ()
    if not isinstance(data, pd.DataFrame) and hasattr(data, "to_pandas"):
        data = data.to_pandas()
    if isinstance(data, pd.DataFrame):
        rows: list[Mapping[Any, Any]] = list(data.to_dict(orient="records"))
    else:
        rows = list(data)
    return tuple(MappingProxyType({str(k): _clean(v) for k, v in r.items()}) for r in rows)


def to_frame(table: Table) -> pd.DataFrame:
    """A fresh pandas frame (a copy: changing it changes nothing in the report data)."""
    return pd.DataFrame([dict(r) for r in table])


def column(table: Table, name: str) -> list[Any]:
    return [r.get(name) for r in table]


def pick(record: Mapping[str, Any], *names: str, default: Any = None) -> Any:
    """The first of ``names`` present (and not None) in ``record``: tolerates the other layers' spellings."""
    for n in names:
        if n in record and record[n] is not None:
            return record[n]
    return default


def suppress(
    frame: pd.DataFrame,
    *,
    count_col: str,
    value_cols: Sequence[str],
    min_cell: int,
    complementary: bool,
) -> pd.DataFrame:
    """Blank ``value_cols`` (and the count) of rows over fewer than ``min_cell`` people.

    Rows already flagged ``suppressed`` by the KPI layer stay suppressed. With ``complementary`` (the
    rows partition a total that is shown), a lone suppressed row takes the next-smallest row with it.
    Returns a new frame with a boolean ``suppressed`` column.
    """
    out = frame.copy()
    counts = pd.to_numeric(out[count_col], errors="coerce") if count_col in out else None
    flag = (
        out[SUPPRESSED].fillna(False).astype(bool) if SUPPRESSED in out else pd.Series(False, index=out.index)
    )
    if counts is not None:
        flag = flag | (counts < min_cell).fillna(False)
    if complementary and counts is not None and int(flag.sum()) == 1 and len(out) > 1:
        rest = counts.where(~flag)
        if rest.notna().any():
            flag = flag | (out.index == rest.idxmin())
    cols = [c for c in [*value_cols, count_col] if c in out]
    for c in cols:
        out[c] = out[c].astype(object).where(~flag, None)
    out[SUPPRESSED] = flag.to_numpy()
    return out


def records_or_empty(value: Any) -> list[Mapping[str, Any]]:
    """A list of records from a list of dicts, a dict of lists, a frame, or nothing."""
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return [{str(k): v for k, v in r.items()} for r in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        keys = list(value)
        if keys and all(isinstance(value[k], list | tuple) for k in keys):
            n = len(value[keys[0]])
            return [{k: value[k][i] for k in keys} for i in range(n)]
        return [value]
    return [dict(v) for v in value]
