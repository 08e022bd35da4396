"""The access log of learner-level exports (contracts §2, Privacy): who exported which rows, when, where to.

The table is created by the store's migration ``010_metrics.sql``; :func:`record_access` runs the same DDL
(idempotent) first, so an export is never lost on a store that predates the migration.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from learnroi.core.errors import EnvironmentProblem


def _ddl() -> str:
    return (
        resources.files("learnroi.store").joinpath("migrations/010_metrics.sql").read_text(encoding="utf-8")
    )


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


def record_access(
    con: Any,
    *,
    command: str,
    grain: str,
    rows: int,
    program: str | None = None,
    kpis: Sequence[str] | None = None,
    output: str | None = None,
) -> int:
    """Append one learner-level export to ``access_log`` on a DuckDB connection; return its ``access_id``."""
    try:
        con.execute(_ddl())
        got = con.execute(
            "INSERT INTO access_log (accessed_at, actor, command, grain, program_id, kpis, n_rows, output) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING access_id",
            [
                datetime.now(UTC).replace(tzinfo=None),
                _actor(),
                command,
                grain,
                program,
                ",".join(kpis) if kpis else None,
                int(rows),
                output,
            ],
        ).fetchone()
    except Exception as exc:  # duckdb raises its own error types (read-only file, lock held…)
        raise EnvironmentProblem(
            f"could not record the learner-level export in the access log: {exc}",
            where="access_log",
            hint="Open the store writable (no other process holding it) and run the export again.",
        ) from None
    return int(got[0]) if got else 0
