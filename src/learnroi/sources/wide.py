"""Wide vendor reports (one column per activity: Canvas gradebook, Moodle completion) as long rows.

The ``[unpivot]`` section of a mapping (docs/reference/mappings.md) says which columns become rows, what
their header and cell become, and which companion columns and marker rows travel with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from learnroi.core.errors import DataError
from learnroi.sources.readers import Staged, ident, sql_str


@dataclass(frozen=True)
class RowValue:
    """The cell of each wide column in the first row whose ``column`` matches ``match`` (Canvas'
    ``Points Possible`` row)."""

    column: str
    match: str


@dataclass(frozen=True)
class Unpivot:
    """Wide report -> long rows: every wide column of a row becomes one row (docs/reference/mappings.md).

    ``columns`` (a regular expression, Python syntax, searched in each header) selects the wide columns
    (default: all but ``keep`` and the companions); ``keep`` (names, or a regular expression) are never
    unpivoted. Each long row carries the kept columns, the wide column's header in ``name`` (its first
    ``extract`` group when that matches) and its cell in ``value``. ``companions``: new column ->
    template naming a second source column per wide column (``"{} - Completion date"``).
    ``row_values``: new column -> the wide column's cell in a marker row (``Points Possible``).
    """

    columns: str | None = None
    keep: tuple[str, ...] = ()
    keep_pattern: str | None = None
    name: str = "column"
    value: str = "value"
    extract: str | None = None
    companions: dict[str, str] = field(default_factory=dict)
    row_values: dict[str, RowValue] = field(default_factory=dict)

    def split(self, header: tuple[str, ...]) -> tuple[list[str], list[tuple[str, dict[str, str | None]]]]:
        """The kept columns, and each wide column with its companion source columns (or None)."""
        lower = {h.lower(): h for h in header}
        companion_of = {
            h: {new: lower.get(t.replace("{}", h).lower()) for new, t in self.companions.items()}
            for h in header
        }
        taken = {c for comps in companion_of.values() for c in comps.values() if c}
        kept_names = {k.lower() for k in self.keep}
        wide: list[tuple[str, dict[str, str | None]]] = []
        kept: list[str] = []
        for h in header:
            is_kept = h.lower() in kept_names or bool(self.keep_pattern and re.search(self.keep_pattern, h))
            if h in taken and not is_kept:
                continue
            if not is_kept and (self.columns is None or re.search(self.columns, h)):
                wide.append((h, companion_of[h]))
            else:
                kept.append(h)
        return kept, wide

    def label(self, header: str) -> str:
        """What the ``name`` column holds for a wide column (the ``extract`` group when it matches)."""
        if self.extract:
            found = re.search(self.extract, header)
            if found:
                return found.group(1) if found.groups() else found.group(0)
        return header


def unpivot(con: duckdb.DuckDBPyConnection, staged: Staged, u: Unpivot) -> Staged:
    """A wide report (one column per activity) as long rows: one per source row and wide column.

    Each long row keeps the kept columns and gets ``u.name`` (the header, or its ``extract`` group),
    ``u.value`` (the cell), the companion cells and the marker-row values as new text columns. ``_row``
    numbers the long rows in row-major order; reader rejects keep their source row.
    """
    kept, wide = u.split(staged.header)
    shown = ", ".join(staged.header[:12]) + (" …" if len(staged.header) > 12 else "")
    if not wide:
        raise DataError(
            f"no column to unpivot; the header has: {shown}",
            where=staged.raw.label,
            hint="Check [unpivot] columns / keep in the mapping against this header (docs/reference/mappings.md).",
        )
    new = [u.name, u.value, *u.companions, *u.row_values]
    clash = [c for c in new if c.lower() in {k.lower() for k in kept}] or (
        [new[0]] if len({c.lower() for c in new}) < len(new) else []
    )
    if clash:
        raise DataError(
            f"the unpivoted column name {clash[0]!r} is already taken",
            where=staged.raw.label,
            hint="Give [unpivot] name / value / companions / row_values names the header does not use.",
        )
    marker = {new_col: _marker_row(con, staged, rv.column, rv.match) for new_col, rv in u.row_values.items()}
    items = []
    for i, (h, comps) in enumerate(wide):
        fields = [f"'h': {sql_str(h)}", f"'n': {sql_str(u.label(h))}", f"'v': CAST(t.{ident(h)} AS VARCHAR)"]
        fields += [
            f"{sql_str('c' + str(j))}: "
            + (f"CAST(t.{ident(c)} AS VARCHAR)" if c else "CAST(NULL AS VARCHAR)")
            for j, c in enumerate(comps.values())
        ]
        fields += [
            f"{sql_str('r' + str(j))}: "
            + (sql_str(str(vals[h])) if vals.get(h) is not None else "CAST(NULL AS VARCHAR)")
            for j, vals in enumerate(marker.values())
        ]
        items.append(f"{{'i': {i + 1}, {', '.join(fields)}}}")
    outs = [ident(k) for k in kept] + [f"_u.n AS {ident(u.name)}", f"_u.v AS {ident(u.value)}"]
    outs += [f"_u.c{j} AS {ident(c)}" for j, c in enumerate(u.companions)]
    outs += [f"_u.r{j} AS {ident(c)}" for j, c in enumerate(u.row_values)]
    table = f"{staged.table}_long"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {', '.join(outs)}, (_row - 1) * {len(wide)} + _u.i AS _row, "
        f"_row AS _src_row, _u.h AS _src_col FROM (SELECT t.*, unnest([{', '.join(items)}]) AS _u "
        f"FROM {staged.table} t) ORDER BY _row"
    )
    con.execute(f"DROP TABLE IF EXISTS {staged.table}")
    header = (*kept, *new)
    return Staged(
        staged.raw, table, staged.rejects, header, _count(con, table), staged.rejected, unpivoted=True
    )


def _marker_row(con: duckdb.DuckDBPyConnection, staged: Staged, column: str, match: str) -> dict[str, object]:
    """The first row whose ``column`` matches ``match`` (Python regex), as {header: cell}; {} if none."""
    lookup = {h.lower(): h for h in staged.header}
    col = lookup.get(column.lower())
    if col is None:
        return {}
    pattern = re.compile(match)
    cur = con.execute(
        f"SELECT _row, {ident(col)} FROM {staged.table} WHERE {ident(col)} IS NOT NULL ORDER BY _row"
    )
    while batch := cur.fetchmany(10_000):
        hit = next((r[0] for r in batch if pattern.search(str(r[1]))), None)
        if hit is not None:
            cols = ", ".join(ident(h) for h in staged.header)
            row = con.execute(f"SELECT {cols} FROM {staged.table} WHERE _row = ?", [hit]).fetchone()
            return dict(zip(staged.header, row or (), strict=False))
    return {}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
