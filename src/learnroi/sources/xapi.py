"""xAPI statements (IEEE 9274.1.1 / xAPI 1.0.3 and 2.0) as learning events, extracted in SQL.

The learner is the actor's inverse functional identifier (xAPI 1.0.3 §2.4.2.1): ``mbox`` (email),
``mbox_sha1sum`` (matched against SHA-1 of ``mailto:<HR email>``), ``account.name`` or ``openid``; an
identified Group counts as one learner. Verbs map to ``event_type`` (ADL ``registered`` -> ``enrolled``,
``commented`` -> ``posted``, ``attended`` -> ``coached`` when the context extension
``https://learnroi.dev/xapi/session-type`` is ``coaching``; others keep their last path segment). Activity ids ``…/activities/<program>/<course>/<module>`` give the
catalog ids; other ids become ``module_id`` with the context's parent/grouping as course/program.
``result.score`` raw/max (or scaled on 0-1), ``result.duration`` (ISO 8601), ``success``, ``completion``
and ``context.registration`` are kept. Voiding statements (§2.3.2) void the statement they reference.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb

from learnroi.sources.readers import RawFile, Staged, sql_str

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
EXT = "https://learnroi.dev/xapi/"
SESSION_TYPE = EXT + "session-type"
"""Context extension telling a classroom session (``classroom``) from a coaching session (``coaching``)."""

VERB_EVENTS: dict[str, str] = {
    "http://adlnet.gov/expapi/verbs/registered": "enrolled",
    "http://adlnet.gov/expapi/verbs/launched": "launched",
    "http://adlnet.gov/expapi/verbs/initialized": "launched",
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/attempted": "attempted",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/failed": "failed",
    "http://adlnet.gov/expapi/verbs/scored": "attempted",
    "http://adlnet.gov/expapi/verbs/commented": "posted",
    ATTENDED: "attended",
    "https://w3id.org/xapi/adl/verbs/registered": "enrolled",
    "http://id.tincanapi.com/verb/viewed": "launched",
}


PATHS: tuple[str, ...] = (
    "$.id",
    "$.actor.mbox",
    "$.actor.mbox_sha1sum",
    "$.actor.account.name",
    "$.actor.openid",
    "$.verb.id",
    "$.object.id",
    "$.object.objectType",
    "$.context.contextActivities.grouping[0].id",
    "$.context.contextActivities.parent[0].id",
    "$.timestamp",
    "$.stored",
    "$.result.score.raw",
    "$.result.score.scaled",
    "$.result.score.max",
    f'$.context.extensions."{EXT}assessment"',
    f'$.result.extensions."{EXT}assessment"',
    f'$.context.extensions."{EXT}attempt"',
    f'$.result.extensions."{EXT}attempt"',
    "$.result.duration",
    "$.context.registration",
    "$.result.success",
    "$.result.completion",
    f'$.context.extensions."{SESSION_TYPE}"',
)
"""Every path read from a statement, extracted in one parse per statement (``x[i]`` below)."""


def _s(path: str) -> str:
    return f"x[{PATHS.index(path) + 1}]"


def _act_sql() -> str:
    return (
        f"CASE WHEN contains(x[{_OBJ}], '/activities/') THEN string_split(split_part(split_part(split_part("
        f"x[{_OBJ}], '/activities/', 2), '?', 1), '#', 1), '/') END"
    )


def stage_statement_lines(con: duckdb.DuckDBPyConnection, raw: RawFile, name: str, rejects: str) -> Staged:
    """xAPI JSON lines in one streaming, parallel pass: each line validated and parsed once into ``x``.

    Lines that are not a JSON object go to ``rejects`` with their line number. The lines are numbered
    after the pass from the rowid of the table (filled in file order): a ``row_number()`` window in the
    pass ran it on one thread.
    """
    src = sql_str(str(raw.path))
    paths = ", ".join(sql_str(p) for p in PATHS)
    valid = (
        "starts_with(ltrim(j, ' ' || chr(65279)), '{') AND coalesce(json_valid(ltrim(j, chr(65279))), false)"
    )
    lines = (
        f"read_csv({src}, columns = {{'j': 'VARCHAR'}}, header = false, delim = '\x01', quote = '', "
        "escape = '', auto_detect = false, strict_mode = false, null_padding = true)"
    )
    table = f"{name}_x"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {rejects} (_row BIGINT, value VARCHAR, reason VARCHAR)")
    before = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = true")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(NULL AS BIGINT) AS _row, x, {_act_sql()} AS act, "
            f"bad, blank FROM (SELECT CASE WHEN {valid} THEN json_extract_string(ltrim(j, chr(65279)), [{paths}]) "
            f"END AS x, CASE WHEN NOT ({valid}) THEN left(j, 500) END AS bad, coalesce(trim(j) = '', true) AS blank FROM {lines})"
        )
    finally:
        con.execute(f"SET preserve_insertion_order = {str(before[0] if before else True).lower()}")
    row = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM {table}").fetchone()
    first, last, n = (int(v) if v is not None else 0 for v in (row or (0, 0, 0)))
    if n and last - first + 1 != n:  # never seen; if DuckDB ever leaves gaps, number with a window
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT row_number() OVER (ORDER BY rowid) AS _row, "
            f"* EXCLUDE (_row) FROM {table}"
        )
    else:
        con.execute(f"UPDATE {table} SET _row = rowid - {first} + 1")
    con.execute(f"DELETE FROM {table} WHERE blank")
    con.execute(
        f"INSERT INTO {rejects} SELECT _row, bad, 'not a JSON object' FROM {table} WHERE bad IS NOT NULL"
    )
    row = con.execute(f"SELECT count(*) FROM {rejects}").fetchone()
    bad = int(row[0]) if row else 0
    if bad:
        con.execute(f"DELETE FROM {table} WHERE bad IS NOT NULL")
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return Staged(raw, table, rejects, ("j",), int(row[0]) if row else 0, bad)


def extract(con: duckdb.DuckDBPyConnection, staged: Staged) -> Staged:
    """Parse each statement once: ``x`` = the list of :data:`PATHS` values (text)."""
    paths = ", ".join("'" + p.replace("'", "''") + "'" for p in PATHS)
    table = f"{staged.table}_x"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _row, x, {_act_sql()} AS act "
        f"FROM (SELECT _row, json_extract_string(j, [{paths}]) AS x FROM {staged.table})"
    )
    con.execute(f"DROP TABLE {staged.table}")
    return replace(staged, table=table)


_OBJ = PATHS.index("$.object.id") + 1


def _activity_part(i: int) -> str:
    """Program, course, module from ``…/activities/<program>/<course>/<module>`` (split in :func:`extract`)."""
    return f"nullif(act[{i}], '')"


def _ext(name: str) -> str:
    ctx = _s('$.context.extensions."' + EXT + name + '"')
    res = _s('$.result.extensions."' + EXT + name + '"')
    return f"coalesce({ctx}, {res})"


def xapi_exprs() -> dict[str, str]:
    """Text SQL expressions (over the extracted list ``x``) for each canonical learning-event column."""
    verb = _s("$.verb.id")
    session = _s(f'$.context.extensions."{SESSION_TYPE}"')
    coached = (
        f"WHEN '{ATTENDED}' THEN CASE WHEN lower({session}) = 'coaching' THEN 'coached' ELSE 'attended' END"
    )
    verb_case = " ".join(
        [coached, *(f"WHEN '{k}' THEN '{v}'" for k, v in VERB_EVENTS.items() if k != ATTENDED)]
    )
    is_ours = "act IS NOT NULL"
    scaled = f"TRY_CAST({_s('$.result.score.scaled')} AS DOUBLE)"
    mbox = _s("$.actor.mbox")
    return {
        "event_id": _s("$.id"),
        "learner_email": (
            f"coalesce(CASE WHEN starts_with(lower({mbox}), 'mailto:') THEN substr({mbox}, 8) ELSE {mbox} END, "
            f"{_s('$.actor.mbox_sha1sum')}, {_s('$.actor.account.name')}, {_s('$.actor.openid')})"
        ),
        "program_id": f"CASE WHEN {is_ours} THEN {_activity_part(1)} ELSE "
        f"{_s('$.context.contextActivities.grouping[0].id')} END",
        "course_id": f"CASE WHEN {is_ours} THEN {_activity_part(2)} ELSE "
        f"{_s('$.context.contextActivities.parent[0].id')} END",
        "module_id": f"CASE WHEN {is_ours} THEN {_activity_part(3)} ELSE {_s('$.object.id')} END",
        "event_type": f"CASE {verb} {verb_case} ELSE regexp_extract({verb}, '([^/#]+)$', 1) END",
        "timestamp": f"coalesce({_s('$.timestamp')}, {_s('$.stored')})",
        "score": f"coalesce({_s('$.result.score.raw')}, CAST({scaled} AS VARCHAR))",
        "max_score": f"coalesce({_s('$.result.score.max')}, CASE WHEN {scaled} IS NOT NULL THEN '1' END)",
        "assessment": _ext("assessment"),
        "attempt": _ext("attempt"),
        "duration_seconds": _s("$.result.duration"),
    }


def xapi_extras() -> dict[str, str]:
    """Typed extra columns kept in ``hist_lms_events``."""
    return {
        "source": "'xapi'",
        "registration": _s("$.context.registration"),
        "verb": _s("$.verb.id"),
        "activity_id": _s("$.object.id"),
        "success": f"TRY_CAST({_s('$.result.success')} AS BOOLEAN)",
        "completion": f"TRY_CAST({_s('$.result.completion')} AS BOOLEAN)",
    }


def split_voiding(con: duckdb.DuckDBPyConnection, staged: Staged) -> int:
    """Move voiding statements to temp table ``_voiders`` (column ``_voids``); return how many."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _voiders AS SELECT {_s('$.object.id')} AS _voids, _row FROM {staged.table} "
        f"WHERE {_s('$.verb.id')} = '{VOIDED}'"
    )
    row = con.execute("SELECT count(*) FROM _voiders").fetchone()
    n = int(row[0]) if row else 0
    if n:
        con.execute(f"DELETE FROM {staged.table} WHERE _row IN (SELECT _row FROM _voiders)")
    return n


def is_xapi(con: duckdb.DuckDBPyConnection, staged: Staged) -> bool:
    """Does a JSON staging table hold xAPI statements (objects with actor, verb and object)?"""
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE json_exists(j, '$.actor') AND json_exists(j, '$.verb')), count(*) "
        f"FROM (SELECT j FROM {staged.table} LIMIT 100)"
    ).fetchone()
    return bool(row and row[1] and row[0] == row[1])
