"""Qualitative evidence added one note at a time (``learnroi evidence add|list``).

A note supports, contradicts or is neutral about a program's estimate (Brinkerhoff's Success Case Method
and Phillips' chain of evidence keep such notes beside the numbers; they are never monetized). Each
``add`` is its own ingest batch of kind ``surveys`` with source ``cli: evidence add``: ``learnroi
sources`` lists it, ``ingest --undo`` removes it, and the note goes through the same validation,
versioning and pseudonymization as ``surveys/observations.csv``.
"""

from __future__ import annotations

import csv
import hashlib
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from learnroi.core.errors import DataError
from learnroi.core.options import EvidenceAuthorRole, EvidenceSource, Stance, choices
from learnroi.sources.mapping import Mapping
from learnroi.sources.schema import EVIDENCE
from learnroi.store.db import Store
from learnroi.store.ingest import ingest

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "cli: evidence add"
"""The batch source (and file label) of notes added from the command line."""


def _check(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise DataError(
            f"{name} must be one of {', '.join(allowed)}; got {value!r}",
            where=f"evidence {name}",
            hint=f"Pass one of: {', '.join(allowed)}.",
        )
    return value


def _as_date(value: date | str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DataError(
            f"{value!r} is not a date", where="evidence date", hint="Write it as YYYY-MM-DD."
        ) from None


def evidence_id(
    program_id: str, note: str, stance: str, kpi: str | None, author_role: str, source_type: str, day: date
) -> str:
    """A stable id from the note's content: adding the same note twice changes nothing."""
    text = "\x1f".join([program_id, kpi or "", stance, author_role, source_type, day.isoformat(), note])
    return "ev-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def add_evidence(
    store: Store,
    program_id: str,
    note: str,
    stance: str,
    kpi: str | None = None,
    author_role: str = "analyst",
    source_type: str = "observation",
    recorded_date: date | str | None = None,
    author_id: str | None = None,
) -> str:
    """Store one qualitative note as its own batch; return its ``evidence_id``.

    Raises :class:`DataError` for an empty program or note or a value outside the closed vocabularies
    (stance, author role, source type), before anything is written.
    """
    program_id, note = program_id.strip(), note.strip()
    if not program_id:
        raise DataError(
            "the program id is empty", where="evidence", hint="Pass the program id, e.g. sales-skills."
        )
    if not note:
        raise DataError("the note is empty", where="evidence", hint='Pass the observation with --note "…".')
    _check(stance, choices(Stance), "stance")
    _check(author_role, choices(EvidenceAuthorRole), "author_role")
    _check(source_type, choices(EvidenceSource), "source_type")
    day = _as_date(recorded_date)
    kpi = (kpi or "").strip() or None
    eid = evidence_id(program_id, note, stance, kpi, author_role, source_type, day)
    row = [
        eid,
        program_id,
        kpi or "",
        author_id or "",
        author_role,
        source_type,
        day.isoformat(),
        stance,
        note,
    ]
    mode = store.con.execute("SELECT value FROM store_settings WHERE name = 'pseudonymized'").fetchone()
    with tempfile.TemporaryDirectory(prefix="learnroi-evidence-") as tmp:
        path = Path(tmp) / "observations.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
            writer.writerow(EVIDENCE.column_names)
            writer.writerow(row)
        result = ingest(
            store,
            "surveys",
            [path],
            mapping=Mapping(table=EVIDENCE.name),
            max_quarantine=0.0,
            pseudonymize=bool(mode and mode[0] == "true"),
        )
        label = result.files[0].file if result.files else str(path)
    # the batch is committed: relabel its temporary file as the command that wrote it
    con = store.con
    con.execute("UPDATE batches SET source = ? WHERE batch_id = ?", [SOURCE, result.batch_id])
    con.execute("UPDATE batch_files SET file = ? WHERE batch_id = ?", [SOURCE, result.batch_id])
    con.execute("UPDATE quarantine SET file = ? WHERE batch_id = ?", [SOURCE, result.batch_id])
    con.execute(
        "UPDATE hist_evidence SET _file = ? WHERE _batch_id = ? AND _file = ?",
        [SOURCE, result.batch_id, label],
    )
    return eid


def list_evidence(store: Store, program_id: str | None = None) -> pd.DataFrame:
    """The current qualitative evidence (the ``evidence`` view), oldest first, for one program or all."""
    sql = f"SELECT {', '.join(EVIDENCE.column_names)} FROM evidence"
    params: list[object] = []
    if program_id is not None:
        sql += " WHERE program_id = ?"
        params.append(program_id)
    sql += " ORDER BY program_id, recorded_date, evidence_id"
    return store.con.execute(sql, params).df()
