"""learnroi.store: the embedded DuckDB store (migrations, atomic idempotent ingest batches, lineage, identities).

Schema: docs/reference/store.md. Others read the current views (``employees``, ``lms_events``, ...)
through :class:`Store` ``.con``.
"""

from __future__ import annotations

from learnroi.store.batches import BatchInfo, UndoResult, batches_frame, list_batches, undo
from learnroi.store.db import Migration, Store, apply_migrations, discover_migrations
from learnroi.store.evidence import add_evidence, list_evidence
from learnroi.store.folder import ingest_all
from learnroi.store.ingest import PAUSE_ENV, ingest
from learnroi.store.result import FileCounts, IngestResult, QuarantineRecord

__all__ = [
    "PAUSE_ENV",
    "BatchInfo",
    "FileCounts",
    "IngestResult",
    "Migration",
    "QuarantineRecord",
    "Store",
    "UndoResult",
    "add_evidence",
    "apply_migrations",
    "batches_frame",
    "discover_migrations",
    "ingest",
    "ingest_all",
    "list_batches",
    "list_evidence",
    "undo",
]
