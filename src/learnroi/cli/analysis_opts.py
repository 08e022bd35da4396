"""Options shared by ``attribute``, ``roi`` and ``report``: which programs, from which store."""

from __future__ import annotations

from pathlib import Path

from learnroi.core.options import AttributionDesign
from learnroi.core.program import ProgramSpec
from learnroi.pipeline import ProgramAnalysis, analyze_program, load_programs, register_spec
from learnroi.pipeline.arms import ArmAnalysis, analyze_arms
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
    return [
        analyze_program(store, spec, h, kpi=kpi, design=design, seed=seed)
        for spec, h in load_specs(store, specs, programs)
    ]


def load_specs(
    store: Store, specs: list[Path] | None, programs: list[str] | None = None
) -> list[tuple[ProgramSpec, str]]:
    """Register the given spec files (if any); return those programs' specs, else every program's.

    An argument that is not an existing file and has no suffix is taken as the id of a program already in
    the store (``learnroi roi service-blend``)."""
    ids = list(programs or [])
    ids.extend(spec_ids(store, specs))
    return load_programs(store, ids or None)


def spec_ids(store: Store, specs: list[Path] | None) -> list[str]:
    """Program ids of ``specs``: each spec file registered, or a bare program id as given."""
    out: list[str] = []
    for path in specs or []:
        if not path.exists() and not path.suffix and len(path.parts) == 1:
            out.append(str(path))
        else:
            out.append(register_spec(store, path).id)
    return out


def arm_analyses(
    store: Store,
    specs: list[Path] | None,
    programs: list[str] | None = None,
    *,
    kpi: str | None = None,
    seed: int = 0,
) -> tuple[list[ArmAnalysis], list[str]]:
    """Per-arm analyses of the randomized programs with a control arm; and the ids of the others."""
    done: list[ArmAnalysis] = []
    skipped: list[str] = []
    for spec, _ in load_specs(store, specs, programs):
        res = analyze_arms(store, spec, kpi=kpi, seed=seed, always=True)
        if res is None:
            skipped.append(spec.id)
        else:
            done.append(res)
    return done, skipped
