"""The batch ledger: list batches (``learnroi sources``) and undo one (``learnroi ingest --undo``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from learnroi.core.errors import UsageError
from learnroi.sources.schema import TABLES
from learnroi.store.db import Store

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class BatchInfo:
    """One row of ``learnroi sources``: a file of a batch (batch-level fields repeated)."""

    batch_id: int
    kind: str
    file: str
    sha256: str | None
    target: str | None
    rows_read: int
    loaded: int
    quarantined: int
    skipped: int
    superseded: int
    no_changes: bool
    started_at: datetime
    match_rate: float | None
    unmatched: int | None
    pseudonymized: bool
    undone_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UndoResult:
    batch_id: int
    removed: int
    reinstated: int
    quarantine_removed: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"batch {self.batch_id} undone: {self.removed:,} rows removed, {self.reinstated:,} earlier versions "
            f"reinstated, {self.quarantine_removed:,} quarantine records removed"
        )


def list_batches(store: Store) -> list[BatchInfo]:
    """Every batch with its files, newest first (a batch without files, e.g. a failed LRS pull, once)."""
    rows = store.con.execute(
        "SELECT b.batch_id, b.kind, coalesce(f.file, b.source), f.sha256, f.target, "
        "coalesce(f.rows_read, b.rows_read), coalesce(f.loaded, b.loaded), coalesce(f.quarantined, b.quarantined), "
        "coalesce(f.skipped, b.skipped), coalesce(f.superseded, b.superseded), b.no_changes, b.started_at, "
        "b.match_rate, b.unmatched, b.pseudonymized, b.undone_at "
        "FROM batches b LEFT JOIN batch_files f USING (batch_id) ORDER BY b.batch_id DESC, f.file"
    ).fetchall()
    return [BatchInfo(*r) for r in rows]


def batches_frame(store: Store) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([b.to_dict() for b in list_batches(store)])


def _count(store: Store, sql: str, params: list[object]) -> int:
    row = store.con.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def undo(store: Store, batch_id: int) -> UndoResult:
    """Remove what the batch inserted and reinstate what it superseded or voided, in one transaction.

    A reinstated version stays superseded when a later batch's version of the same key is current.
    """
    row = store.con.execute("SELECT undone_at FROM batches WHERE batch_id = ?", [batch_id]).fetchone()
    if row is None:
        raise UsageError(
            f"there is no batch {batch_id}", hint="`learnroi sources` lists the batches and their ids."
        )
    if row[0] is not None:
        raise UsageError(
            f"batch {batch_id} was already undone on {row[0]:%Y-%m-%d %H:%M} UTC", hint="Nothing to do."
        )
    con = store.con
    removed = reinstated = 0
    con.execute("BEGIN TRANSACTION")
    try:
        for name in TABLES:
            hist = f"hist_{name}"
            removed += _count(store, f"SELECT count(*) FROM {hist} WHERE _batch_id = ?", [batch_id])
            con.execute(f"DELETE FROM {hist} WHERE _batch_id = ?", [batch_id])
            reinstated += _count(
                store,
                f"SELECT count(*) FROM {hist} o WHERE _superseded_by = ? AND NOT EXISTS "
                f"(SELECT 1 FROM {hist} c WHERE c._key = o._key AND c._superseded_by IS NULL)",
                [batch_id],
            )
            con.execute(
                f"UPDATE {hist} SET _superseded_by = (SELECT max(c._batch_id) FROM {hist} c "
                f"WHERE c._key = {hist}._key AND c._superseded_by IS NULL) WHERE _superseded_by = ?",
                [batch_id],
            )
        q = _count(store, "SELECT count(*) FROM quarantine WHERE batch_id = ?", [batch_id])
        con.execute("DELETE FROM quarantine WHERE batch_id = ?", [batch_id])
        if _is_base_table(store, "identity_links"):  # before migration 040 (a versioned hist_ table since)
            con.execute("DELETE FROM identity_links WHERE batch_id = ?", [batch_id])
        con.execute(
            "UPDATE batches SET undone_at = ? WHERE batch_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), batch_id],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return UndoResult(batch_id, removed, reinstated, q)


def _is_base_table(store: Store, name: str) -> bool:
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_type = 'BASE TABLE'",
        [name],
    ).fetchone()
    return bool(row and row[0])
