"""Assignment is reproducible, stratified, clustered and staggered as documented, with a balance report.

Would catch: a global RNG or unseeded shuffle (same seed, different arms), per-stratum shares drifting
from the allocation (simple coin flips: +-5 % per stratum), teams split across arms, waves of uneven
size, SMDs computed with the wrong denominator, and CSVs in another layout than data-layout.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import DataError, SpecError
from learnroi.design import assign_units, balance_report, staggered_waves, tenure_band, write_design_csv
from learnroi.design.assign import ASSIGNMENT_COLUMNS, WAVE_COLUMNS

SEED = 99


def _units(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    team = rng.integers(0, n // 10, n)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:05d}" for i in range(n)],
            "department": [f"D{t % 6}" for t in team],
            "team_id": [f"T{t:03d}" for t in team],
            "role": rng.choice(["rep", "manager"], n, p=[0.8, 0.2]),
            "hire_date": pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 4_500, n), "D"),
            "baseline_kpi": rng.lognormal(9, 0.4, n),
        }
    ).assign(tenure_band=lambda d: tenure_band(d["hire_date"], date(2025, 1, 1)).to_numpy())


STRATA = ["department", "role", "tenure_band", "baseline_kpi"]


def test_same_seed_same_assignment_and_input_order_does_not_matter() -> None:
    u = _units()
    a = assign_units(u, program_id="p", seed=1, strata=STRATA, assigned_date=date(2025, 2, 1))
    b = assign_units(
        u.sample(frac=1, random_state=3),
        program_id="p",
        seed=1,
        strata=STRATA,
        assigned_date=date(2025, 2, 1),
    )
    c = assign_units(u, program_id="p", seed=2, strata=STRATA, assigned_date=date(2025, 2, 1))
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    assert (a.assignments["arm"] != c.assignments["arm"]).any()
    assert list(a.assignments.columns) == ASSIGNMENT_COLUMNS
    assert set(a.assignments["assigned_date"]) == {"2025-02-01"}


@pytest.mark.parametrize("allocation", [0.5, 0.3])
def test_each_stratum_is_split_at_the_allocation(allocation: float) -> None:
    a = assign_units(_units(), program_id="p", seed=5, strata=["department", "role"], allocation=allocation)
    g = a.assignments.assign(t=a.assignments["arm"] == "treatment").groupby("stratum")["t"]
    treated, size = g.sum(), g.size()
    assert ((treated - allocation * size).abs() < 1).all()  # within one person in every stratum
    assert a.assignments["stratum"].str.contains("department=").all()


def test_numeric_stratifier_is_cut_into_quantile_bands_and_balance_is_good() -> None:
    u = _units()
    a = assign_units(
        u, program_id="p", seed=5, strata=["baseline_kpi"], balance_on=["baseline_kpi", "department"]
    )
    assert set(a.assignments["stratum"]) == {f"baseline_kpi=q{i}" for i in range(1, 5)}
    smd = a.balance.tidy().set_index("covariate").loc["baseline_kpi", "smd"]
    assert abs(smd) < 0.1
    assert "balance" in a.summary()


def test_cluster_randomization_keeps_teams_together() -> None:
    a = assign_units(_units(), program_id="p", seed=7, strata=["department"], cluster="team_id")
    per_team = a.assignments.groupby("cluster_id")["arm"].nunique()
    assert (per_team == 1).all()
    teams = a.assignments.drop_duplicates("cluster_id")
    assert abs((teams["arm"] == "treatment").mean() - 0.5) < 0.05
    assert "cluster randomization" in a.method


def test_balance_report_smd_matches_hand_computation() -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0], "g": ["a", "a", "b", "a", "b", "b"]})
    t = np.array([True, True, True, False, False, False])
    table = balance_report(frame, t, ["x", "g"]).tidy()
    x1, x0 = frame["x"][t], frame["x"][~t]
    expected = (x1.mean() - x0.mean()) / np.sqrt((x1.var() + x0.var()) / 2)
    assert table.loc[table["covariate"] == "x", "smd"].item() == pytest.approx(expected)
    share_a = table[(table["covariate"] == "g") & (table["level"] == "a")]
    p1, p0 = 2 / 3, 1 / 3
    assert share_a["smd"].item() == pytest.approx(
        (p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2), rel=0.2
    )


def test_staggered_waves_are_even_dated_and_reproducible() -> None:
    units = [f"Dept-{i:02d}" for i in range(31)]
    w = staggered_waves(units, program_id="onb", seed=3, n_waves=4, start=date(2025, 1, 1), months_between=2)
    assert list(w.columns) == WAVE_COLUMNS
    sizes = w["wave"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    assert set(w.loc[w["wave"] == 3, "start_date"]) == {"2025-05-01"}
    again = staggered_waves(
        list(reversed(units)), program_id="onb", seed=3, n_waves=4, start=date(2025, 1, 1), months_between=2
    )
    pd.testing.assert_frame_equal(w, again)
    held = staggered_waves(
        units, program_id="onb", seed=3, n_waves=3, start=date(2025, 1, 1), holdout_share=0.2
    )
    assert (held["wave"] == 0).sum() in (6, 7)
    assert set(held.loc[held["wave"] == 0, "start_date"]) == {""}
    with pytest.raises(SpecError, match="Hint:"):
        staggered_waves(units[:2], program_id="onb", seed=3, n_waves=3, start=date(2025, 1, 1))


def test_csv_is_written_in_the_data_layout_and_other_programs_are_kept(tmp_path: Path) -> None:
    u = _units(60)
    a = assign_units(u, program_id="p1", seed=1)
    b = assign_units(u, program_id="p2", seed=1)
    write_design_csv(a.assignments, tmp_path, "assignments")
    write_design_csv(b.assignments, tmp_path, "assignments")
    path = write_design_csv(a.assignments, tmp_path, "assignments")
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(back.columns) == ASSIGNMENT_COLUMNS
    assert back["program_id"].value_counts().to_dict() == {"p2": 60, "p1": 60}


def test_bad_units_raise_with_hint() -> None:
    with pytest.raises(DataError, match="Hint:"):
        assign_units(pd.DataFrame({"employee_id": []}), program_id="p", seed=1)
    with pytest.raises(SpecError, match="stratifier"):
        assign_units(_units(10), program_id="p", seed=1, strata=["nope"])
    with pytest.raises(DataError, match="cluster"):
        assign_units(_units(10), program_id="p", seed=1, cluster="nope")
