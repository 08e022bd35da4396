"""Typed canonical rows from text columns, in SQL: one vectorized pass, every failure kept with its reason.

:func:`canonical_sql` turns a staging table of text columns into the canonical columns of a
:class:`TableSpec`, plus ``_problems`` (for a refused row, the list of {col, value, reason}),
``_bad`` (any refusal), ``_skip`` (why a row is skipped on purpose,
e.g. a report's header-like row) and ``_rowhash`` (for quarantining the same bad row only once).
Durations (``PT1M30S`` ISO 8601, ``HHHH:MM:SS.SS`` SCORM 1.2, ``3m 17s``, ``12 mins 5 secs``) become
seconds; timestamps become UTC; dates stay dates.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnroi.sources.identity import normalize_sql, trimmed_sql
from learnroi.sources.mapping import Mapping
from learnroi.sources.readers import ident, sql_str
from learnroi.sources.schema import UNIT_RANGES, ColType, TableSpec

_ISO_DUR = r"^P(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
_HMS = r"^(\d+):(\d{1,2}):(\d{1,2}(\.\d+)?)$"
_TEXT_DUR = r"^(\s*\d+(\.\d+)?\s*(h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)\s*,?)+$"
_HAS_OFFSET = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"
_ISO_TS = r"^\d{4}-\d{2}-\d{2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
_TRUE = "('true','t','1','yes','y')"
_FALSE = "('false','f','0','no','n')"


@dataclass(frozen=True)
class CanonicalPlan:
    """The SQL and what it needs: the mapped source columns per canonical column, and the absent ones."""

    sql: str
    sources: dict[str, tuple[str, ...]]
    absent_required: tuple[str, ...]


def _num(expr: str, decimal_comma: bool) -> str:
    e = f"replace({expr}, ',', '.')" if decimal_comma else expr
    return f"TRY_CAST({e} AS DOUBLE)"


def _unit(expr: str, unit: str) -> str:
    pattern = {
        "H": r"(\d+(\.\d+)?)H",
        "M": r"T.*?(\d+(\.\d+)?)M",
        "S": r"(\d+(\.\d+)?)S",
        "D": r"(\d+(\.\d+)?)D",
    }
    pattern["W"] = r"(\d+(\.\d+)?)W"
    return f"coalesce(TRY_CAST(regexp_extract({expr}, '{pattern[unit]}', 1) AS DOUBLE), 0)"


def _text_unit(expr: str, words: str) -> str:
    return (
        f"coalesce(list_sum(list_transform(regexp_extract_all(lower({expr}), "
        f"'(\\d+(?:\\.\\d+)?)\\s*(?:{words})\\b', 1), x -> TRY_CAST(x AS DOUBLE))), 0)"
    )


def duration_sql(r: str, fmt: str, decimal_comma: bool) -> str:
    """Seconds from a duration in any of the supported notations (NULL when unreadable)."""
    factor = {"minutes": 60, "hours": 3600}.get(fmt, 1)
    iso = (
        f"({_unit(r, 'W')} * 604800 + {_unit(r, 'D')} * 86400 + {_unit(r, 'H')} * 3600 "
        f"+ {_unit(r, 'M')} * 60 + {_unit(r, 'S')})"
    )
    hms = (
        f"(TRY_CAST(regexp_extract({r}, '{_HMS}', 1) AS DOUBLE) * 3600 + "
        f"TRY_CAST(regexp_extract({r}, '{_HMS}', 2) AS DOUBLE) * 60 + "
        f"TRY_CAST(regexp_extract({r}, '{_HMS}', 3) AS DOUBLE))"
    )
    text = (
        f"({_text_unit(r, 'hours|hour|hrs|hr|h')} * 3600 + {_text_unit(r, 'minutes|minute|mins|min|m')} * 60 "
        f"+ {_text_unit(r, 'seconds|second|secs|sec|s')})"
    )
    simple = f"TRY_CAST(substr({r}, 3, length({r}) - 3) AS DOUBLE)"  # the common PT<seconds>S
    return (
        f"CASE WHEN isfinite({_num(r, decimal_comma)}) THEN {_num(r, decimal_comma)} * {factor} "
        f"WHEN starts_with({r}, 'PT') AND ends_with({r}, 'S') AND isfinite({simple}) AND {simple} >= 0 "
        f"THEN {simple} "
        f"WHEN regexp_matches({r}, '{_ISO_DUR}') AND {r} NOT IN ('P', 'PT') THEN {iso} "
        f"WHEN regexp_matches({r}, '{_HMS}') THEN {hms} "
        f"WHEN regexp_matches(lower({r}), '{_TEXT_DUR}') THEN {text} END"
    )


def _iso_timestamp(r: str, z: str) -> str:
    """Any ISO 8601 form (offset or not, T or space, fractions); zone-less text is local time in ``z``."""
    return (
        f"CASE WHEN NOT regexp_matches({r}, '{_ISO_TS}', 'i') THEN NULL "
        f"WHEN regexp_matches({r}, '{_HAS_OFFSET}', 'i') "
        f"THEN make_timestamp(epoch_us(TRY_CAST({r} AS TIMESTAMPTZ))) "
        f"ELSE make_timestamp(epoch_us(timezone({z}, TRY_CAST({r} AS TIMESTAMP)))) END"
    )


def timestamp_sql(r: str, fmt: str, tz: str) -> str:
    """UTC TIMESTAMP (``make_timestamp(epoch_us(...))``: cheaper than an ICU zone conversion) from text in ``fmt`` (iso, epoch_s, epoch_ms, dotnet or a strptime pattern)."""
    z = sql_str(tz)
    if fmt == "iso":
        fast = f"make_timestamp(epoch_us(try_strptime({r}, '%Y-%m-%dT%H:%M:%S%z')))"  # the canonical form, strict
        return f"coalesce({fast}, {_iso_timestamp(r, z)})"
    if fmt in ("epoch_s", "epoch_ms", "dotnet"):
        if fmt == "dotnet":
            num = (
                f"TRY_CAST(regexp_extract({r}, '^/Date\\((-?\\d+)([+-]\\d{{4}})?\\)/$', 1) AS DOUBLE) / 1000"
            )
        else:
            num = f"TRY_CAST({r} AS DOUBLE)" + (" / 1000" if fmt == "epoch_ms" else "")
        return f"make_timestamp(epoch_us(to_timestamp({num})))"
    if "%z" in fmt or "%Z" in fmt:
        return f"make_timestamp(epoch_us(try_strptime({r}, {sql_str(fmt)})))"
    return f"make_timestamp(epoch_us(timezone({z}, try_strptime({r}, {sql_str(fmt)}))))"


def date_sql(r: str, fmt: str) -> str:
    if fmt == "iso":
        return f"CASE WHEN regexp_matches({r}, '{_ISO_TS}', 'i') THEN TRY_CAST(TRY_CAST({r} AS TIMESTAMP) AS DATE) END"
    if fmt in ("epoch_s", "epoch_ms", "dotnet"):
        return f"CAST({timestamp_sql(r, fmt, 'UTC')} AS DATE)"
    return f"CAST(try_strptime({r}, {sql_str(fmt)}) AS DATE)"


def typed_sql(r: str, kind: ColType, column: str, m: Mapping, tz: str) -> str:
    if column == "duration_seconds":
        return duration_sql(r, m.duration_format, m.decimal_comma)
    if kind == "string":
        return r
    if kind == "float":
        return f"CASE WHEN isfinite({_num(r, m.decimal_comma)}) THEN {_num(r, m.decimal_comma)} END"
    if kind == "int":
        d = _num(r, m.decimal_comma)
        return f"CASE WHEN {d} = round({d}) AND abs({d}) < 2147483647 THEN CAST({d} AS INTEGER) END"
    if kind == "bool":
        return f"CASE WHEN lower({r}) IN {_TRUE} THEN true WHEN lower({r}) IN {_FALSE} THEN false END"
    if kind == "date":
        return date_sql(r, m.date_format)
    return timestamp_sql(r, m.timestamp_format, m.timezone or tz)


def cleaned_sql(expr: str, m: Mapping, kind: ColType) -> str:
    """Trimmed text; empty, a declared missing token, ``0000-00-00`` (dates) or ``0`` (epochs) -> NULL."""
    tokens = list(m.missing)
    if kind == "date":
        tokens.append("0000-00-00")
    if kind == "timestamp" and m.timestamp_format in ("epoch_s", "epoch_ms"):
        tokens.append("0")
    t = trimmed_sql(expr)
    if tokens:
        return (
            f"CASE WHEN {t} IN ({', '.join(sql_str(x) for x in tokens)}) THEN NULL ELSE nullif({t}, '') END"
        )
    return f"nullif({t}, '')"


def canonical_sql(
    spec: TableSpec,
    m: Mapping,
    header: tuple[str, ...],
    source: str,
    row_expr: str,
    tz: str = "UTC",
    raw_exprs: dict[str, str] | None = None,
    extras: dict[str, str] | None = None,
) -> CanonicalPlan:
    """The SELECT producing canonical typed columns with their refusal reasons from ``source``.

    ``raw_exprs`` (xAPI) gives a text SQL expression per canonical column instead of header columns.
    """
    srcs = m.source_columns(spec, header) if raw_exprs is None else {}
    inner: list[str] = [f"{row_expr} AS _row"]
    present: list[str] = []
    for col, kind in spec.columns:
        expr: str | None
        if col in m.constants:
            expr = sql_str(m.constants[col])
        elif raw_exprs is not None:
            expr = raw_exprs.get(col)
            expr = cleaned_sql(expr, m, kind) if expr else None
        elif srcs.get(col):
            parts = [cleaned_sql(ident(s), m, kind) for s in srcs[col]]
            expr = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
        else:
            expr = None
        if expr is not None and col in m.values and m.values[col]:
            table = m.values[col]
            cases = " ".join(
                f"WHEN {sql_str(k)} THEN {sql_str(v) if v else 'NULL'}" for k, v in table.items() if k != "*"
            )
            default = (
                expr if "*" not in table else (sql_str(table["*"]) if table["*"] else "CAST(NULL AS VARCHAR)")
            )
            expr = f"CASE {expr} {cases} ELSE {default} END" if cases else default
        inner.append(f"{expr if expr is not None else 'CAST(NULL AS VARCHAR)'} AS {ident('r_' + col)}")
        if expr is not None:
            present.append(col)
    for name, expr in (extras or {}).items():
        inner.append(f"{expr} AS {ident(name)}")
    drop = [
        f"regexp_matches(CAST({ident(c)} AS VARCHAR), {sql_str(p)})"
        for c, p in m.drop_rows.items()
        if c in header
    ]
    inner.append(f"{' OR '.join(drop) if drop else 'false'} AS _drop")

    mid: list[str] = ["_row", "_drop", *(ident(n) for n in extras or {})]
    for col, kind in spec.columns:
        r = ident("r_" + col)
        mid.append(f"{r}")
        mid.append(f"{typed_sql(r, kind, col, m, tz)} AS {ident(col)}")
        if spec.identities.get(col) == "learner":
            mid.append(f"{normalize_sql(r)} AS learner_key")

    outer: list[str] = ["_row", *(ident(n) for n in extras or {})]
    problems: list[str] = []
    for col, kind in spec.columns:
        r, t = ident("r_" + col), ident(col)
        checks: list[str] = []
        if col in spec.required:
            checks.append(f"WHEN {r} IS NULL THEN 'missing (required)'")
        if kind != "string" or col == "duration_seconds":
            checks.append(f"WHEN {r} IS NOT NULL AND {t} IS NULL THEN {sql_str(_type_reason(col, kind, m))}")
        if col in spec.allowed:
            allowed = ", ".join(sql_str(a) for a in spec.allowed[col])
            checks.append(
                f"WHEN {t} NOT IN ({allowed}) THEN {sql_str('not one of: ' + ', '.join(spec.allowed[col]))}"
            )
        if col in UNIT_RANGES:
            lo, hi = UNIT_RANGES[col]
            checks.append(f"WHEN {t} < {lo} OR {t} > {hi} THEN 'outside {lo:g}-{hi:g}'")
        if col == "timestamp" and kind == "timestamp":
            checks.append(
                f"WHEN {t} < TIMESTAMP '1971-01-01' OR {t} > TIMESTAMP '2200-01-01' THEN 'implausible date'"
            )
        p = f"CASE {' '.join(checks)} END" if checks else "CAST(NULL AS VARCHAR)"
        outer.append(t)
        outer.append(f"{p} AS {ident('_p_' + col)}")
        problems.append(ident("_p_" + col))
        if spec.identities.get(col) == "learner":
            outer.append("learner_key")
    skip_checks = ["WHEN _drop THEN 'dropped by the mapping (drop_rows)'"] + [
        f"WHEN {ident('r_' + c)} IS NULL THEN {sql_str('no ' + c + ' (skip_if_missing)')}"
        for c in m.skip_if_missing
    ]
    outer.append(f"CASE {' '.join(skip_checks)} END AS _skip")
    outer += [ident("r_" + c) for c in spec.column_names]
    # the last level reads the reasons computed once above (a lateral alias would recompute them)
    any_problem = f"coalesce({', '.join(problems)}) IS NOT NULL"
    raw_cols = ", ".join(f"coalesce({ident('r_' + c)}, chr(0))" for c in spec.column_names)
    excluded = [ident("r_" + c) for c in spec.column_names] + problems
    items = []
    for c in spec.column_names:
        src = srcs.get(c) or ()
        label = f"{c} [{' / '.join(src)}]" if src and src != (c,) else c
        items.append(f"{{'col': {sql_str(label)}, 'value': {ident('r_' + c)}, 'reason': {ident('_p_' + c)}}}")
    # refusals travel as one list per bad row (NULL for the others): a column per reason would hold
    # millions of NULL strings in memory
    final = [
        f"* EXCLUDE ({', '.join(excluded)})",
        f"{any_problem} AS _bad",
        f"CASE WHEN {any_problem} THEN md5_number(concat_ws(chr(31), {raw_cols})) END AS _rowhash",
        f"CASE WHEN {any_problem} THEN list_filter([{', '.join(items)}], q -> q.reason IS NOT NULL) END AS _problems",
    ]
    sql = (
        f"SELECT {', '.join(final)} FROM (SELECT {', '.join(outer)} FROM "
        f"(SELECT {', '.join(mid)} FROM (SELECT {', '.join(inner)} FROM {source})))"
    )
    absent = tuple(c for c in spec.required if c not in present)
    return CanonicalPlan(sql, srcs, absent)


def _type_reason(col: str, kind: ColType, m: Mapping) -> str:
    if col == "duration_seconds":
        return "not a duration (seconds, PT1M30S, HH:MM:SS or '3m 17s')"
    if kind == "timestamp":
        return f"not a timestamp in format {m.timestamp_format!r}"
    if kind == "date":
        return f"not a date in format {m.date_format!r}"
    return {"float": "not a number", "int": "not a whole number", "bool": "not true/false"}.get(
        kind, "invalid"
    )
