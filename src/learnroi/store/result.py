"""What an ingest did: frozen results with per-file counts (read = loaded + quarantined + skipped)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class FileCounts:
    """Counts for one file (or sheet) of a batch."""

    file: str
    target: str
    sha256: str | None
    rows_read: int
    loaded: int
    quarantined: int
    skipped: int
    superseded: int = 0
    voided: int = 0


@dataclass(frozen=True)
class QuarantineRecord:
    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str

    def render(self) -> str:
        where = f"{self.file} row {self.row}" if self.row is not None else self.file
        col = f" column {self.column}" if self.column else ""
        return f"{where}{col}: {self.value!r}: {self.reason}"


@dataclass(frozen=True)
class IngestResult:
    """One ingest batch. ``rows_read == loaded + quarantined + skipped`` always.

    ``skipped``: duplicates (same natural key and content, in the store or earlier in the file), rows a
    mapping drops on purpose and voiding xAPI statements. ``superseded``: stored rows replaced by a
    corrected version; ``voided``: stored statements voided. ``unmatched``: distinct identities of the
    batch not found in ``identity_map`` (pseudonyms with ``--pseudonymize``).
    """

    batch_id: int | None
    kind: str
    files: tuple[FileCounts, ...]
    rows_read: int
    loaded: int
    quarantined: int
    skipped: int
    superseded: int
    voided: int
    no_changes: bool
    match_rate: float | None
    unmatched: tuple[str, ...]
    mapping: str
    pseudonymized: bool
    quarantine_examples: tuple[QuarantineRecord, ...] = ()
    proposed_mapping: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def tidy(self) -> pd.DataFrame:
        """One row per file."""
        import pandas as pd

        return pd.DataFrame([asdict(f) for f in self.files])

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["files"] = [asdict(f) for f in self.files]
        d["quarantine_examples"] = [asdict(q) for q in self.quarantine_examples]
        d["unmatched"] = list(self.unmatched)
        d["notes"] = list(self.notes)
        return d

    def summary(self) -> str:
        head = f"batch {self.batch_id} ({self.kind})" if self.batch_id is not None else f"({self.kind})"
        if self.no_changes:
            head += ": no changes"
        lines = [
            f"{head}: read {self.rows_read:,}, loaded {self.loaded:,}, quarantined {self.quarantined:,}, "
            f"skipped {self.skipped:,}, superseded {self.superseded:,}"
            + (f", voided {self.voided:,}" if self.voided else "")
        ]
        if self.match_rate is not None:
            lines.append(
                f"identities: {self.match_rate:.1%} matched to HR; {len(self.unmatched):,} unmatched"
                + (f" (e.g. {', '.join(self.unmatched[:5])})" if self.unmatched else "")
            )
        lines += [f"quarantined: {q.render()}" for q in self.quarantine_examples[:5]]
        lines += list(self.notes)
        return "\n".join(lines)
