"""The direct load: a clean CSV typed and inserted into its ``hist_*`` table in one pass, inside the batch.

The general path (:mod:`learnroi.store.merge`) types each file into a temp table before the write
transaction, then compares and inserts. For a large export that writes every row twice, and past the
memory cap the temp table spills to disk: at 10M rows the insert from it cost half again the time of the
typing (benchmarks/README.md "ingest"). Most large exports are clean and new, so the direct load tries the
cheap plan first and checks afterwards, inside the same transaction:

0. when the table has rows, type the file's first :data:`HEAD_PROBE` rows only: if they repeat stored
   keys (an overlapping export), give up before reading the rest;
1. insert every typed row in file order, stopping at the first refused or skipped row;
2. number the rows from their rowids (filled in file order, checked contiguous);
3. give up — :class:`NotDirect`, the caller rolls back and takes the general path — when anything needs
   the general path's decisions: a refused or skipped row, a line DuckDB could not split, a repeated key
   in the batch, a key already stored, or (LMS events) current xAPI statements waiting for an attempt.

Either way the batch is one transaction, so the store sees all of it or nothing; the counts of a direct
load (read = loaded, nothing quarantined or skipped) are checked the same way.
"""

from __future__ import annotations

from concurrent.futures import Future

import duckdb

from learnroi.sources.canonical import canonical_sql
from learnroi.sources.mapping import Mapping
from learnroi.sources.readers import RawFile, drop_lazy_rejects, ident, lazy_csv, sql_str
from learnroi.store.db import Store
from learnroi.store.merge import (
    HIST_EXTRAS,
    BatchContext,
    hist_extra_sql,
    in_file_order,
    missing_columns_error,
    stored_select,
    track_identities,
)
from learnroi.store.result import FileCounts
from learnroi.store.rowhash import staged_hashes
from learnroi.store.units import canonical_extras, choose_spec

_REFUSED_MARK = "learnroi: a refused row ends the direct load"
"""The first refused or skipped row stops the insert at once (DuckDB's ``error()``): a messy file wastes
only the part read before it, then takes the general path."""


HEAD_PROBE = 10_000
"""Rows read first to see whether the file repeats stored keys (then the general path at once)."""


class NotDirect(Exception):
    """The batch needs the general path (the reason is for the debug log and tests)."""


def _exists(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    return bool(con.execute(sql).fetchall())


def direct_unit(
    store: Store,
    ctx: BatchContext,
    raw: RawFile,
    kind: str,
    m: Mapping,
    infer: bool,
    tz: str | None,
    sha256: Future[str],
    proposals: list[str],
    n: int,
) -> FileCounts:
    """Insert one clean CSV straight into ``hist_<spec>`` inside the open batch, or raise :class:`NotDirect`."""
    con = ctx.con
    staged = lazy_csv(con, raw, f"_direct{n}", delimiter=m.delimiter)
    if staged is None:
        raise NotDirect("the file did not sniff cleanly")
    spec, m = choose_spec(store, staged, kind, m, infer, proposals)
    tz = tz or m.timezone or "UTC"
    plan = canonical_sql(
        spec, m, staged.header, staged.table, staged.row_expr, tz, None, canonical_extras(spec)
    )
    if plan.absent_required:
        drop_lazy_rejects(con, staged)
        raise missing_columns_error(staged, spec, plan.absent_required, m)
    hist = f"hist_{spec.name}"
    had_rows = _exists(con, f"SELECT 1 FROM {hist} LIMIT 1")
    if spec.name == "lms_events" and _exists(
        con,
        "SELECT 1 FROM hist_lms_events WHERE _superseded_by IS NULL AND source = 'xapi' AND attempt IS NULL LIMIT 1",
    ):
        raise NotDirect("xAPI statements wait for an attempt number")
    cols = [*spec.column_names, *HIST_EXTRAS.get(spec.name, ())]
    typed = staged_hashes(spec, plan.sql, hist_extra_sql(spec))
    if had_rows and _head_repeats_stored_keys(con, typed, hist):
        raise NotDirect("the first rows repeat stored keys")
    present = _output_columns(con, typed)
    kept = [c for c in cols if c in present]
    col_sql = ", ".join(ident(c) for c in kept)
    try:
        in_file_order(
            con,
            f"INSERT INTO {hist} ({col_sql}, _key, _hash, _batch_id, _superseded_by, _file, _row) "
            f"SELECT {stored_select(spec, kept)}, _key, _hash, {ctx.batch_id}, "
            f"CASE WHEN _bad OR _skip IS NOT NULL THEN error({sql_str(_REFUSED_MARK)}) END, "
            f"{sql_str(raw.label)}, NULL FROM ({typed})",
        )
    except duckdb.Error as exc:  # the transaction is aborted: the caller rolls back
        if _REFUSED_MARK in str(exc):
            raise NotDirect("refused or skipped rows") from None
        raise NotDirect(f"streamed read failed: {exc}") from None
    if drop_lazy_rejects(con, staged):
        raise NotDirect("lines DuckDB could not split")
    con.execute(f"DROP TABLE IF EXISTS {staged.rejects}")
    mine = f"_batch_id = {ctx.batch_id} AND _row IS NULL"
    row = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {hist} WHERE {mine}").fetchone()
    first, last, rows = (int(v) if v is not None else 0 for v in (row or (0, 0, 0)))
    if rows and last - first + 1 != rows:
        raise NotDirect("rowids not contiguous")
    con.execute(f"UPDATE {hist} SET _row = rowid - {first} + 1 WHERE {mine}")
    this = f"_batch_id = {ctx.batch_id}"
    if _exists(con, f"SELECT 1 FROM {hist} WHERE {this} GROUP BY _key HAVING count(*) > 1 LIMIT 1"):
        raise NotDirect("a key repeats within the batch")
    if had_rows and _exists(
        con,
        f"SELECT 1 FROM {hist} n JOIN {hist} o ON o._key = n._key WHERE n.{this} AND o._batch_id <> {ctx.batch_id} LIMIT 1",
    ):
        raise NotDirect("keys already stored")
    track_identities(ctx, spec, f"(SELECT * FROM {hist} WHERE {this} AND _file = {sql_str(raw.label)})")
    return FileCounts(raw.label, spec.name, sha256.result(), rows, rows, 0, 0, 0, 0)


def _head_repeats_stored_keys(con: duckdb.DuckDBPyConnection, typed: str, hist: str) -> bool:
    """An overlapping export usually repeats its oldest rows first: look at the first rows before reading
    the whole file."""
    try:
        return _exists(
            con,
            f"SELECT 1 FROM (SELECT _key FROM ({typed}) LIMIT {HEAD_PROBE}) n JOIN {hist} o USING (_key) LIMIT 1",
        )
    except duckdb.Error as exc:  # unreadable: the transaction is aborted, the general path explains
        raise NotDirect(f"streamed read failed: {exc}") from None


def _output_columns(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    return {str(r[0]) for r in con.execute(f"DESCRIBE {sql}").fetchall()}
