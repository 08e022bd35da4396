"""The report data as JSON-ready dicts (the JSON twin of the dashboard, embedded in the HTML)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from learnroi.report.data import ReportData


def plain(obj: Any) -> Any:
    """Dataclasses, read-only mappings and tuples turned into dicts and lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


def report_to_dict(data: ReportData) -> dict[str, Any]:
    out: dict[str, Any] = plain(data)
    for sec, p in zip(out["programs"], data.programs, strict=True):
        sec["headline"] = plain(p.headline)
        sec["actions"] = [{**plain(a), "label": a.label()} for a in p.actions]
    return out
