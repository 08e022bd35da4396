"""An in-memory store filled straight from canonical Arrow tables (no files, no ingest batch).

Whole-pipeline simulation tests (validation-targets.md §5: a simulated company per replication) need
hundreds of stores; writing files and running :func:`learnroi.store.ingest_all` costs more than the
analysis itself. :func:`store_from_tables` opens an in-memory :class:`~learnroi.store.Store` (every
migration applied, so the views are the store's own ``003_views.sql``) and inserts each table into its
``hist_`` table the way a clean ingest would: the canonical columns and types of
:mod:`learnroi.sources.schema`, text trimmed with empty as NULL, timestamps converted to UTC, the
learner identity normalized with :func:`learnroi.sources.identity.normalize_sql`, the HRIS
``mbox_sha1sum`` key, and one row per natural key (the later row wins, as in an ingest). It does no
quarantine, mapping or pseudonymization: feed it clean canonical tables (``simulate_tables``).
Equivalence with the real ingest is tested in ``tests/unit/test_pipeline_inmemory.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from learnroi.core.errors import DataError
from learnroi.sources.identity import normalize_sql
from learnroi.sources.readers import ident
from learnroi.sources.schema import TABLES, ColType, TableSpec
from learnroi.store import Store

_SQL_TYPE: dict[ColType, str] = {
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "float": "DOUBLE",
    "int": "INTEGER",
    "bool": "BOOLEAN",
}
FILES: dict[str, str] = {spec.file_hint: name for name, spec in TABLES.items()}
"""Data-layout file name (``"hris/employees.csv"``) -> canonical table (``"employees"``)."""


def _column(col: str, kind: ColType, arrow_type: pa.DataType | None) -> str:
    c = ident(col)
    if arrow_type is None:
        return f"CAST(NULL AS {_SQL_TYPE[kind]})"
    if kind == "string":
        return f"nullif(trim(CAST({c} AS VARCHAR)), '')"
    if kind == "timestamp" and pa.types.is_string(arrow_type):
        return f"timezone('UTC', CAST(nullif(trim({c}), '') AS TIMESTAMPTZ))"
    return f"CAST({c} AS {_SQL_TYPE[kind]})"


def _insert(store: Store, spec: TableSpec, table: pa.Table, source: str) -> None:
    names = set(table.column_names)
    cols = [
        f"{_column(c, k, table.schema.field(c).type if c in names else None)} AS {ident(c)}"
        for c, k in spec.columns
    ]
    extra: list[str] = []
    if "learner_email" in spec.identities:  # lms_events, attendance
        extra = [f"{normalize_sql('learner_email')} AS learner_key"]
    if spec.name == "lms_events":
        extra.append("'lms' AS source")
    if spec.name == "employees":
        extra = ["CASE WHEN email IS NOT NULL THEN sha1('mailto:' || lower(trim(email))) END AS _sha1_key"]
    key = ", ".join(ident(k) for k in spec.key)
    targets = [*spec.column_names, *(e.rsplit(" AS ", 1)[1] for e in extra)]
    store.con.register("_inmemory_src", table)
    try:
        store.con.execute(
            f"""
            INSERT INTO {ident("hist_" + spec.name)}
                ({", ".join(ident(t) for t in targets)}, _key, _hash, _batch_id, _superseded_by, _file, _row)
            WITH typed AS (
                SELECT {", ".join(cols)}, row_number() OVER () AS _row FROM _inmemory_src
            ), extended AS (SELECT *, {", ".join(extra) or "NULL AS _none"} FROM typed)
            SELECT {", ".join(ident(t) for t in targets)}, CAST(hash({key}) AS UHUGEINT),
                   CAST(hash({", ".join(ident(t) for t in targets)}) AS UHUGEINT), 0, NULL, ?, _row
            FROM extended
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _row DESC) = 1
            """,
            [source],
        )
    finally:
        store.con.unregister("_inmemory_src")


def store_from_tables(tables: Mapping[str, pa.Table], *, threads: int | None = 1) -> Store:
    """An in-memory store holding ``tables``, keyed by data-layout file name (``"lms/events.csv"``) or
    canonical table name (``"lms_events"``); ``threads`` caps DuckDB's threads (None: DuckDB's default).

    Raises :class:`~learnroi.core.errors.DataError` for a name that is neither.
    """
    store = Store.open(None)
    if threads is not None:
        store.con.execute(f"SET threads = {int(threads)}")
    for name, table in tables.items():
        canonical = FILES.get(name, name)
        spec = TABLES.get(canonical)
        if spec is None:
            store.close()
            raise DataError(
                f"unknown table {name!r}",
                where="store_from_tables",
                hint=f"Use a data-layout file name ({', '.join(sorted(FILES))}) or a canonical table name.",
            )
        _insert(store, spec, table, name)
    return store


__all__ = ["FILES", "store_from_tables"]
