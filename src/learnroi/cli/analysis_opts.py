"""Options shared by ``attribute``, ``roi`` and ``report``: which programs, from which store."""

from __future__ import annotations

from pathlib import Path

from learnroi.core.options import AttributionDesign
from learnroi.pipeline import ProgramAnalysis, analyze_program, load_programs, register_spec
from learnroi.store import Store


def run_analyses(
    store: Store,
    specs: list[Path] | None,
    programs: list[str] | None = None,
    *,
    kpi: str | None = None,
    design: AttributionDesign = "auto",
    seed: int = 0,
) -> list[ProgramAnalysis]:
    """Register the given spec files (if any) and analyze those programs, else every program in the store."""
    ids = list(programs or [])
    for path in specs or []:
        ids.append(register_spec(store, path).id)
    return [
        analyze_program(store, spec, h, kpi=kpi, design=design, seed=seed)
        for spec, h in load_programs(store, ids or None)
    ]
