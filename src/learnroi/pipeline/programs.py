"""Program specs in the store: the store is the single source of truth (contracts §2)."""

from __future__ import annotations

from pathlib import Path

from learnroi.core.errors import SpecError
from learnroi.core.program import ProgramSpec, load_spec, parse_spec, spec_hash
from learnroi.design.registry import sync_spec_hypotheses
from learnroi.store import Store


def register_spec(store: Store, path: Path) -> ProgramSpec:
    """Validate a spec file and upsert it into the ``programs`` table (with its hash); return it."""
    spec = load_spec(path)
    text = path.read_text(encoding="utf-8")
    p = spec.program
    store.con.execute(
        """
        INSERT INTO programs (program_id, name, design, primary_kpi, spec_path, spec_text, spec_hash)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (program_id) DO UPDATE SET name = excluded.name, design = excluded.design,
            primary_kpi = excluded.primary_kpi, spec_path = excluded.spec_path,
            spec_text = excluded.spec_text, spec_hash = excluded.spec_hash, loaded_at = now()
        """,
        [p.id, p.name, p.design, p.primary_kpi, str(path), text, spec_hash(text)],
    )
    sync_spec_hypotheses(store.con, spec)  # the registry lists the spec's hypotheses (Define step)
    return spec


def load_programs(store: Store, ids: list[str] | None = None) -> list[tuple[ProgramSpec, str]]:
    """The specs loaded in the store (optionally only ``ids``), each with its hash, in id order."""
    rows = store.con.execute(
        "SELECT program_id, spec_text, spec_hash FROM programs ORDER BY program_id"
    ).fetchall()
    out = [(parse_spec(str(text), source=f"store program {pid}"), str(h)) for pid, text, h in rows]
    if ids:
        known = {s.id for s, _ in out}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise SpecError(
                f"no program {', '.join(unknown)} in the store",
                hint="Pass the program's spec file (e.g. `learnroi roi program.toml`) to load it first.",
            )
        out = [(s, h) for s, h in out if s.id in ids]
    if not out:
        raise SpecError(
            "no program specs in the store",
            hint="Pass a spec file (`learnroi init` writes one), or run `learnroi demo` for a full example.",
        )
    return out
