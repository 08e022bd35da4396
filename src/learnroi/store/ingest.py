"""``ingest``: every source file into the store as one atomic, idempotent batch (contracts §2).

A batch is one transaction: a killed process leaves the store as it was. Re-ingesting identical files
adds one batch row marked "no changes" and nothing else.
"""

from __future__ import annotations

import hashlib
import os
import time
import zoneinfo
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from learnroi.core.errors import DataError, UsageError
from learnroi.core.options import IngestKind, check_option
from learnroi.sources.identity import key_fingerprint, load_key
from learnroi.sources.mapping import Mapping, load_mapping
from learnroi.sources.readers import RawFile, describe
from learnroi.store.db import Store
from learnroi.store.direct import NotDirect, direct_unit
from learnroi.store.merge import BatchContext, Prepared, drop_prepared, merge_prepared
from learnroi.store.result import FileCounts, IngestResult, QuarantineRecord
from learnroi.store.rowhash import ensure_row_hashes
from learnroi.store.units import LrsPull, prepare_lrs, prepare_unit, save_cursor

Progress = Callable[[str, int, int], None]
"""progress(message, done, total): called as each file is read and merged."""
INGEST_MEMORY_ENV = "LEARNROI_INGEST_MEMORY"
DEFAULT_INGEST_MEMORY = "768MB"
PAUSE_ENV = "LEARNROI_TEST_PAUSE_IN_TRANSACTION"
"""Test hook: a file path; the ingest writes it and waits inside the write transaction (the kill test)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _resolve_mapping(mapping: Mapping | str | Path | None) -> Mapping:
    if mapping is None:
        return Mapping()
    if isinstance(mapping, Mapping):
        return mapping
    return load_mapping(mapping)


def _check_tz(tz: str | None) -> str | None:
    if tz is None:
        return None
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {tz!r}", hint="Pass an IANA name such as Europe/Berlin or America/New_York."
        ) from None
    return tz


def _pseudonym_key(store: Store, pseudonymize: bool) -> bytes | None:
    """The key, after checking the store is not mixing pseudonymized and raw identities."""
    rows = dict(store.con.execute("SELECT name, value FROM store_settings").fetchall())
    mode = rows.get("pseudonymized")
    if mode is not None and (mode == "true") != pseudonymize:
        raise UsageError(
            "this store was filled " + ("with" if mode == "true" else "without") + " --pseudonymize",
            where=str(store.path or ":memory:"),
            hint=("Add --pseudonymize" if mode == "true" else "Drop --pseudonymize")
            + " so identities stay consistent, or use a new --db.",
        )
    if not pseudonymize:
        return None
    key = load_key()
    fp = rows.get("key_fingerprint")
    if fp is not None and fp != key_fingerprint(key):
        raise UsageError(
            "the pseudonymization key differs from the one this store was filled with",
            where=str(store.path or ":memory:"),
            hint="Use the original LEARNROI_PSEUDONYM_KEY (or key file), or a new --db.",
        )
    return key


def ingest(
    store: Store,
    kind: str,
    paths: Sequence[str | Path],
    *,
    mapping: Mapping | str | Path | None = None,
    infer: bool = False,
    tz: str | None = None,
    max_quarantine: float = 0.01,
    pseudonymize: bool = False,
    progress: Progress | None = None,
    since: str | None = None,
) -> IngestResult:
    """Read ``paths`` (files, or one LRS statements URL for ``xapi``) into the store as one batch.

    Raises :class:`DataError` (and loads nothing) when the quarantined share exceeds ``max_quarantine``.
    """
    check_option(kind, IngestKind, "KIND")
    if store.read_only:
        raise UsageError("the store is open read-only", hint="Open it with Store.open(path) to ingest.")
    if not 0 <= max_quarantine <= 1:
        raise UsageError("--max-quarantine must be a share between 0 and 1", hint="For example 0.01 (1 %).")
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise UsageError("no file given", hint=f"learnroi ingest {kind} FILE [FILE…]")
    tz_name = _check_tz(tz)
    base_mapping = _resolve_mapping(mapping)
    key = _pseudonym_key(store, pseudonymize)
    ensure_row_hashes(store.con)
    urls = [str(p) for p in paths if str(p).startswith(("http://", "https://"))]
    if urls and (kind != "xapi" or len(paths) != 1):
        raise UsageError(
            "a URL is only accepted alone, for kind xapi", hint="learnroi ingest xapi URL [--since T]"
        )
    files = [Path(p) for p in paths] if not urls else []
    units = [(f, describe(f, base_mapping.encoding)) for f in files]
    # the files' SHA-256 (lineage) on a thread of its own while DuckDB reads them (hashlib frees the GIL)
    pool = ThreadPoolExecutor(max_workers=1)
    digests = {f: pool.submit(file_sha256, f) for f in files}
    source = "; ".join(urls or [str(f) for f in files])
    previous_limit = _limit_memory(store)
    try:
        if (
            not urls
            and kind != "xapi"
            and key is None
            and base_mapping.unpivot is None
            and units
            and all(raw.format == "csv" for _, raws in units for raw in raws)
            and not _read_before(store, [raw.label for _, raws in units for raw in raws])
        ):
            try:
                ctx = BatchContext(store.con, 0, kind, key)
                return _direct_batch(
                    store, ctx, units, digests, base_mapping, infer, tz_name, source, max_quarantine, progress
                )
            except NotDirect:  # rolled back: the general path decides row by row
                pass
        return _general_batch(
            store,
            kind,
            units,
            digests,
            urls,
            base_mapping,
            infer,
            tz_name,
            key,
            since,
            source,
            max_quarantine,
            progress,
        )
    finally:
        pool.shutdown(cancel_futures=True)
        store.con.execute(f"SET memory_limit = '{previous_limit}'")


def _read_before(store: Store, labels: list[str]) -> bool:
    """A file of this batch was loaded before (a re-ingest, or a newer export under the same name): its keys
    are likely stored, where the direct load would only give up after reading it once."""
    row = store.con.execute(
        "SELECT count(*) FROM batch_files f JOIN batches b USING (batch_id) WHERE b.undone_at IS NULL "
        "AND list_contains(?, f.file)",
        [labels],
    ).fetchone()
    return bool(row and row[0])


def _general_batch(
    store: Store,
    kind: str,
    units: list[tuple[Path, list[RawFile]]],
    digests: dict[Path, Future[str]],
    urls: list[str],
    base_mapping: Mapping,
    infer: bool,
    tz_name: str | None,
    key: bytes | None,
    since: str | None,
    source: str,
    max_quarantine: float,
    progress: Progress | None,
) -> IngestResult:
    """Every unit typed and checked into temp tables first, then merged row by row in one transaction."""
    con = store.con
    ctx = BatchContext(con, 0, kind, key)
    prepared: list[Prepared] = []
    proposals: list[str] = []
    notes: list[str] = []
    pull: LrsPull | None = None
    total = sum(len(u) for _, u in units) or 1
    try:
        # Reading, typing and checking touch only temp tables: done before the write transaction, whose
        # scans of temp tables created inside it ran on one thread (benchmarks/README.md "ingest").
        if urls:
            pull = prepare_lrs(store, ctx, urls[0], since, tz_name, notes, 0)
            prepared.append(pull.prepared)
        for path, raws in units:
            digest = digests[path].result()
            for raw in raws:
                if progress:
                    progress(f"reading {raw.label}", len(prepared), total)
                prepared.append(
                    prepare_unit(
                        store, ctx, raw, kind, base_mapping, infer, tz_name, digest, proposals, len(prepared)
                    )
                )
        return _write_batch(
            store,
            ctx,
            lambda: _merge_all(ctx, prepared, pull, store, progress),
            source,
            base_mapping,
            proposals,
            notes,
            max_quarantine,
        )
    finally:
        for p in prepared:
            drop_prepared(con, p)


def _direct_batch(
    store: Store,
    ctx: BatchContext,
    units: list[tuple[Path, list[RawFile]]],
    digests: dict[Path, Future[str]],
    m: Mapping,
    infer: bool,
    tz: str | None,
    source: str,
    max_quarantine: float,
    progress: Progress | None,
) -> IngestResult:
    """Clean CSVs straight into the store (:mod:`learnroi.store.direct`); raises NotDirect, rolled back."""
    total = sum(len(u) for _, u in units) or 1
    proposals: list[str] = []

    def load() -> list[FileCounts]:
        counts: list[FileCounts] = []
        for path, raws in units:
            for raw in raws:
                if progress:
                    progress(f"loading {raw.label}", len(counts), total)
                counts.append(
                    direct_unit(
                        store, ctx, raw, ctx.kind, m, infer, tz, digests[path], proposals, len(counts)
                    )
                )
        if progress:
            progress("loaded", total, total)
        return counts

    return _write_batch(store, ctx, load, source, m, proposals, [], max_quarantine)


def _merge_all(
    ctx: BatchContext, prepared: list[Prepared], pull: LrsPull | None, store: Store, progress: Progress | None
) -> list[FileCounts]:
    total = len(prepared) or 1
    counts: list[FileCounts] = []
    for i, p in enumerate(prepared):
        counts.append(merge_prepared(ctx, p))
        if progress:
            progress(f"merged {p.label}", total if i == len(prepared) - 1 else total - 1, total)
    if pull is not None:
        save_cursor(store, pull)
    return counts


def _write_batch(
    store: Store,
    ctx: BatchContext,
    merge_all: Callable[[], list[FileCounts]],
    source: str,
    m: Mapping,
    proposals: list[str],
    notes: list[str],
    max_quarantine: float,
) -> IngestResult:
    """The batch's one write transaction: merge every unit, check, record, commit."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute("SELECT nextval('batch_id_seq')").fetchone()
        assert row is not None
        ctx.batch_id = int(row[0])
        con.execute(
            "INSERT INTO batches (batch_id, kind, source, started_at, pseudonymized, mapping) VALUES (?, ?, ?, ?, ?, ?)",
            [ctx.batch_id, ctx.kind, source, _now(), ctx.key is not None, m.name],
        )
        con.execute("CREATE OR REPLACE TEMP TABLE _batch_ids (identity_key VARCHAR)")
        counts = merge_all()
        examples = [
            QuarantineRecord(str(r[0]), r[1], r[2], r[3], str(r[4]))
            for r in con.execute(
                'SELECT file, "row", "column", value, reason FROM quarantine WHERE batch_id = ? '
                'ORDER BY file, "row" LIMIT 10',
                [ctx.batch_id],
            ).fetchall()
        ]
        result = _finish(store, ctx, counts, m, examples, proposals, notes)
        _check_threshold(result, max_quarantine)
        _record(store, ctx, result)
        _pause_for_kill_test()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _batch_ids")
    return result


def _limit_memory(store: Store) -> str:
    """Cap DuckDB's memory for the batch (``LEARNROI_INGEST_MEMORY``, default 768MB; staged tables spill
    to disk beyond it) so that a 10M-row export stays within the benchmark's 1.5 GB peak RSS (with 2
    threads the process peaked at 1.4-1.7 GB under a 1GB cap, 1.1 GB under 768MB, and was not slower:
    benchmarks/README.md "ingest"); returns the old limit."""
    row = store.con.execute("SELECT current_setting('memory_limit')").fetchone()
    previous = str(row[0]) if row else "80%"
    wanted = os.environ.get(INGEST_MEMORY_ENV, DEFAULT_INGEST_MEMORY)
    try:
        store.con.execute(f"SET memory_limit = '{wanted.replace(chr(39), '')}'")
    except duckdb.Error:
        raise UsageError(
            f"{INGEST_MEMORY_ENV}={wanted!r} is not a memory size", hint="Use a size such as 1GB or 2500MB."
        ) from None
    return previous


def _finish(
    store: Store,
    ctx: BatchContext,
    counts: list[FileCounts],
    m: Mapping,
    examples: list[QuarantineRecord],
    proposals: list[str],
    notes: list[str],
) -> IngestResult:
    con = store.con
    match_rate: float | None = None
    unmatched: tuple[str, ...] = ()
    if ctx.identity_columns:
        rows = con.execute(
            "SELECT i.identity_key, im.employee_id IS NOT NULL FROM (SELECT DISTINCT identity_key FROM _batch_ids) i "
            "LEFT JOIN identity_map im USING (identity_key) ORDER BY i.identity_key"
        ).fetchall()
        if rows:
            match_rate = sum(1 for r in rows if r[1]) / len(rows)
            unmatched = tuple(str(r[0]) for r in rows if not r[1])
    totals = {
        f: sum(getattr(c, f) for c in counts)
        for f in ("rows_read", "loaded", "quarantined", "skipped", "superseded", "voided")
    }
    no_changes = (
        totals["loaded"] == 0
        and totals["superseded"] == 0
        and totals["voided"] == 0
        and ctx.new_quarantine_rows == 0
    )
    if match_rate is not None and unmatched:
        notes.append(
            f"{len(unmatched)} identities are not in the HRIS; they are loaded and left out of the panel"
        )
    return IngestResult(
        batch_id=ctx.batch_id,
        kind=ctx.kind,
        files=tuple(counts),
        no_changes=no_changes,
        match_rate=match_rate,
        unmatched=unmatched,
        mapping=m.name,
        pseudonymized=ctx.key is not None,
        quarantine_examples=tuple(examples),
        proposed_mapping="\n".join(proposals) or None,
        notes=tuple(notes),
        **totals,
    )


def _check_threshold(result: IngestResult, limit: float) -> None:
    if result.rows_read == 0 or result.quarantined / result.rows_read <= limit:
        return
    share = result.quarantined / result.rows_read
    shown = "\n".join(f"  {q.render()}" for q in result.quarantine_examples[:5])
    raise DataError(
        f"{result.quarantined:,} of {result.rows_read:,} rows ({share:.1%}) were refused, over the "
        f"--max-quarantine limit of {limit:.1%}; nothing was loaded. First problems:\n{shown}",
        where=", ".join(f.file for f in result.files if f.quarantined)[:300],
        hint="Fix those rows in the source, map the columns and formats with --mapping (docs/howto/ingest-an-lms-export.md), "
        f"or accept them with --max-quarantine {min(1.0, round(share + 0.005, 3))}.",
    )


def _record(store: Store, ctx: BatchContext, r: IngestResult) -> None:
    con = store.con
    con.execute(
        "UPDATE batches SET finished_at = ?, rows_read = ?, loaded = ?, quarantined = ?, skipped = ?, superseded = ?, "
        "no_changes = ?, match_rate = ?, unmatched = ? WHERE batch_id = ?",
        [
            _now(),
            r.rows_read,
            r.loaded,
            r.quarantined,
            r.skipped,
            r.superseded + r.voided,
            r.no_changes,
            r.match_rate,
            len(r.unmatched) if r.match_rate is not None else None,
            r.batch_id,
        ],
    )
    for f in r.files:
        con.execute(
            "INSERT INTO batch_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.batch_id,
                f.file,
                f.sha256,
                f.target,
                f.rows_read,
                f.loaded,
                f.quarantined,
                f.skipped,
                f.superseded + f.voided,
            ],
        )
    con.execute(
        "INSERT OR REPLACE INTO store_settings VALUES ('pseudonymized', ?)", ["true" if ctx.key else "false"]
    )
    if ctx.key:
        con.execute(
            "INSERT OR REPLACE INTO store_settings VALUES ('key_fingerprint', ?)", [key_fingerprint(ctx.key)]
        )


def _pause_for_kill_test() -> None:
    flag = os.environ.get(PAUSE_ENV)
    if not flag:
        return
    Path(flag).write_text("paused inside the write transaction\n", encoding="utf-8")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and Path(flag).exists():
        time.sleep(0.05)
