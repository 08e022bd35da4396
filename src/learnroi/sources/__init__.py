"""learnroi.sources: files and APIs -> canonical rows + quarantine records (run by learnroi.store).

Readers (CSV/Parquet/XLSX/JSON/JSON lines), xAPI statements and LRS pulls, TOML column mappings with
presets, identities and their pseudonyms. The store (``learnroi.store.ingest``) runs them in a batch.
"""

from __future__ import annotations

from learnroi.sources.identity import load_key, mbox_sha1, normalize, pseudonym
from learnroi.sources.mapping import Mapping, infer_mapping, load_mapping, preset_names
from learnroi.sources.readers import RawFile, describe, detect_encoding, detect_format
from learnroi.sources.schema import KIND_TABLES, TABLES, TableSpec

__all__ = [
    "KIND_TABLES",
    "TABLES",
    "Mapping",
    "RawFile",
    "TableSpec",
    "describe",
    "detect_encoding",
    "detect_format",
    "infer_mapping",
    "load_key",
    "load_mapping",
    "mbox_sha1",
    "normalize",
    "preset_names",
    "pseudonym",
]
