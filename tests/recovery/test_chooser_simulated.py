"""The design chooser on the synthetic company (learnroi.simulate.simulate_company, seed 42, 3,000
employees), through the real ingest and panel: it must pick the spec's design for both simulated
programs, report a number, and land near the planted truth (``truth/truth.json``, which only the test
reads).

One simulated company, so this is a smoke-level recovery check, not a coverage test: we assert the
estimate lies within 3.5 of its own standard errors of the truth (a correct estimator fails this with
probability ~0.05 %) and, for the randomized program, that the naive trained-vs-untrained contrast is
farther from the truth than the ITT is (selection into completing the course). What it would catch:
the chooser picking the wrong design from the panel columns, a window/arm/cohort mix-up between the
panel and the chooser, or an estimator that is far off on realistic data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learnroi.attribution import DesignInfo, attribute
from learnroi.core.options import INGEST_ORDER
from learnroi.core.program import load_spec

SEED = 42
EMPLOYEES = 3000
PROGRAMS = [
    ("sales-skills", "revenue", "randomized", False),
    ("onboarding", "weeks_to_productivity", "staggered", True),
]


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    from learnroi.metrics import build_panel, connect
    from learnroi.simulate.company import simulate_company
    from learnroi.store.db import Store
    from learnroi.store.ingest import ingest

    root = tmp_path_factory.mktemp("company")
    simulate_company(root / "data", employees=EMPLOYEES, seed=SEED)
    store = Store.open(root / "learnroi.duckdb")
    for kind in INGEST_ORDER:
        files = sorted((root / "data" / kind).glob("*"))
        if files:
            ingest(store, kind, files)
    backend = connect(store.con)
    panels = {pid: build_panel(backend, pid, kpi).frame for pid, kpi, _, _ in PROGRAMS}
    return root, panels


@pytest.mark.slow
@pytest.mark.parametrize(("program", "kpi", "design", "one_per_person"), PROGRAMS)
def test_chooser_on_the_simulated_company(
    company: tuple[Path, dict[str, object]], program: str, kpi: str, design: str, one_per_person: bool
) -> None:
    root, panels = company
    truth = json.loads((root / "data" / "truth" / "truth.json").read_text())["programs"][program]
    spec = load_spec(root / "data" / f"program-{program}.toml")
    info = DesignInfo.from_spec(spec, kpi=kpi, one_value_per_person=one_per_person)
    out = attribute(panels[program], info)  # type: ignore[index]
    assert out.design == design
    assert out.identified, out.summary()
    assert out.estimate is not None
    assert out.std_error is not None
    att = truth["kpis"][kpi]["att"]
    assert abs(out.estimate - att) < 3.5 * out.std_error, (out.estimate, out.std_error, att)
    if design == "randomized":
        naive = {c.term: c.estimate for c in out.contrasts}["naive trained vs untrained"]
        assert abs(naive - att) > abs(out.estimate - att)
    payload = out.to_dict()
    assert payload["program"] == program
    assert payload["identified"] is True
    assert {c["name"] for c in payload["contrasts"]}
