"""Readers: put one source file's rows into a DuckDB table of text columns, numbered, losing nothing.

Every reader yields a staging table with one VARCHAR column per source column plus ``_row`` (1-based:
CSV/XLSX data row, JSON-lines line, JSON-array item) and a rejects table (``_row``, value, reason) for
rows that could not even be split into columns (a CSV line with too many fields, a line that is not
JSON). Readers run SQL on a connection they are handed (DuckDB as an engine: streaming ``read_csv`` /
``read_parquet``); they never persist anything. Encodings: UTF-8 (with or without BOM), UTF-16 (BOM)
and Latin-1 are read natively by DuckDB; the delimiter and columns are the header line's (:mod:`learnroi.sources.csvhead`),
quoting is DuckDB's sniffer's. XLSX is read with python-calamine, row batches at a time
(:mod:`learnroi.sources.xlsx`); JSON arrays are streamed by DuckDB's ``read_json_objects``.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pyarrow as pa

from learnroi.core.errors import DataError
from learnroi.sources.csvhead import read_header

FileFormat = Literal["csv", "parquet", "xlsx", "jsonl", "json"]
ROW_FROM_ROWID = "CAST(NULL AS BIGINT)"
"""``Staged.row_expr`` of a streamed CSV: ``_row`` is filled from the typed table's rowid (file order)."""
SNIFF_BYTES = 1 << 20

_HINT_FORMAT = (
    "learnroi reads .csv/.tsv/.txt, .parquet, .xlsx, .json (an array or an LRS response) and .jsonl/.ndjson; "
    "save the export in one of those formats."
)


@dataclass(frozen=True)
class RawFile:
    """One readable unit: a file, or one sheet of a workbook."""

    path: Path
    format: FileFormat
    encoding: str = "utf-8"
    sheet: str | None = None
    url: str | None = None

    @property
    def label(self) -> str:
        if self.url:
            return self.url
        return f"{self.path}[{self.sheet}]" if self.sheet else str(self.path)


@dataclass(frozen=True)
class Staged:
    """A staged file: the table name, its source columns, and the row counts."""

    raw: RawFile
    table: str
    rejects: str
    header: tuple[str, ...]
    rows: int
    rejected: int
    row_expr: str = "_row"
    """SQL giving each row's number; :data:`ROW_FROM_ROWID` when the rows are numbered after typing."""
    lazy_rejects: str | None = None
    """Set when ``table`` is a streaming ``read_csv`` subquery, not a staged copy: the name of DuckDB's
    rejects table to check once the typing query ran (any reject means: stage the file properly)."""
    unpivoted: bool = False
    """Long rows made from a wide report by :func:`unpivot`: ``_row`` numbers the long rows, ``_src_row``
    and ``_src_col`` name the source row and column of each."""

    @property
    def rows_read(self) -> int:
        return self.rows + self.rejected


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def detect_format(path: Path) -> FileFormat:
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv", ".txt", ".tab"}:
        return "csv"
    if suffix in {".parquet", ".pq"}:
        return "parquet"
    if suffix in {".xlsx", ".xlsm", ".xls"}:
        return "xlsx"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".json":
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
        return "json" if head[:1] in (b"[", b"{") and not _looks_like_lines(path) else "jsonl"
    raise DataError(f"unknown file type {suffix!r}", where=str(path), hint=_HINT_FORMAT)


def _looks_like_lines(path: Path) -> bool:
    """A .json file with one object per line is JSON lines."""
    with path.open("rb") as fh:
        first = fh.readline().strip()
    try:
        json.loads(first)
    except ValueError:
        return False
    return first.startswith(b"{") and first.endswith(b"}")


def detect_encoding(path: Path) -> str:
    """DuckDB encoding name: BOMs first, then strict UTF-8 on the first MiB, else Latin-1."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sniff boundary
            return "latin-1"
    return "utf-8"


def describe(path: Path, encoding: str | None = None) -> list[RawFile]:
    """The readable units of a path (a workbook gives one per sheet)."""
    if not path.exists():
        raise DataError(
            "file not found", where=str(path), hint="Check the path (and the folder for `ingest all`)."
        )
    if path.is_dir():
        raise DataError(
            "is a folder, not a file", where=str(path), hint="Pass the files, or use `ingest all FOLDER`."
        )
    fmt = detect_format(path)
    if fmt == "xlsx":
        return [RawFile(path, "xlsx", sheet=s) for s in _sheet_names(path)]
    if fmt == "csv":
        return [RawFile(path, "csv", encoding or detect_encoding(path))]
    return [RawFile(path, fmt)]


def _sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    try:
        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # calamine raises its own error types for corrupt workbooks
        raise DataError(
            f"not a readable workbook ({type(exc).__name__}: {exc})",
            where=str(path),
            hint="Open it in a spreadsheet program and save it again as .xlsx, or export it as CSV.",
        ) from None


def stage(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, *, delimiter: str | None = None) -> Staged:
    """Create temp tables ``name`` (VARCHAR columns + ``_row``) and ``name_rej`` from one readable unit."""
    rejects = f"{name}_rej"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejects} (_row BIGINT, value VARCHAR, reason VARCHAR)")
    if raw.format == "csv":
        return _stage_csv(con, raw, name, rejects, delimiter)
    if raw.format == "parquet":
        return _stage_parquet(con, raw, name, rejects)
    if raw.format == "xlsx":
        from learnroi.sources.xlsx import stage_xlsx  # (it imports this module's types)

        return stage_xlsx(con, raw, name, rejects)
    if raw.format == "jsonl":
        return stage_json_lines(con, raw, name, rejects)
    return _stage_json_array(con, raw, name, rejects)


LAZY_BUFFER = 32 * 1024 * 1024


def lazy_csv(
    con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, *, delimiter: str | None = None
) -> Staged | None:
    """The CSV as a subquery read straight into the typing query (no staging copy), or None when even
    the header cannot be sniffed (then :func:`stage` reports the problem)."""
    src = sql_str(str(raw.path))
    opts = _csv_options(con, raw, delimiter)
    try:
        cols = con.execute(f"DESCRIBE SELECT * FROM read_csv({src}, {opts})").fetchall()
    except duckdb.Error:
        return None
    rej_t, rej_s = f"{name}_rejerr", f"{name}_rejscan"
    rejects = f"{name}_rej"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejects} (_row BIGINT, value VARCHAR, reason VARCHAR)")
    # no row_number() here: a window serializes the whole typing query on one thread. The caller numbers
    # the rows afterwards from the rowid of a table filled in file order (preserve_insertion_order).
    # 32 MB read buffers (DuckDB's default is smaller): fewer, larger batches for the order-preserving
    # insert that follows, which otherwise merges partial row groups at every batch edge (10M rows:
    # 12.8 vs 15.3 CPU s for a plain ordered read into a table, and a lower peak; benchmarks/README.md)
    table = (
        f"(SELECT * FROM read_csv({src}, {opts}, buffer_size = {LAZY_BUFFER}, store_rejects = true, "
        f"rejects_table = {sql_str(rej_t)}, rejects_scan = {sql_str(rej_s)}))"
    )
    header = tuple(str(c[0]) for c in cols)
    return Staged(raw, table, rejects, header, -1, 0, row_expr=ROW_FROM_ROWID, lazy_rejects=rej_t)


def drop_lazy_rejects(con: duckdb.DuckDBPyConnection, staged: Staged) -> int:
    """How many rows DuckDB rejected while streaming a lazy CSV (and forget its rejects tables)."""
    if not staged.lazy_rejects:
        return 0
    scan = staged.lazy_rejects.replace("_rejerr", "_rejscan")
    try:
        row = con.execute(f"SELECT count(*) FROM {staged.lazy_rejects}").fetchone()
    except duckdb.CatalogException:
        row = (0,)
    con.execute(f"DROP TABLE IF EXISTS {staged.lazy_rejects}; DROP TABLE IF EXISTS {scan}")
    return int(row[0]) if row else 0


def _csv_options(con: duckdb.DuckDBPyConnection, raw: RawFile, delimiter: str | None) -> str:
    opts = [
        "all_varchar = true",
        "header = true",
        f"encoding = {sql_str(raw.encoding)}",
        "null_padding = false",
    ]
    delimiter, names = read_header(raw.path, raw.encoding, delimiter)
    if delimiter:
        opts.append(f"delim = {sql_str(delimiter)}")
    base = ", ".join(opts)
    if len(names) > 1:
        try:
            sniffed = len(
                con.execute(f"DESCRIBE SELECT * FROM read_csv({sql_str(str(raw.path))}, {base})").fetchall()
            )
        except duckdb.Error:
            sniffed = 0
        if sniffed != len(names):  # the sniffer took a ragged data row for the layout: the header decides
            cols = ", ".join(f"{sql_str(n)}: 'VARCHAR'" for n in names)
            base += f", columns = {{{cols}}}"
    return base


def _stage_csv(
    con: duckdb.DuckDBPyConnection,
    raw: RawFile,
    name: str,
    rejects: str,
    delimiter: str | None,
    parallel: bool = True,
) -> Staged:
    src = sql_str(str(raw.path))
    rej_t, rej_s = f"{name}_rejerr", f"{name}_rejscan"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT row_number() OVER () AS _row, * "
            f"FROM read_csv({src}, {_csv_options(con, raw, delimiter)}, parallel = {str(parallel).lower()}, "
            f"store_rejects = true, rejects_table = {sql_str(rej_t)}, rejects_scan = {sql_str(rej_s)})"
        )
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        if raw.encoding == "utf-8" and "unicode" in msg.lower():
            return _stage_csv(con, RawFile(raw.path, "csv", "latin-1"), name, rejects, delimiter)
        raise DataError(
            f"cannot read the CSV file: {msg}",
            where=str(raw.path),
            hint="Check that it is a delimited text file with a header row; "
            "pass `delimiter`/`encoding` in a --mapping if the guess is wrong.",
        ) from None
    errs = con.execute(
        f"SELECT line, error_type, csv_line, error_message FROM {rej_t} ORDER BY line"
    ).fetchall()
    con.execute(f"DROP TABLE IF EXISTS {rej_t}; DROP TABLE IF EXISTS {rej_s}")
    if raw.encoding == "utf-8" and any(str(e[1]).upper() == "INVALID ENCODING" for e in errs):
        return _stage_csv(con, RawFile(raw.path, "csv", "latin-1"), name, rejects, delimiter)
    if errs and parallel:
        # DuckDB's record numbers in rejects are exact only for a single-threaded scan: read again.
        return _stage_csv(con, raw, name, rejects, delimiter, parallel=False)
    header = header_of(con, name)
    n = _count(con, name)
    if not errs:
        return Staged(raw, name, rejects, header, n, 0)
    by_row: dict[int, tuple[str, str]] = {}
    for line, etype, csv_line, message in errs:
        by_row.setdefault(int(line) - 1, (str(csv_line), f"{str(etype).lower()}: {message}"))
    total = n + len(by_row)
    bad_rows = _valid_positions(sorted(by_row), total)
    values = [by_row[r] for r in sorted(by_row)]
    rej_tbl = pa.table(
        {
            "_row": pa.array(bad_rows, pa.int64()),
            "value": [v[0] for v in values],
            "reason": [v[1] for v in values],
        }
    )
    con.register("_rej_arrow", rej_tbl)
    con.execute(f"INSERT INTO {rejects} SELECT * FROM _rej_arrow")
    con.unregister("_rej_arrow")
    keep = np.ones(total, dtype=bool)
    keep[np.asarray(bad_rows, dtype=np.int64) - 1] = False
    numbers = pa.table(
        {"_rid": np.arange(1, n + 1, dtype=np.int64), "_true": np.flatnonzero(keep).astype(np.int64) + 1}
    )
    con.register("_rownum_arrow", numbers)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT r._true AS _row, s.* EXCLUDE (_row) FROM {name} s "
        f"JOIN _rownum_arrow r ON r._rid = s._row ORDER BY r._true"
    )
    con.unregister("_rownum_arrow")
    return Staged(raw, name, rejects, header, n, len(bad_rows))


def _valid_positions(rows: list[int], total: int) -> list[int]:
    """Rejected data-row numbers, kept unique and within 1..total (the accounting must stay exact)."""
    out: list[int] = []
    used: set[int] = set()
    spare = (r for r in range(total, 0, -1) if r not in set(rows))
    for r in rows:
        if r < 1 or r > total or r in used:
            r = next(spare)
        used.add(r)
        out.append(r)
    return sorted(out)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _stage_parquet(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    src = sql_str(str(raw.path))
    try:
        cols = [str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({src})").fetchall()]
        casts = ", ".join(f"CAST({ident(c)} AS VARCHAR) AS {ident(c)}" for c in cols)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {casts}, file_row_number + 1 AS _row "
            f"FROM read_parquet({src}, file_row_number = true)"
        )
    except duckdb.Error as exc:
        raise DataError(
            f"cannot read the Parquet file: {str(exc).splitlines()[0]}",
            where=str(raw.path),
            hint="The file may be truncated or not Parquet; export it again.",
        ) from None
    return Staged(raw, name, rejects, tuple(cols), _count(con, name), 0)


def stage_json_lines(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    """JSON lines as one text column ``j`` + ``_row``; lines that are not a JSON object are rejects.

    Lines are read with ``read_csv`` and a delimiter that valid JSON cannot contain unescaped (\\x01), so
    reading streams at CSV speed; blank lines are not rows.
    """
    src = sql_str(str(raw.path))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM (SELECT row_number() OVER () AS _row, "
        f"j FROM read_csv({src}, columns = {{'j': 'VARCHAR'}}, header = false, delim = '\x01', quote = '', "
        "escape = '', auto_detect = false, strict_mode = false, null_padding = true)) WHERE trim(j) <> ''"
    )
    con.execute(f"UPDATE {name} SET j = ltrim(j, chr(65279)) WHERE _row = 1")
    return _split_invalid_json(con, raw, name, rejects)


def _split_invalid_json(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    con.execute(
        f"INSERT INTO {rejects} SELECT _row, left(j, 500), 'not a JSON object' FROM {name} "
        "WHERE NOT starts_with(ltrim(j), '{') OR NOT coalesce(json_valid(j), false)"
    )
    bad = _count(con, rejects)
    if bad:
        con.execute(f"DELETE FROM {name} WHERE _row IN (SELECT _row FROM {rejects})")
    return Staged(raw, name, rejects, ("j",), _count(con, name), bad)


def json_items(path: Path) -> list[str]:
    """Items of a JSON array file (or of an LRS response's ``statements``), each re-serialized."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(
            f"not valid JSON: {exc}",
            where=str(path),
            hint="Check the file is complete; for one object per line, name it .jsonl.",
        ) from None
    if isinstance(doc, dict) and isinstance(doc.get("statements"), list):
        doc = doc["statements"]
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        raise DataError(
            "the JSON file is neither an array nor an object",
            where=str(path),
            hint="Export a JSON array of records, or JSON lines (one object per line).",
        )
    return [json.dumps(item, ensure_ascii=False) for item in doc]


def stage_json_texts(
    con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str, items: list[str]
) -> Staged:
    """Stage already-split JSON texts (array items, LRS pages) like JSON lines."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejects} (_row BIGINT, value VARCHAR, reason VARCHAR)")
    table = pa.table(
        {"j": pa.array(items, pa.string()), "_row": pa.array(np.arange(1, len(items) + 1), pa.int64())}
    )
    con.register("_json_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _json_arrow")
    con.unregister("_json_arrow")
    return _split_invalid_json(con, raw, name, rejects)


def _stage_json_array(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    """A JSON array streamed item by item by DuckDB (``read_json_objects``, no whole-file parse in Python);
    a top-level object (one record, or an LRS response's ``statements``) is small and read whole."""
    with raw.path.open("rb") as fh:
        head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
    if not head.startswith(b"["):
        return stage_json_texts(con, raw, name, rejects, json_items(raw.path))
    src = sql_str(str(raw.path))
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")  # rowids in file order number the items
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT CAST(json AS VARCHAR) AS j, CAST(NULL AS BIGINT) AS _row "
            f"FROM read_json_objects({src}, format = 'array', maximum_object_size = 268435456)"
        )
    except duckdb.Error as exc:
        raise DataError(
            f"not valid JSON: {str(exc).splitlines()[0]}",
            where=str(raw.path),
            hint="Check the file is complete; for one object per line, name it .jsonl.",
        ) from None
    finally:
        con.execute(f"SET preserve_insertion_order = {str(before[0] if before else True).lower()}")
    con.execute(f"UPDATE {name} SET _row = rowid - (SELECT min(rowid) FROM {name}) + 1")
    return _split_invalid_json(con, raw, name, rejects)


def flatten_json(con: duckdb.DuckDBPyConnection, staged: Staged) -> Staged:
    """Turn a JSON-object staging table (``j``) into one text column per top-level key (records files)."""
    keys = [
        str(r[0])
        for r in con.execute(
            f"SELECT DISTINCT unnest(json_keys(j)) AS k FROM {staged.table} ORDER BY k"
        ).fetchall()
    ]
    cols = ", ".join(f"json_extract_string(j, {sql_str('$.' + json.dumps(k))}) AS {ident(k)}" for k in keys)
    sel = f"{cols}, _row" if cols else "_row"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {staged.table} AS SELECT {sel} FROM {staged.table}")
    return Staged(staged.raw, staged.table, staged.rejects, tuple(keys), staged.rows, staged.rejected)


def header_of(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, ...]:
    return tuple(str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall() if str(r[0]) != "_row")
