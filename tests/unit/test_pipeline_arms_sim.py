"""Per-arm analysis and proportion KPIs on the simulated company, against its truth (truth.json).

- ``service-blend`` (four randomized arms): each arm's fully loaded cost equals the truth's (both follow
  blended-contract.md §4: arm lines + shared lines x n_a / sum n + the arm's participants' time), each
  arm's simultaneous effect interval covers the true ITT and each arm's ROI interval covers the true
  ROI, at one seed (a single-seed check, not a coverage study).
- ``sales-skills`` on ``win_rate`` (a share per rep-month): ``analyze_program`` runs on a KPI the
  spec does not monetize (costs only, no ROI) and the interval covers the true ITT at three seeds.

Would catch: arms' costs split by a different rule than the truth's, arm labels swapped between effect
and cost, a non-monetized KPI crashing the analysis, a proportion rounded or rescaled on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from learnroi.core.program import ProgramSpec
from learnroi.pipeline.analysis import analyze_program
from learnroi.pipeline.arms import analyze_arms
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.pipeline.programs import register_spec
from learnroi.simulate import simulate_tables
from learnroi.store import Store


@contextmanager
def _company(employees: int, seed: int, folder: Path) -> Iterator[tuple[Store, dict[str, ProgramSpec], Any]]:
    company = simulate_tables(employees, seed)
    with store_from_tables(company.tables) as store:
        specs = {}
        for name, text in company.specs.items():
            (folder / name).write_text(text, encoding="utf-8")
            spec = register_spec(store, folder / name)
            specs[spec.id] = spec
        yield store, specs, company.truth


@pytest.mark.slow
def test_blend_arms_cover_the_truth(tmp_path: Path) -> None:
    with _company(2000, 1, tmp_path) as (store, specs, truth):
        res = analyze_arms(store, specs["service-blend"], draws=20_000)
        assert res is not None
        assert res.identified, res.reasons
        true_arms = truth["programs"]["service-blend"]["arms"]
        t = res.tidy().set_index("arm")
        assert sorted(t.index) == sorted(a for a in true_arms if a != "control")
        for arm, row in t.iterrows():
            want = true_arms[arm]
            assert row["n"] == want["n"]
            assert row["cost"] == pytest.approx(want["cost"], rel=1e-9)
            att = want["kpis"]["escalations"]["att"]
            assert row["conf_low"] <= att <= row["conf_high"], (arm, att)
            assert row["roi_conf_low"] <= want["roi_pct"] <= row["roi_conf_high"], (arm, want["roi_pct"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_win_rate_recovers_the_truth(seed: int, tmp_path: Path) -> None:
    with _company(1000, seed, tmp_path) as (store, specs, truth):
        a = analyze_program(store, specs["sales-skills"], "hash", kpi="win_rate", draws=200, save=False)
        assert a.attribution.identified, a.attribution.reasons
        assert a.attribution.result is not None
        lo, hi = a.attribution.result.conf_int()
        att = truth["programs"]["sales-skills"]["kpis"]["win_rate"]["att"]
        assert lo <= att <= hi
        assert 0 < att < 0.05  # a share in [0, 1], not percentage points
        assert not a.roi.computed
        assert a.roi.cost > 0
        assert "not monetized" in a.roi.reasons[0]
