"""xAPI statements (IEEE 9274.1.1 / xAPI 1.0.3 and 2.0) as learning events, extracted in SQL.

The learner is the actor's inverse functional identifier (xAPI 1.0.3 §2.4.2.1): ``mbox`` (email),
``mbox_sha1sum`` (matched against SHA-1 of ``mailto:<HR email>``), ``account.name`` or ``openid``; an
identified Group counts as one learner. Verbs map to ``event_type`` (ADL ``registered`` -> ``enrolled``;
others keep their last path segment). Activity ids ``…/activities/<program>/<course>/<module>`` give the
catalog ids; other ids become ``module_id`` with the context's parent/grouping as course/program.
``result.score`` raw/max (or scaled on 0-1), ``result.duration`` (ISO 8601), ``success``, ``completion``
and ``context.registration`` are kept. Voiding statements (§2.3.2) void the statement they reference.
"""

from __future__ import annotations

import duckdb

from learnroi.sources.readers import Staged

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
EXT = "https://learnroi.dev/xapi/"

VERB_EVENTS: dict[str, str] = {
    "http://adlnet.gov/expapi/verbs/registered": "enrolled",
    "http://adlnet.gov/expapi/verbs/launched": "launched",
    "http://adlnet.gov/expapi/verbs/initialized": "launched",
    "http://adlnet.gov/expapi/verbs/completed": "completed",
    "http://adlnet.gov/expapi/verbs/attempted": "attempted",
    "http://adlnet.gov/expapi/verbs/passed": "passed",
    "http://adlnet.gov/expapi/verbs/failed": "failed",
    "http://adlnet.gov/expapi/verbs/scored": "attempted",
    "https://w3id.org/xapi/adl/verbs/registered": "enrolled",
    "http://id.tincanapi.com/verb/viewed": "launched",
}


def _s(path: str) -> str:
    return f"json_extract_string(j, '{path}')"


def _activity_part(i: int) -> str:
    return (
        f"nullif(regexp_extract({_s('$.object.id')}, "
        f"'/activities/([^/?#]+)(?:/([^/?#]+))?(?:/([^/?#]+))?/?$', {i}), '')"
    )


def _ext(name: str) -> str:
    ctx = _s('$.context.extensions."' + EXT + name + '"')
    res = _s('$.result.extensions."' + EXT + name + '"')
    return f"coalesce({ctx}, {res})"


def xapi_exprs() -> dict[str, str]:
    """Text SQL expressions (over the JSON column ``j``) for each canonical learning-event column."""
    verb = _s("$.verb.id")
    verb_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in VERB_EVENTS.items())
    is_ours = f"regexp_matches(coalesce({_s('$.object.id')}, ''), '/activities/')"
    scaled = f"TRY_CAST({_s('$.result.score.scaled')} AS DOUBLE)"
    return {
        "event_id": _s("$.id"),
        "learner_email": (
            f"coalesce(regexp_replace({_s('$.actor.mbox')}, '^mailto:', '', 'i'), {_s('$.actor.mbox_sha1sum')}, "
            f"{_s('$.actor.account.name')}, {_s('$.actor.openid')})"
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
