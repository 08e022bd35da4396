"""Row keys and content hashes of the versioned ``hist_*`` tables (contracts §2: natural key + content hash).

``_key`` (the natural key) and ``_hash`` (the content) are 128-bit values built from DuckDB's vectorized
``hash()``: each column's value is hashed once, then two chains over those 64-bit hashes, in column order
and in reverse order, make the high and low halves. The scheme replaced MD5 of the values' text, which
cost a third of a 10M-row CSV ingest (benchmarks/README.md "ingest"). Written here rather than taken from a
library because the values never leave DuckDB: hashing in Python would mean moving every row out.

Two facts make this safe:

* **Collisions cannot corrupt the store.** Every decision taken on a hash is verified on the values
  (:func:`same_values`): stored rows matched on ``_key`` must have the same key columns, rows called
  "unchanged" the same content, and in-file repeats likewise. A mismatch stops the batch with an error
  (nothing is loaded). Odds: two rows differing in several columns collide with probability ~2^-128; rows
  differing in one column only when that column's two values collide in the 64-bit per-value hash
  (~d²/2^65 for a column of d distinct values: 3e-6 at ten million).
* **DuckDB does not promise ``hash()`` is stable across versions.** The hashes are a function of stored
  columns, so they are a cache: :func:`ensure_row_hashes` records a fingerprint of the function (hashes of
  fixed probe values) in ``store_settings`` and, when it differs (a DuckDB upgrade, or a store written
  before this scheme), recomputes ``_key``/``_hash`` of every ``hist_*`` table in one transaction before
  the next ingest or undo.
"""

from __future__ import annotations

import duckdb

from learnroi.sources.identity import normalize_sql
from learnroi.sources.readers import ident
from learnroi.sources.schema import TABLES, TableSpec

SCHEME = "duckdb-hash-pair-v1"
_PROBE = (
    "SELECT concat_ws(':', hash('a'), hash('learnroi row hash probe, longer than inlined strings'), "
    "hash(42::BIGINT), hash(-7::INTEGER), hash(2.5::DOUBLE), hash(TIMESTAMP '2024-02-29 13:45:07.123456'), "
    "hash(DATE '2024-02-29'), hash(true), hash(NULL::VARCHAR), hash(170141183460469231731687303715884105727::HUGEINT), "
    "hash(1::UBIGINT, 'x', NULL, 3))"
)


def value_sql(spec: TableSpec, column: str, alias: str = "") -> str:
    """The value a column contributes to a hash: stable forms (doubles rounded to 6 decimals, lower-cased employee ids)."""
    v = f"{alias}.{ident(column)}" if alias else ident(column)
    kind = "string" if column == "learner_key" else spec.type_of(column)
    if kind == "float":
        return f"round({v}, 6)"
    if spec.identities.get(column) == "employee":
        return f"lower({v})"
    return v


def pair_sql(parts: list[str]) -> str:
    """128 bits from two ``hash()`` chains over ``parts`` (already hashed values): forward and reversed."""
    forward = f"hash({', '.join(parts)})"
    backward = f"hash({', '.join(reversed(parts))})"
    return f"((CAST({forward} AS UHUGEINT) << 64) | CAST({backward} AS UHUGEINT))"


def hash_sql(spec: TableSpec, cols: tuple[str, ...], alias: str = "") -> str:
    """One expression for the 128-bit hash of ``cols`` (for UPDATEs; equal to :func:`staged_hashes`)."""
    return pair_sql([f"hash({value_sql(spec, c, alias)})" for c in cols])


def content_columns(spec: TableSpec) -> tuple[str, ...]:
    return spec.hash_columns or spec.column_names


def staged_hashes(spec: TableSpec, inner_sql: str, extra: str = "") -> str:
    """``SELECT *, _key, _hash{extra} FROM (inner_sql)`` hashing each column once (two nested projections:
    the per-column hashes are computed once and shared by the key and the content chains)."""
    key, content = spec.key, content_columns(spec)
    cols = list(dict.fromkeys([*key, *content]))
    slot = {c: f"_hv{i}" for i, c in enumerate(cols)}
    per_col = ", ".join(f"hash({value_sql(spec, c)}) AS {slot[c]}" for c in cols)
    return (
        f"SELECT * EXCLUDE ({', '.join(slot.values())}), {pair_sql([slot[c] for c in key])} AS _key, "
        f"{pair_sql([slot[c] for c in content])} AS _hash{extra} FROM (SELECT *, {per_col} FROM ({inner_sql}))"
    )


def same_values(spec: TableSpec, cols: tuple[str, ...], a: str, b: str) -> str:
    """SQL: rows ``a`` and ``b`` agree on ``cols`` (in the hashed forms; NULLs equal)."""
    return " AND ".join(f"{value_sql(spec, c, a)} IS NOT DISTINCT FROM {value_sql(spec, c, b)}" for c in cols)


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(_PROBE).fetchone()
    return f"{SCHEME}:{row[0] if row else ''}"


def ensure_row_hashes(con: duckdb.DuckDBPyConnection) -> int:
    """Recompute ``_key``/``_hash`` of every ``hist_*`` table when the store's hash fingerprint is not this
    DuckDB's (one transaction); returns the tables rehashed (0 when up to date)."""
    current = fingerprint(con)
    row = con.execute("SELECT value FROM store_settings WHERE name = 'row_hash'").fetchone()
    if row is not None and row[0] == current:
        return 0
    present = {
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'hist_%'"
        ).fetchall()
    }
    done = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for spec in TABLES.values():
            hist = f"hist_{spec.name}"
            if hist not in present:
                continue
            if "learner_email" in spec.identities:  # stores before rowhash kept attendance's key in the view
                con.execute(
                    f"UPDATE {hist} SET learner_key = {normalize_sql('learner_email')} WHERE learner_key IS NULL"
                )
            con.execute(
                f"UPDATE {hist} SET _key = {hash_sql(spec, spec.key)}, "
                f"_hash = {hash_sql(spec, content_columns(spec))}"
            )
            done += 1
        con.execute("INSERT OR REPLACE INTO store_settings VALUES ('row_hash', ?)", [current])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return done
