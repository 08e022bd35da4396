"""``ingest all``: a folder laid out as ``learnroi simulate`` writes it, one batch per kind."""

from __future__ import annotations

from pathlib import Path

from learnroi.core.errors import DataError
from learnroi.core.options import INGEST_ORDER
from learnroi.store.db import Store
from learnroi.store.ingest import Progress, ingest
from learnroi.store.result import IngestResult


def ingest_all(
    store: Store,
    folder: str | Path,
    *,
    tz: str | None = None,
    max_quarantine: float = 0.01,
    pseudonymize: bool = False,
    progress: Progress | None = None,
) -> list[IngestResult]:
    """Ingest a folder laid out as ``learnroi simulate`` writes it, kinds in dependency order."""
    root = Path(folder)
    if not root.is_dir():
        raise DataError(
            "not a folder", where=str(root), hint="Pass the folder `learnroi simulate --out DIR` wrote (DIR)."
        )
    results: list[IngestResult] = []
    for kind in INGEST_ORDER:
        sub = root / kind
        if not sub.is_dir():
            continue
        found = sorted(
            p
            for p in sub.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in _DATA_SUFFIXES
        )
        if kind == "lms":  # the catalog before the events that refer to it
            found.sort(key=lambda p: (not p.name.startswith("catalog"), p.name))
        if found:
            results.append(
                ingest(
                    store,
                    kind,
                    found,
                    tz=tz,
                    max_quarantine=max_quarantine,
                    pseudonymize=pseudonymize,
                    progress=progress,
                )
            )
    if not results:
        raise DataError(
            "no data files found",
            where=str(root),
            hint="Expect sub-folders hris/ design/ lms/ xapi/ performance/ costs/ surveys/ (see docs/reference/data-layout.md).",
        )
    return results


_DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".json", ".jsonl", ".ndjson"}
