"""The simulator's ROI truth and ``learnroi.roi`` agree to the cent (docs/dev/roi-formulas.md).

Given the true effect with no uncertainty, the program's ledger and participants' time (LMS hours x
HRIS loaded hourly rate, emails normalized), ``compute_roi`` must reproduce ``truth.json``'s benefit,
cost and ROI exactly. Would catch either side drifting from the shared formulas (decay, discounting,
weeks per month, reach x adoption, participant time, ledger lines).
"""

from __future__ import annotations

import pandas as pd
import pytest

from learnroi.core.program import parse_spec
from learnroi.roi.compute import compute_roi
from learnroi.roi.effect import EffectInput
from learnroi.simulate import simulate_tables

PRIMARY = {"sales-skills": "revenue", "onboarding": "weeks_to_productivity"}


@pytest.mark.parametrize("seed", [4, 2026])
def test_roi_module_reproduces_the_truth(seed: int) -> None:
    c = simulate_tables(1000, seed)
    hris = c["hris/employees.csv"].to_pandas().set_index("email")
    ev = c["lms/events.csv"].to_pandas()
    ev["email"] = ev["learner_email"].str.strip().str.lower()
    ledger = c["costs/ledger.csv"].to_pandas()
    for pid, kpi in PRIMARY.items():
        spec = parse_spec(c.specs[f"program-{pid}.toml"])
        e = ev[(ev["program_id"] == pid) & ev["email"].isin(hris.index)]
        hours = e.groupby("email")["duration_seconds"].sum() / 3600
        people = hris.loc[hours.index]
        time = pd.DataFrame(
            {
                "employee_id": people["employee_id"].to_numpy(),
                "hours": hours.to_numpy(),
                "hourly_rate": (people["loaded_salary"] / people["standard_hours"].fillna(2080.0)).to_numpy(),
            }
        )
        truth = c.truth["programs"][pid]
        effect = EffectInput(kpi=kpi, estimate=truth["kpis"][kpi]["att"], std_error=0.0)
        r = compute_roi(spec, effect, ledger=ledger, participant_time=time, draws=200)
        assert r.benefit == pytest.approx(truth["benefit"], abs=0.005)
        assert r.cost == pytest.approx(truth["cost"], abs=0.005)
        assert r.roi_pct == pytest.approx(truth["roi_pct"], rel=1e-9)
