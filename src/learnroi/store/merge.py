"""Merge one staged file into a versioned ``hist_*`` table, in two steps.

:func:`prepare_staged` types, checks, pseudonymizes and de-duplicates the file into temp tables *before*
the batch's write transaction (temp tables are not the store, so atomicity is unchanged, and scanning
them inside the transaction runs on every core: half the wall time); :func:`merge_prepared` compares with the
stored versions and writes, inside it.

Natural key + content hash (contracts §2): same key and content -> skipped; same key, new content ->
the new version supersedes the old (both kept, with batch ids); refused values -> quarantine with file,
row, column, value and reason (the same bad row is quarantined once across re-ingests).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb

from learnroi.core.errors import DataError
from learnroi.sources.canonical import canonical_sql
from learnroi.sources.identity import normalize, pseudonym
from learnroi.sources.mapping import Mapping
from learnroi.sources.readers import ROW_FROM_ROWID, Staged, drop_lazy_rejects, ident, sql_str
from learnroi.sources.schema import TableSpec
from learnroi.store.result import FileCounts
from learnroi.store.rowhash import content_columns, hash_sql, same_values, staged_hashes, value_sql

HIST_EXTRAS: dict[str, tuple[str, ...]] = {
    "employees": ("_sha1_key",),
    "lms_events": ("learner_key", "source", "registration", "verb", "activity_id", "success", "completion"),
    "attendance": ("learner_key",),
}
"""Stored columns beyond the canonical ones (``learner_key`` is in the key: hashes are recomputed from it)."""
STORED_AS: dict[str, dict[str, str]] = {
    "lms_events": {
        "learner_email": "CASE WHEN learner_email = learner_key THEN NULL WHEN learner_email IS NULL THEN '' "
        "ELSE learner_email END"
    },
}
"""How a column is written when it differs from its canonical value: an LMS event's email is stored only
when it differs from ``learner_key`` (the view restores it: ``nullif(coalesce(email, key), '')``). At 10M
events the repeated column was 7 % of the ingest's CPU (benchmarks/README.md "ingest")."""


def hist_extra_sql(spec: TableSpec) -> str:
    """Computed columns added to the typed rows (``, expr AS name``): an employee's xAPI ``mbox_sha1sum``."""
    if spec.name == "employees":
        return ", CASE WHEN email IS NOT NULL THEN sha1('mailto:' || lower(trim(email))) END AS _sha1_key"
    return ""


def stored_select(spec: TableSpec, cols: list[str]) -> str:
    """The SELECT list writing ``cols`` into ``hist_<spec>`` (see :data:`STORED_AS`)."""
    forms = STORED_AS.get(spec.name, {})
    return ", ".join(forms.get(c, ident(c)) for c in cols)


class Restage(Exception):
    """A streamed CSV had rows DuckDB could not split: read it again through a staged copy."""


@dataclass
class BatchContext:
    """The open batch: its id, kind, the pseudonymization key (or None) and running tallies."""

    con: duckdb.DuckDBPyConnection
    batch_id: int
    kind: str
    key: bytes | None
    new_quarantine_rows: int = 0
    identity_columns: list[str] = field(default_factory=list)
    voided: int = 0


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def missing_columns_error(staged: Staged, spec: TableSpec, absent: tuple[str, ...], m: Mapping) -> DataError:
    shown = ", ".join(staged.header[:12]) + (" …" if len(staged.header) > 12 else "")
    return DataError(
        f"no column for {', '.join(absent)} (needed by {spec.name}); the header has: {shown}",
        where=staged.raw.label,
        hint=(
            f"Name the columns as in docs/reference/data-layout.md ({spec.file_hint}), pass --mapping FILE.toml "
            "mapping your columns (docs/howto/ingest-an-lms-export.md), or try --infer."
            if m.identity
            else "Add the missing entries under [columns] (a source column) or [constants] (a fixed value, "
            f"e.g. a report's export date as timestamp) in the mapping {m.name!r}, or in a mapping file of "
            f'your own that starts with preset = "{m.name}" (docs/reference/mappings.md).'
        ),
    )


@dataclass(frozen=True)
class Prepared:
    """One unit typed, checked and de-duplicated *before* the batch's write transaction.

    ``good`` holds the rows to merge, ``q`` the refusals; both are temp tables (not part of the store, so
    the batch stays atomic). Inserting from a temp table created inside the transaction ran on one
    thread, twice the wall time of one created before it (benchmarks/README.md "ingest").
    """

    label: str
    spec: TableSpec
    sha256: str | None
    good: str
    q: str
    rows_read: int
    skipped: int
    voiders: str | None = None
    """xAPI: the temp table of voiding statements (their dedupe waits for the attempt match)."""
    row_column: str = "_row"
    """What ``hist_*._row`` records: the source row (``_src_row`` for an unpivoted wide report)."""

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.good, self.q, *((self.voiders,) if self.voiders else ()))


def prepare_staged(
    ctx: BatchContext,
    staged: Staged,
    spec: TableSpec,
    m: Mapping,
    tz: str,
    sha256: str | None,
    n: int,
    raw_exprs: dict[str, str] | None = None,
    extras: dict[str, str] | None = None,
    pre_skipped: int = 0,
    voiders: str | None = None,
) -> Prepared:
    """Type one staged file, collect its refusals, pseudonymize and de-duplicate it (no store access)."""
    con = ctx.con
    plan = canonical_sql(spec, m, staged.header, staged.table, staged.row_expr, tz, raw_exprs, extras)
    if plan.absent_required:
        raise missing_columns_error(staged, spec, plan.absent_required, m)
    extra = hist_extra_sql(spec)
    good, q = f"_good{n}", f"_q{n}"
    # one pass: typed values, refusal reasons, natural-key and content hashes (re-hashed after pseudonyms)
    typed_sql = f"CREATE OR REPLACE TEMP TABLE {good} AS {staged_hashes(spec, plan.sql, extra)}"
    if staged.lazy_rejects:
        try:
            in_file_order(con, typed_sql)
        except duckdb.Error:  # the streamed read failed: the staged path reads again and explains
            drop_lazy_rejects(con, staged)
            raise Restage(staged.raw.label) from None
    else:
        in_file_order(con, typed_sql)
    if staged.row_expr == ROW_FROM_ROWID:
        _number_rows(con, staged, good)
    if staged.lazy_rejects:
        if drop_lazy_rejects(con, staged):
            con.execute(f"DROP TABLE {good}")
            raise Restage(staged.raw.label)
        staged = replace(staged, rows=_count(con, f"SELECT count(*) FROM {good}"))
    else:
        con.execute(f"DROP TABLE IF EXISTS {staged.table}")
    dropped = _count(con, f"SELECT count(*) FROM {good} WHERE _skip IS NOT NULL")
    _collect_quarantine(con, staged, good, q)
    if _count(con, f"SELECT count(*) FROM {good} WHERE _bad OR _skip IS NOT NULL"):
        con.execute(f"DELETE FROM {good} WHERE _bad OR _skip IS NOT NULL")
    if ctx.key:
        _pseudonymize_good(ctx, spec, good)
        con.execute(
            f"UPDATE {good} SET _key = {hash_sql(spec, spec.key)}, _hash = {hash_sql(spec, content_columns(spec))}"
        )
        _pseudonymize_quarantine(ctx, q)
    # xAPI statements may still take an attempt number from stored LMS rows: de-duplicated after that
    in_file_dups = 0 if voiders else _dedupe_in_file(con, spec, good, q, staged.raw.label)
    return Prepared(
        staged.raw.label,
        spec,
        sha256,
        good,
        q,
        staged.rows_read,
        dropped + in_file_dups + pre_skipped,
        voiders,
        "_src_row" if staged.unpivoted else "_row",
    )


def merge_prepared(ctx: BatchContext, p: Prepared) -> FileCounts:
    """Merge one prepared unit into its ``hist_*`` table inside the open batch; return its counts."""
    con, spec, good = ctx.con, p.spec, p.good
    skipped = p.skipped
    superseded = _match_attempts(ctx, spec, good, bool(p.voiders)) if spec.name == "lms_events" else 0
    if p.voiders:
        skipped += _dedupe_in_file(con, spec, good, p.q, p.label)
    quarantined = _flush_quarantine(ctx, p)
    hist = f"hist_{spec.name}"
    n_good = _count(con, f"SELECT count(*) FROM {good}")
    same = 0
    source = good
    if n_good and _count(con, f"SELECT count(*) FROM (SELECT 1 FROM {hist} LIMIT 1)"):
        # Only rows whose key is stored need a decision; new keys go straight in. A row equal to an older,
        # superseded version of its key is stale (an older export read again): skipped, so that
        # re-reading old files never reverts a correction.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _cmp AS SELECT g._row, g._key, "
            f"CASE WHEN h._hash = g._hash OR o._hash IS NOT NULL THEN 'skip' ELSE 'update' END AS status "
            f"FROM {good} g LEFT JOIN (SELECT _key, _hash FROM {hist} WHERE _superseded_by IS NULL) h USING (_key) "
            f"LEFT JOIN (SELECT DISTINCT _key, _hash FROM {hist} WHERE _superseded_by IS NOT NULL) o "
            f"ON o._key = g._key AND o._hash = g._hash WHERE h._key IS NOT NULL OR o._key IS NOT NULL"
        )
        same = _count(con, "SELECT count(*) FROM _cmp WHERE status = 'skip'")
        updated = _count(con, "SELECT count(*) FROM _cmp WHERE status = 'update'")
        if same or updated:
            _verify_stored(con, spec, good, hist, p.label)
        if updated:
            con.execute(
                f"UPDATE {hist} SET _superseded_by = {ctx.batch_id} WHERE _superseded_by IS NULL "
                "AND _key IN (SELECT _key FROM _cmp WHERE status = 'update')"
            )
        superseded += updated
        if same:
            source = (
                f"(SELECT * FROM {good} ANTI JOIN (SELECT _row FROM _cmp WHERE status = 'skip') USING (_row))"
            )
    cols = [*spec.column_names, *HIST_EXTRAS.get(spec.name, ())]
    present = {str(r[0]) for r in con.execute(f"DESCRIBE {good}").fetchall()}
    kept = [c for c in cols if c in present]
    col_sql = ", ".join(ident(c) for c in kept)
    loaded = n_good - same
    if loaded:
        # the physical order of hist rows carries no meaning (_file, _row keep the lineage): an unordered
        # insert is parallel and measured 2x cheaper at 10M rows than an order-preserving one
        _unordered(
            con,
            f"INSERT INTO {hist} ({col_sql}, _key, _hash, _batch_id, _superseded_by, _file, _row) "
            f"SELECT {stored_select(spec, kept)}, _key, _hash, {ctx.batch_id}, NULL, {sql_str(p.label)}, "
            f"{p.row_column} FROM {source}",
        )
    track_identities(ctx, spec, source)
    con.execute("DROP TABLE IF EXISTS _cmp")
    voided = _apply_voids(ctx, p.voiders) if p.voiders else 0
    skipped += same
    counts = FileCounts(
        p.label, spec.name, p.sha256, p.rows_read, loaded, quarantined, skipped, superseded, voided
    )
    if counts.rows_read != loaded + quarantined + skipped:
        raise AssertionError(f"row accounting broke on {p.label}: {counts}")
    return counts


def drop_prepared(con: duckdb.DuckDBPyConnection, p: Prepared) -> None:
    for t in p.tables:
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _setting(con: duckdb.DuckDBPyConnection, name: str) -> str:
    row = con.execute(f"SELECT current_setting('{name}')").fetchone()
    return str(row[0]).lower() if row else "true"


def _number_rows(con: duckdb.DuckDBPyConnection, staged: Staged, table: str) -> None:
    """``_row`` of a streamed CSV from the rowid of the typed table, which was filled in file order.

    A ``row_number()`` window in the typing query ran it on one thread; numbering afterwards keeps it
    parallel. Rowids inside a transaction start at 2^55, hence ``rowid - min(rowid) + 1``; an UPDATE of
    the one column is ~30x cheaper than copying the table with a new column (measured at 3M rows).
    """
    row = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {table}").fetchone()
    first, last, n = (int(v) if v is not None else 0 for v in (row or (0, 0, 0)))
    if n and last - first + 1 != n:  # never seen; if DuckDB ever leaves gaps, number a staged copy
        con.execute(f"DROP TABLE {table}")
        drop_lazy_rejects(con, staged)
        raise Restage(staged.raw.label)
    con.execute(f"UPDATE {table} SET _row = rowid - {first} + 1")


def in_file_order(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run ``sql`` with insertion order preserved (the rowid numbering relies on it).

    The previous setting is restored only on success: a failed statement inside a transaction aborts it,
    and no SQL (a SET included) runs before ROLLBACK; the setting then stays ``true``, DuckDB's default.
    """
    before = _setting(con, "preserve_insertion_order")
    con.execute("SET preserve_insertion_order = true")
    con.execute(sql)
    con.execute(f"SET preserve_insertion_order = {before}")


def _unordered(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Run ``sql`` letting DuckDB reorder rows (for inserts whose row order carries no meaning)."""
    before = _setting(con, "preserve_insertion_order")
    con.execute("SET preserve_insertion_order = false")
    try:
        con.execute(sql)
    finally:
        con.execute(f"SET preserve_insertion_order = {before}")


_SAME_EVENT = (
    "h.learner_key = g.learner_key AND h.program_id IS NOT DISTINCT FROM g.program_id "
    "AND h.course_id IS NOT DISTINCT FROM g.course_id AND h.module_id IS NOT DISTINCT FROM g.module_id "
    'AND h.event_type = g.event_type AND h."timestamp" = g."timestamp"'
)


def _match_attempts(ctx: BatchContext, spec: TableSpec, good: str, from_xapi: bool) -> int:
    """xAPI statements rarely state the attempt number; the LMS does. A statement without one that is
    otherwise the same event as a stored LMS row takes that row's attempt (so it is a duplicate); an LMS
    row arriving after such a statement supersedes it. Returns the statements superseded."""
    con = ctx.con
    if from_xapi:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _fill AS SELECT g._row, any_value(h.attempt) AS attempt FROM {good} g "
            f"JOIN hist_lms_events h ON h._superseded_by IS NULL AND h.attempt IS NOT NULL AND {_SAME_EVENT} "
            "WHERE g.attempt IS NULL GROUP BY g._row HAVING count(*) = 1"
        )
        if _count(con, "SELECT count(*) FROM _fill"):
            con.execute(f"UPDATE {good} SET attempt = f.attempt FROM _fill f WHERE {good}._row = f._row")
            con.execute(
                f"UPDATE {good} SET _key = {hash_sql(spec, spec.key)}, "
                f"_hash = {hash_sql(spec, content_columns(spec))} "
                "WHERE _row IN (SELECT _row FROM _fill)"
            )
        con.execute("DROP TABLE _fill")
        return 0
    cond = (
        "h._superseded_by IS NULL AND h.source = 'xapi' AND h.attempt IS NULL AND EXISTS "
        f"(SELECT 1 FROM {good} g WHERE g.attempt IS NOT NULL AND {_SAME_EVENT})"
    )
    n = _count(con, f"SELECT count(*) FROM hist_lms_events h WHERE {cond}")
    if n:
        con.execute(f"UPDATE hist_lms_events h SET _superseded_by = {ctx.batch_id} WHERE {cond}")
    return n


def _collect_quarantine(con: duckdb.DuckDBPyConnection, staged: Staged, good: str, q: str) -> None:
    """Refusals into ``q``: ``_row`` counts refused rows (distinct), ``src_row`` is the file row shown.
    For an unpivoted report a long row is one cell: reader rejects (whole lines) get negative ``_row``s so
    the two numberings never collide, and the column names the wide column."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {q} (_row BIGINT, col VARCHAR, value VARCHAR, reason VARCHAR, "
        "row_hash UHUGEINT, src_row BIGINT)"
    )
    rej_row = "-_row" if staged.unpivoted else "_row"
    con.execute(
        f"INSERT INTO {q} SELECT {rej_row}, NULL, value, reason, md5_number(coalesce(value, '')), _row "
        f"FROM {staged.rejects}"
    )
    con.execute(f"DROP TABLE IF EXISTS {staged.rejects}")
    src_row, col = ("_src_row", "p.col || ' in ' || _src_col") if staged.unpivoted else ("_row", "p.col")
    con.execute(
        f"INSERT INTO {q} SELECT _row, {col}, p.value, p.reason, _rowhash, {src_row} FROM "
        f"(SELECT *, unnest(_problems) AS p FROM {good} WHERE _bad AND _skip IS NULL)"
    )


def _collision(label: str) -> DataError:
    return DataError(
        "two different rows got the same 128-bit row hash (a hash collision); nothing was loaded",
        where=label,
        hint="This is expected less than once in 10^12 files: please report it with the file. Splitting "
        "the file or re-ordering its columns does not help; the rows themselves collide.",
    )


def _verify_stored(con: duckdb.DuckDBPyConnection, spec: TableSpec, good: str, hist: str, label: str) -> None:
    """Rows matched to stored versions by ``_key`` (and called unchanged by ``_hash``) agree on the values."""
    differs = (
        f"NOT ({same_values(spec, spec.key, 'g', 'h')}) OR "
        f"(h._hash = g._hash AND NOT ({same_values(spec, content_columns(spec), 'g', 'h')}))"
    )
    if con.execute(
        f"SELECT 1 FROM _cmp c JOIN {good} g USING (_row) JOIN {hist} h ON h._key = c._key WHERE {differs} LIMIT 1"
    ).fetchall():
        raise _collision(label)


def _dedupe_in_file(con: duckdb.DuckDBPyConnection, spec: TableSpec, good: str, q: str, label: str) -> int:
    """Exact repeats of a row in the same file are skipped; conflicting repeats keep the later row and
    quarantine the earlier ones (nothing is dropped silently). Returns the exact repeats."""
    # a grouped probe that stops at the first repeated key: parallel, unlike count(DISTINCT)
    if not con.execute(f"SELECT 1 FROM {good} GROUP BY _key HAVING count(*) > 1 LIMIT 1").fetchall():
        return 0
    key_row = ", ".join(value_sql(spec, c) for c in spec.key)
    content_row = ", ".join(value_sql(spec, c) for c in content_columns(spec))
    if (
        con.execute(
            f"SELECT 1 FROM {good} GROUP BY _key HAVING count(DISTINCT row({key_row})) > 1 LIMIT 1"
        ).fetchall()
        or con.execute(
            f"SELECT 1 FROM {good} GROUP BY _key, _hash HAVING count(DISTINCT row({content_row})) > 1 LIMIT 1"
        ).fetchall()
    ):
        raise _collision(label)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _dup AS SELECT _row, _key, _hash, "
        "row_number() OVER (PARTITION BY _key, _hash ORDER BY _row) AS n_same, "
        f"max(_row) OVER (PARTITION BY _key) AS last_row FROM {good}"
    )
    exact = _count(con, "SELECT count(*) FROM _dup WHERE n_same > 1")
    con.execute(
        f"INSERT INTO {q} SELECT d._row, NULL, NULL, 'same natural key as row ' || d.last_row || "
        "' with different content; the later row was kept', d._hash, d._row FROM _dup d "
        f"WHERE d.n_same = 1 AND d._hash <> (SELECT g._hash FROM {good} g WHERE g._row = d.last_row)"
    )
    con.execute(
        f"DELETE FROM {good} WHERE _row IN (SELECT _row FROM _dup WHERE n_same > 1) "
        f"OR _row IN (SELECT _row FROM {q} WHERE reason LIKE 'same natural key as row %')"
    )
    con.execute("DROP TABLE _dup")
    return exact


def _flush_quarantine(ctx: BatchContext, p: Prepared) -> int:
    """Write this file's quarantine records (once per bad row across batches); return rows quarantined."""
    con = ctx.con
    rows = _count(con, f"SELECT count(DISTINCT _row) FROM {p.q}")
    if rows == 0:
        return 0
    before = _count(con, "SELECT count(*) FROM quarantine")
    con.execute(
        f"INSERT INTO quarantine SELECT {ctx.batch_id}, {sql_str(ctx.kind)}, {sql_str(p.label)}, "
        f"q.src_row, q.col, q.value, q.reason, q.row_hash FROM {p.q} q WHERE NOT EXISTS ("
        "SELECT 1 FROM quarantine o JOIN batches b USING (batch_id) WHERE b.undone_at IS NULL "
        f"AND o.kind = {sql_str(ctx.kind)} AND o.row_hash = q.row_hash AND o.reason = q.reason "
        'AND o."column" IS NOT DISTINCT FROM q.col)'
    )
    ctx.new_quarantine_rows += _count(con, "SELECT count(*) FROM quarantine") - before
    return rows


def _pseudonymize_quarantine(ctx: BatchContext, q: str) -> None:
    assert ctx.key is not None
    con = ctx.con
    vals = [
        str(r[0]) for r in con.execute(f"SELECT DISTINCT value FROM {q} WHERE value IS NOT NULL").fetchall()
    ]
    if vals:
        _register_map(con, "_qmap", {v: pseudonym(normalize(v), ctx.key) for v in vals})
        con.execute(f"UPDATE {q} SET value = m.p FROM _qmap m WHERE {q}.value = m.raw")
        con.unregister("_qmap")


def _register_map(con: duckdb.DuckDBPyConnection, name: str, mapping: dict[str, str]) -> None:
    import pyarrow as pa  # only when pseudonymizing: keeps `import learnroi.store` light

    con.register(
        name,
        pa.table(
            {"raw": pa.array(list(mapping), pa.string()), "p": pa.array(list(mapping.values()), pa.string())}
        ),
    )


def _pseudonymize_good(ctx: BatchContext, spec: TableSpec, good: str) -> None:
    """Replace every identity by its HMAC (computed once per distinct value)."""
    con = ctx.con
    assert ctx.key is not None
    cols = [c for c, role in spec.identities.items() if role == "employee"]
    if "learner_email" in spec.identities:
        cols.append("learner_key")
    if spec.name == "employees":
        cols.append("_sha1_key")
    for col in cols:
        vals = [
            str(r[0])
            for r in con.execute(
                f"SELECT DISTINCT {ident(col)} FROM {good} WHERE {ident(col)} IS NOT NULL"
            ).fetchall()
        ]
        _register_map(con, "_pmap", {v: pseudonym(normalize(v), ctx.key) for v in vals})
        con.execute(f"UPDATE {good} SET {ident(col)} = m.p FROM _pmap m WHERE {good}.{ident(col)} = m.raw")
        con.unregister("_pmap")
    if "learner_email" in spec.identities:
        con.execute(f"UPDATE {good} SET learner_email = learner_key")


def track_identities(ctx: BatchContext, spec: TableSpec, source: str) -> None:
    """Remember this batch's identities (for the match rate); HRIS rows define identities, not use them."""
    if spec.name == "employees":
        return
    cols = (
        ["learner_key"]
        if "learner_email" in spec.identities
        else [f"lower({ident(c)})" for c, role in spec.identities.items() if role == "employee"]
    )
    for c in cols:
        ctx.con.execute(f"INSERT INTO _batch_ids SELECT DISTINCT {c} FROM {source} WHERE {c} IS NOT NULL")
        ctx.identity_columns.append(c)


def _apply_voids(ctx: BatchContext, voiders: str) -> int:
    """xAPI voiding statements (xAPI 1.0.3 §2.3.2): the voided statement stops being current."""
    con = ctx.con
    n = _count(
        con,
        "SELECT count(*) FROM hist_lms_events WHERE _superseded_by IS NULL AND source = 'xapi' "
        f"AND event_id IN (SELECT _voids FROM {voiders})",
    )
    if n:
        con.execute(
            f"UPDATE hist_lms_events SET _superseded_by = {ctx.batch_id} WHERE _superseded_by IS NULL "
            f"AND source = 'xapi' AND event_id IN (SELECT _voids FROM {voiders})"
        )
    ctx.voided += n
    return n
