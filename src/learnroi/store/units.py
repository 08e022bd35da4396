"""Load one readable unit (a CSV, a sheet, a JSON file, an LRS pull) into the open batch.

Chooses the canonical table from the header (or the mapping), proposes a mapping with ``--infer``, and
routes xAPI statements through the statement extractor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from learnroi.core.errors import DataError, LearnroiError, UsageError
from learnroi.sources.canonical import canonical_sql
from learnroi.sources.mapping import Mapping, infer_mapping
from learnroi.sources.readers import (
    RawFile,
    Staged,
    flatten_json,
    ident,
    lazy_csv,
    stage,
    stage_json_texts,
)
from learnroi.sources.schema import KIND_TABLES, TableSpec
from learnroi.sources.wide import unpivot
from learnroi.sources.xapi import (
    extract,
    is_xapi,
    split_voiding,
    stage_statement_lines,
    xapi_exprs,
    xapi_extras,
)
from learnroi.store.db import Store
from learnroi.store.merge import BatchContext, Prepared, Restage, missing_columns_error, prepare_staged


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def choose_table(
    kind: str, staged: Staged, m: Mapping, infer: bool, samples: Callable[[], dict[str, list[str]]]
) -> tuple[TableSpec, Mapping]:

    cands = KIND_TABLES[kind]
    if m.table:
        cands = tuple(t for t in cands if t.name == m.table)
        if not cands:
            raise UsageError(
                f"the mapping targets {m.table!r}, which kind {kind!r} does not load",
                hint=f"Use kind {next(k for k, ts in KIND_TABLES.items() if any(t.name == m.table for t in ts))!r}.",
            )
    scored = []
    for spec in cands:
        absent = canonical_sql(spec, m, staged.header, staged.table, staged.row_expr).absent_required
        if not absent:
            return spec, m
        scored.append((len(absent), spec, absent))
    scored.sort(key=lambda t: t[0])
    _, best, absent = scored[0]
    if infer:
        for _, spec, _ in scored:
            proposal = infer_mapping(staged.header, spec, samples())
            if not canonical_sql(
                spec, proposal, staged.header, staged.table, staged.row_expr
            ).absent_required:
                return spec, proposal
        partial = infer_mapping(staged.header, best, samples())
        still = canonical_sql(best, partial, staged.header, staged.table, staged.row_expr).absent_required
        err = missing_columns_error(staged, best, still, m)
        raise DataError(
            err.message + " (--infer could not place them)",
            where=err.where,
            hint="Save this proposal as a .toml file, fill in the missing columns (or [constants]) and pass it "
            f"with --mapping:\n{partial.to_toml()}",
        )
    raise missing_columns_error(staged, best, absent, m)


def choose_spec(
    store: Store, staged: Staged, kind: str, m: Mapping, infer: bool, proposals: list[str]
) -> tuple[TableSpec, Mapping]:
    """The canonical table and mapping for a staged file; an inferred mapping is added to ``proposals``."""
    spec, used = choose_table(kind, staged, m, infer, samples(store, staged))
    if used is not m:
        proposals.append(f"# proposed for {staged.raw.label}\n{used.to_toml()}")
    return spec, used


def canonical_extras(spec: TableSpec) -> dict[str, str]:
    """Constant columns a file of ``spec`` gets besides its mapped ones (an LMS row's ``source``)."""
    return {"source": "'lms'"} if spec.name == "lms_events" else {}


def samples(store: Store, staged: Staged) -> Callable[[], dict[str, list[str]]]:
    def get() -> dict[str, list[str]]:
        cols = [c for c in staged.header if c != "j"]
        if not cols:
            return {}
        sel = ", ".join(ident(c) for c in cols)
        rows = store.con.execute(f"SELECT {sel} FROM {staged.table} LIMIT 20").fetchall()
        return {c: [str(r[i]) for r in rows if r[i] is not None] for i, c in enumerate(cols)}

    return get


def prepare_unit(
    store: Store,
    ctx: BatchContext,
    raw: RawFile,
    kind: str,
    m: Mapping,
    infer: bool,
    tz: str | None,
    digest: str,
    proposals: list[str],
    n: int,
) -> Prepared:
    """Read, type and check one unit before the batch's transaction (see :class:`Prepared`)."""
    con = store.con
    if raw.format == "csv" and m.unpivot is None:
        lazy = lazy_csv(con, raw, f"_stage{n}", delimiter=m.delimiter)
        if lazy is not None:
            try:
                return _prepare_table(store, ctx, lazy, kind, m, infer, tz, digest, proposals, n)
            except Restage:
                con.execute(f"DROP TABLE IF EXISTS _good{n}")
    if kind == "xapi" and raw.format == "jsonl":
        lines = stage_statement_lines(con, raw, f"_stage{n}", f"_stage{n}_rej")
        return _prepare_xapi(ctx, lines, m, tz, digest, n, extracted=True)
    staged = stage(con, raw, f"_stage{n}", delimiter=m.delimiter)
    if raw.format in ("json", "jsonl"):
        if kind in ("xapi", "lms") and is_xapi(con, staged):
            return _prepare_xapi(ctx, staged, m, tz, digest, n)
        if kind == "xapi":
            raise DataError(
                "these JSON objects are not xAPI statements (no actor/verb)",
                where=raw.label,
                hint="Pass xAPI statements (JSON lines or an array), or use the kind that matches the file.",
            )
        staged = flatten_json(con, staged)
    if m.unpivot is not None and kind != "xapi":
        staged = unpivot(con, staged, m.unpivot)
    elif kind == "xapi":
        raise DataError(
            "xAPI statements must be JSON",
            where=raw.label,
            hint="Pass .jsonl / .json statements or an LRS URL.",
        )
    return _prepare_table(store, ctx, staged, kind, m, infer, tz, digest, proposals, n)


def _prepare_table(
    store: Store,
    ctx: BatchContext,
    staged: Staged,
    kind: str,
    m: Mapping,
    infer: bool,
    tz: str | None,
    digest: str,
    proposals: list[str],
    n: int,
) -> Prepared:
    spec, used = choose_spec(store, staged, kind, m, infer, proposals)
    extras = canonical_extras(spec)
    if staged.unpivoted:
        extras |= {"_src_row": "_src_row", "_src_col": "_src_col"}
    return prepare_staged(ctx, staged, spec, used, tz or used.timezone or "UTC", digest, n, extras=extras)


def _prepare_xapi(
    ctx: BatchContext,
    staged: Staged,
    m: Mapping,
    tz: str | None,
    digest: str | None,
    n: int,
    extracted: bool = False,
) -> Prepared:
    spec = KIND_TABLES["xapi"][0]
    if not extracted:
        staged = extract(ctx.con, staged)
    voiders = split_voiding(ctx.con, staged)
    ctx.con.execute(f"DROP TABLE IF EXISTS _voiders{n}; ALTER TABLE _voiders RENAME TO _voiders{n}")
    xm = replace(m, identity=False, columns={}, table=None) if m.identity else m
    return prepare_staged(
        ctx,
        staged,
        spec,
        xm,
        tz or m.timezone or "UTC",
        digest,
        n,
        raw_exprs=xapi_exprs(),
        extras=xapi_extras(),
        pre_skipped=voiders,
        voiders=f"_voiders{n}",
    )


@dataclass(frozen=True)
class LrsPull:
    """Statements pulled from an LRS (prepared) and the cursor to store with the batch."""

    prepared: Prepared
    url: str
    since: str | None
    more: str | None


def prepare_lrs(
    store: Store, ctx: BatchContext, url: str, since: str | None, tz: str | None, notes: list[str], n: int
) -> LrsPull:
    """Pull an LRS's statements (resuming from the stored cursor) and prepare them."""
    from learnroi.sources.lrs import first_url, pages

    con = store.con
    cur = con.execute("SELECT since, more FROM lrs_cursors WHERE url = ?", [url]).fetchone()
    start = (
        str(cur[1]) if cur and cur[1] else first_url(url, since or (str(cur[0]) if cur and cur[0] else None))
    )
    items: list[str] = []
    more = ""
    n_pages = 0
    try:
        for page in pages(start):
            items.extend(page.statements)
            n_pages += 1
            more = page.more
    except LearnroiError as exc:
        if not n_pages:
            raise
        notes.append(
            f"the pull stopped after {n_pages} page(s) ({exc.message}); run the same command to resume"
        )
    raw = RawFile(Path("lrs"), "json", url=url)
    staged = stage_json_texts(con, raw, f"_stage{n}", f"_stage{n}_rej", items)
    newest = (
        con.execute(
            "SELECT max(coalesce(json_extract_string(j, '$.stored'), json_extract_string(j, '$.timestamp'))) "
            "FROM (SELECT unnest(?) AS j)",
            [items],
        ).fetchone()
        if items
        else None
    )
    prepared = _prepare_xapi(ctx, staged, Mapping(), tz, None, n)
    prev_since = str(cur[0]) if cur and cur[0] else since
    return LrsPull(prepared, url, newest[0] if newest and newest[0] else prev_since, more or None)


def save_cursor(store: Store, pull: LrsPull) -> None:
    """Record where the next pull starts (inside the batch's transaction)."""
    store.con.execute(
        "INSERT OR REPLACE INTO lrs_cursors VALUES (?, ?, ?, ?)", [pull.url, pull.since, pull.more, _now()]
    )
