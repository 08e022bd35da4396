"""XLSX sheets into a staging table of text columns (see :mod:`learnroi.sources.readers`).

Read with python-calamine (DuckDB's ``excel`` extension needs a download: see pitfalls.md), a batch of rows
at a time, so Python never holds the whole sheet.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from learnroi.sources.csvhead import unique_names
from learnroi.sources.readers import RawFile, Staged, ident

XLSX_BATCH = 50_000
"""Rows per Arrow batch when staging a sheet: Python holds one batch of cells, not the sheet."""


def stage_xlsx(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    """One sheet as text columns, in batches of :data:`XLSX_BATCH` rows; the first non-empty row is the
    header (a repeated name gets ``_2``, ``_3``). calamine keeps the sheet's cells in compact native
    form; Python only ever holds one batch of them (``iter_rows``)."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(raw.path)).get_sheet_by_name(str(raw.sheet))
    rows = sheet.iter_rows()
    first = next((r for r in rows if any(str(c).strip() for c in r)), None)
    if first is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} (_row BIGINT)")
        return Staged(raw, name, rejects, (), 0, 0)
    header = unique_names(first, lambda j: f"column{j + 1}")
    cols = ", ".join(f"{ident(h)} VARCHAR" for h in header)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({cols}, _row BIGINT)")
    n = 0
    batch: list[Sequence[object]] = []
    for r in rows:
        batch.append(r)
        if len(batch) == XLSX_BATCH:
            n = _insert_cells(con, name, header, batch, n)
            batch = []
    n = _insert_cells(con, name, header, batch, n)
    return Staged(raw, name, rejects, tuple(header), n, 0)


def _insert_cells(
    con: duckdb.DuckDBPyConnection, name: str, header: list[str], batch: list[Sequence[object]], n: int
) -> int:
    if not batch:
        return n
    width = len(header)
    data = {
        f"c{j}": pa.array([_cell(r[j]) if j < len(r) else None for r in batch], pa.string())
        for j in range(width)
    }
    data["_row"] = pa.array(np.arange(n + 1, n + len(batch) + 1, dtype=np.int64))
    con.register("_xlsx_batch", pa.table(data))
    con.execute(f"INSERT INTO {name} SELECT * FROM _xlsx_batch")
    con.unregister("_xlsx_batch")
    return n + len(batch)


def _cell(v: object) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    return str(v)
