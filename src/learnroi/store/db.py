"""The embedded DuckDB store: open a file, apply numbered migrations, hand out the connection.

Migrations are ``NNN_name.sql`` files in ``learnroi/store/migrations`` (several developers add their own
numbers). Each is applied once, in number order, in its own transaction, and recorded in
``schema_migrations`` (version, name, checksum, time) -- the sqlite-utils / datasette habit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType

import duckdb

from learnroi.core.errors import EnvironmentProblem

_MIGRATION_NAME = re.compile(r"^(\d{3})_([A-Za-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One numbered SQL migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


def discover_migrations() -> list[Migration]:
    """Every ``NNN_*.sql`` file of the migrations package, in number order."""
    found: list[Migration] = []
    folder = resources.files("learnroi.store") / "migrations"
    for entry in folder.iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m and entry.is_file():
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        dupes = sorted({v for v in versions if versions.count(v) > 1})
        raise EnvironmentProblem(
            f"two migration files share the number(s) {dupes}",
            where=str(folder),
            hint="Renumber one of them: each NNN_ prefix must be unique.",
        )
    return found


def apply_migrations(con: duckdb.DuckDBPyConnection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply the migrations not yet recorded in ``schema_migrations``; return the versions applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
        "checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    done = {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied: list[int] = []
    for mig in migrations if migrations is not None else discover_migrations():
        if mig.version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                [mig.version, mig.name, mig.checksum, datetime.now(UTC).replace(tzinfo=None)],
            )
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise EnvironmentProblem(
                f"migration {mig.version:03d}_{mig.name}.sql failed: {exc}",
                hint="The store was left at the previous migration; fix the SQL file or report a bug.",
            ) from None
        applied.append(mig.version)
    return applied


class Store:
    """A learnroi store: one DuckDB file with the canonical views (see docs/reference/store.md).

    Use ``with Store.open(path) as store: store.con.sql(...)``.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, path: str | Path | None, read_only: bool = False) -> Store:
        """Open (creating if needed) the store at ``path`` and bring its schema up to date.

        ``path=None`` or ``":memory:"`` opens an in-memory store (tests). A read-only store is not
        migrated; opening an older file read-only raises with a hint to open it once for writing.
        """
        target = None if path is None or str(path) == ":memory:" else Path(path)
        if target is not None and read_only and not target.exists():
            raise EnvironmentProblem(
                "the store does not exist",
                where=str(target),
                hint="Create it with `learnroi ingest ...` or `learnroi demo`, or pass --db with the right file.",
            )
        try:
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(target) if target else ":memory:", read_only=read_only)
        except duckdb.Error as exc:
            raise EnvironmentProblem(
                f"cannot open the store: {exc}",
                where=str(target) if target else ":memory:",
                hint="Another learnroi process may hold the file open for writing; wait for it or use another --db.",
            ) from None
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")
        if read_only:
            pending = cls._pending(con)
            if pending:
                con.close()
                raise EnvironmentProblem(
                    f"the store's schema is older than this learnroi (missing migrations {pending})",
                    where=str(target),
                    hint="Open it once for writing (any `learnroi ingest` or `learnroi sources`) to upgrade it.",
                )
        else:
            try:
                apply_migrations(con)
            except BaseException:
                con.close()
                raise
        return cls(con, target, read_only)

    @staticmethod
    def _pending(con: duckdb.DuckDBPyConnection) -> list[int]:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        ).fetchone()
        done: set[int] = set()
        if exists and exists[0]:
            done = {int(r[0]) for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
        return [m.version for m in discover_migrations() if m.version not in done]

    def schema_version(self) -> int:
        """The highest migration applied."""
        row = self.con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
