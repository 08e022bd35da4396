"""Multi-arm pilot design: Dunnett's many-to-one critical value, square-root allocation, sizing, assignment.

References: Dunnett (1955), JASA 50(272), and the two-sided 5 % table of Dunnett (1964), Biometrics 20(3)
(printed to two decimals, hence the 0.006 tolerance); the critical values are also checked against
scipy's Genz integration of the multivariate normal (``multivariate_normal.cdf``, error ~1e-5), an
independent method. Sizes are checked against the normal closed form written out by hand.
Would catch: the unadjusted z in place of Dunnett (power at the planned n ~0.67, outside the
§5 power band), the correlation n_c/(n_c+n_t) instead of n_t/(n_t+n_c) under unequal allocation, arms
that are not balanced within strata, arm labels not reaching the CSV and the store.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from learnroi.attribution.multiarm import multiarm
from learnroi.core.errors import SpecError
from learnroi.design import assign_units, plan_power
from learnroi.design.multiarm_power import dunnett_critical, multiarm_power, sqrt_rule_control_share
from learnroi.store import Store
from tests.e2e.test_design_cli import _fill, cli

ARMS = ("digital", "blended", "classroom")


def _genz_critical(k: int, r: float, alpha: float = 0.05) -> float:
    """Two-sided many-to-one critical value from scipy's Genz multivariate-normal CDF (independent)."""
    cov = np.full((k, k), r) + (1 - r) * np.eye(k)
    mvn = stats.multivariate_normal(np.zeros(k), cov, seed=1)

    def coverage(c: float) -> float:
        return float(mvn.cdf(np.full(k, c), lower_limit=np.full(k, -c)))

    from scipy.optimize import brentq

    return float(brentq(lambda c: coverage(c) - (1 - alpha), 1.5, 4.0, xtol=1e-6))


@pytest.mark.parametrize(
    ("k", "df", "table"),
    [
        (2, None, 2.21),
        (3, None, 2.35),
        (4, None, 2.44),
        (2, 20, 2.38),
        (3, 20, 2.54),
        (3, 10, 2.76),
        (4, 10, 2.89),
    ],
)
def test_dunnett_critical_matches_the_published_table(k: int, df: float | None, table: float) -> None:
    assert dunnett_critical(k, 0.05, r=0.5, df=df) == pytest.approx(table, abs=0.006)


@pytest.mark.parametrize(("k", "r"), [(2, 0.5), (3, 0.5), (3, 1 / (1 + math.sqrt(3))), (5, 0.2)])
def test_dunnett_critical_matches_genz_integration(k: int, r: float) -> None:
    assert dunnett_critical(k, 0.05, r=r) == pytest.approx(_genz_critical(k, r), abs=2e-3)


def test_one_arm_is_the_two_sided_quantile_and_more_arms_cost_more() -> None:
    assert dunnett_critical(1, 0.05) == pytest.approx(1.959964, abs=1e-6)
    assert dunnett_critical(1, 0.05, df=12) == pytest.approx(stats.t.isf(0.025, 12), abs=1e-9)
    crits = [dunnett_critical(k, 0.05) for k in (1, 2, 3, 4, 6)]
    assert crits == sorted(crits)
    bonferroni = stats.norm.isf(0.05 / 6)
    assert crits[2] < bonferroni  # Dunnett uses the shared control: sharper than Bonferroni


def test_square_root_rule_minimises_the_contrast_variance() -> None:
    k = 3
    share = sqrt_rule_control_share(k)
    assert share == pytest.approx(math.sqrt(3) / (3 + math.sqrt(3)))
    grid = np.linspace(0.05, 0.95, 9001)
    var = k / (1 - grid) + 1 / grid  # 1/n_t + 1/n_c per unit of N, n_t = (1 - c) N / k
    assert grid[np.argmin(var)] == pytest.approx(share, abs=1e-3)


def test_plan_matches_the_hand_computation_for_a_proportion() -> None:
    baseline, effect, share = 0.30, 0.05, sqrt_rule_control_share(3)
    res = plan_power(
        kpi="completion",
        kind="proportion",
        effect=effect,
        baseline=baseline,
        arms=ARMS,
        n_available=1_500,
    )
    h = 2 * math.asin(math.sqrt(0.35)) - 2 * math.asin(math.sqrt(0.30))
    s_t = (1 - share) / 3
    c = _genz_critical(3, s_t / (s_t + share))
    n = ((c + stats.norm.ppf(0.8)) / h) ** 2 * (1 / s_t + 1 / share)
    assert res.n_treatment == math.ceil(n * s_t)
    assert res.n_control == math.ceil(n * share)
    assert res.n_required == 3 * res.n_treatment + res.n_control
    assert res.control_share == pytest.approx(share)
    assert res.n_per_arm == {"control": res.n_control, **dict.fromkeys(ARMS, res.n_treatment)}
    nc = h * math.sqrt(1_500 * s_t * 1_500 * share / (1_500 * (s_t + share)))
    hand_power = stats.norm.sf(c - nc) + stats.norm.cdf(-c - nc)
    assert res.power_available == pytest.approx(hand_power, abs=2e-3)
    assert res.detectable == (hand_power >= 0.8)
    assert json.loads(json.dumps(res.to_dict()))["n_per_arm"]["blended"] == res.n_treatment


def test_mean_kpi_plan_is_the_smallest_with_enough_power_and_mde_is_consistent() -> None:
    kw: dict[str, Any] = {"kpi": "escalations", "kind": "mean", "effect": -0.3, "baseline": 2.0, "sd": 1.2}
    res = plan_power(**kw, rho=0.5, arms=ARMS, control_share=0.4, n_available=900)
    opts: dict[str, Any] = {"k": 3, "control_share": 0.4, "alpha": 0.05, "test": "t"}
    d = 0.3 / (1.2 * math.sqrt(1 - 0.25))
    assert multiarm_power(d, res.n_required, **opts) >= 0.8
    assert multiarm_power(d, res.n_required - 8, **opts) < 0.8
    mde_d = res.mde_available / (1.2 * math.sqrt(0.75))  # type: ignore[operator]
    assert multiarm_power(mde_d, 900, **opts) == pytest.approx(0.8, abs=1e-6)
    two_arm = plan_power(**kw, rho=0.5)
    info = res.n_treatment * res.n_control / (res.n_treatment + res.n_control)
    info_two = two_arm.n_treatment * two_arm.n_control / two_arm.n_required
    assert info > 1.2 * info_two  # the family-wise alpha needs more information per comparison
    with pytest.raises(SpecError, match="control share"):
        plan_power(**kw, arms=ARMS, control_share=1.2)
    with pytest.raises(SpecError, match="distinct"):
        plan_power(**kw, arms=["digital", "digital"])


@pytest.mark.slow
def test_planned_n_gives_the_stated_power_in_the_multiarm_analysis() -> None:
    """R = 1,000 pilots at the planned per-arm n, every arm with the assumed effect, analysed with
    :func:`multiarm` (reference family, pooled SE). Power rule (validation-targets §5): within 3 points +
    2.576 MC SE of 0.8 (MC SE of the single-arm rate, conservative for the 3-arm average). Would catch
    sizing at the unadjusted z (power ~0.67)."""
    res = plan_power(kpi="y", kind="mean", effect=0.3, baseline=0.0, sd=1.0, arms=ARMS)
    sizes = [res.n_control] + [res.n_treatment] * 3
    arm = np.repeat(["control", *ARMS], sizes)
    shift = np.where(arm == "control", 0.0, 0.3)
    rng = np.random.default_rng(20261128)
    reps = 1_000
    rejected = np.empty((reps, 3))
    for i in range(reps):
        y = rng.normal(size=len(arm)) + shift
        fit = multiarm(y, arm, arms=["control", *ARMS], family="reference", se="pooled", n_sim=20_000, seed=i)
        rejected[i] = [t.p_value < 0.05 for t in fit.terms]
    rate = rejected.mean()
    band = 0.03 + 2.576 * math.sqrt(0.8 * 0.2 / reps)
    assert abs(rate - 0.8) <= band, rate


def _people(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:04d}" for i in range(n)],
            "department": rng.choice(["A", "B", "C", "D", "E"], n),
            "team_id": [f"T{t:03d}" for t in rng.integers(0, 60, n)],
            "tenure": rng.gamma(2.0, 2.0, n),
        }
    )


def test_multiarm_assignment_is_stratified_labelled_and_reproducible() -> None:
    people = _people()
    share = sqrt_rule_control_share(3)
    kw: dict[str, Any] = {"program_id": "service-blend", "strata": ["department"], "arms": ARMS}
    a = assign_units(people, seed=11, **kw)
    frame = a.assignments
    assert set(frame["arm"]) == {"control", *ARMS}
    counts = pd.crosstab(frame["stratum"], frame["arm"])
    n_s = counts.sum(axis=1)
    assert ((counts["control"] - share * n_s).abs() < 1).all()  # control at its share, random rounding
    per_arm = counts[list(ARMS)]
    assert (per_arm.max(axis=1) - per_arm.min(axis=1) <= 1).all()  # arms as equal as possible per stratum
    assert a.n_per_arm == {arm: int((frame["arm"] == arm).sum()) for arm in ("control", *ARMS)}
    assert list(a.n_per_arm) == ["control", *ARMS]
    pd.testing.assert_frame_equal(frame, assign_units(people, seed=11, **kw).assignments)
    assert not frame["arm"].equals(assign_units(people, seed=12, **kw).assignments["arm"])
    bal = a.balance.tidy()
    assert set(bal["arm"]) == set(ARMS)
    assert set(bal["covariate"]) == {"department"}
    digital = frame["arm"].isin(["control", "digital"]).to_numpy()
    lvl = bal[(bal["arm"] == "digital") & (bal["level"] == "A")].iloc[0]
    dep_a = (people["department"] == "A").to_numpy()
    assert lvl["mean_treatment"] == pytest.approx(dep_a[frame["arm"].to_numpy() == "digital"].mean())
    assert lvl["mean_control"] == pytest.approx(
        dep_a[digital & (frame["arm"] == "control").to_numpy()].mean()
    )
    assert a.to_dict()["n_treatment"] == len(frame) - a.n_per_arm["control"]


def test_each_person_gets_each_arm_with_the_planned_probability() -> None:
    people = _people(n=37)
    share = 0.4
    reps = 600
    first = np.array(
        [
            assign_units(
                people, program_id="p", seed=s, arms=ARMS, control_share=share, strata=["department"]
            )
            .assignments["arm"]
            .iloc[0]
            for s in range(reps)
        ]
    )
    for arm, p in [("control", share), *((x, (1 - share) / 3) for x in ARMS)]:
        assert abs((first == arm).mean() - p) <= 2.576 * math.sqrt(p * (1 - p) / reps)


def test_cluster_multiarm_keeps_teams_together() -> None:
    a = assign_units(_people(), program_id="p", seed=5, arms=ARMS, cluster="team_id")
    assert (a.assignments.groupby("cluster_id")["arm"].nunique() == 1).all()
    assert set(a.assignments["arm"]) == {"control", *ARMS}


def test_cli_designs_and_assigns_a_multiarm_pilot(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "learnroi.duckdb"
    _fill(db)
    out_dir = tmp_path / "data"
    base = ["design", "--program", "blend", "--kpi", "revenue", "--effect", "0.08", "--relative"]
    rc, out, _ = cli(
        capsys,
        *base,
        "--arms",
        "digital,blended,classroom",
        "--strata",
        "department",
        "--assign",
        "--out",
        str(out_dir),
        "--db",
        str(db),
        "--json",
    )
    assert rc == 0
    res = json.loads(out)
    power, assignment = res["power"], res["assignment"]
    assert power["arms"] == list(ARMS)
    assert power["n_per_arm"]["control"] == power["n_control"]
    assert power["n_required"] == power["n_control"] + 3 * power["n_treatment"]
    assert sum(assignment["n_per_arm"].values()) == 480
    with Store.open(db, read_only=True) as store:
        stored = store.con.execute(
            "SELECT arm, count(*) FROM assignments WHERE program_id = 'blend' GROUP BY arm"
        ).fetchall()
    assert dict(stored) == assignment["n_per_arm"]  # recorded through `ingest design`
    arms = ["--arms", "digital,blended,classroom", "--db", str(db), "--json"]
    rc, out, _ = cli(capsys, *base, *arms, "--allocation", "0.75")  # the analysis' convention
    assert rc == 0
    assert json.loads(out)["power"]["control_share"] == pytest.approx(0.25)
    rc, out, _ = cli(capsys, *base, *arms, "--control-share", "0.5")
    half = json.loads(out)["power"]
    assert abs(half["n_control"] - 3 * half["n_treatment"]) <= 3  # half in control, the rest split in three
    rc, out, _ = cli(capsys, *base, "--db", str(db), "--json")
    assert rc == 0
    assert json.loads(out)["power"]["arms"] == []  # two-arm behaviour without --arms
    rc, _, err = cli(capsys, *base, "--control-share", "0.3", "--db", str(db))
    assert rc == 2
    assert "--arms" in err
