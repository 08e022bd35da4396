"""Simultaneous inference for multi-arm pilots (validation-targets.md §5; Dunnett 1955, Holm 1979).

R = 500 replications per check, seeds fixed below. Pass bands from R: simultaneous (family-wise)
coverage of the 95 % intervals in 0.95 ± 2.576·√(0.95·0.05/500) = [0.925, 0.975]; family-wise error
rate under an all-null ≤ 0.05 + 2.326·√(0.05·0.95/500) = 0.0727; |bias| ≤ max(0.1·mean SE, 3·MC SE).
The max-|t| critical value uses n_sim = 20,000 seeded draws here (Monte Carlo error ≈ ±0.01 on a value
near 2.6, i.e. ≈ ±0.1 point of coverage) to keep the run short.

DGP: four arms (control, digital, blended, classroom) of 100 people, randomized by permutation;
x ~ N(0,1); Y = 10 + 2x + lift_arm + e, e ~ N(0, σ_arm²) with σ larger in the classroom arm (Welch
matters); a pre-period KPI 10 + 2x + noise for CUPED. What it would catch: a critical value taken from
the wrong correlation or df (coverage off), a CUPED θ that leaks the arm (bias), pooled SEs under
unequal variances, and it shows the unadjusted per-contrast intervals failing family-wise at the same
seeds. Measured at these seeds: simultaneous coverage 93.6 % adjusted vs 77.2 % unadjusted (six pairs);
all-null FWER 5.2 % (Dunnett), 4.4 % (Holm), 12.8 % unadjusted (three comparisons); team-randomized
coverage 92.6 % with team-robust SEs (94.9 % at R = 2,000 on another seed), 68.2 % ignoring teams; a
single pooled CR1 with G − 1 df gave 90.4 % here, which is why teams nested in arms get per-arm CR1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from learnroi.attribution import EffectResult, multiarm

R = 500
N_ARM = 100
ARMS = np.array(["control", "digital", "blended", "classroom"])
LIFT = {"control": 0.0, "digital": 0.3, "blended": 1.0, "classroom": 0.6}
SIGMA = np.array([1.0, 1.0, 1.0, 1.8])
SEED_COVER, SEED_NULL, SEED_CLUSTER = 20261128, 20261129, 20261130
COVER_LO = 0.95 - 2.576 * math.sqrt(0.95 * 0.05 / R)
COVER_HI = 0.95 + 2.576 * math.sqrt(0.95 * 0.05 / R)
FPR_MAX = 0.05 + 2.326 * math.sqrt(0.05 * 0.95 / R)
N_SIM = 20_000


def _draw(seed: int, lift: dict[str, float]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = N_ARM * len(ARMS)
    code = rng.permuted(np.tile(np.repeat(np.arange(len(ARMS)), N_ARM), (R, 1)), axis=1)
    x = rng.normal(size=(R, n))
    y = 10 + 2 * x + np.array([lift[a] for a in ARMS])[code] + SIGMA[code] * rng.normal(size=(R, n))
    pre = 10 + 2 * x + rng.normal(size=(R, n))
    return {"arm": ARMS[code], "y": y, "pre": pre}


def _truth(term: str, lift: dict[str, float]) -> float:
    a, b = term.split(" - ")
    return lift[a] - lift[b]


def _collect(results: list[EffectResult], lift: dict[str, float]) -> dict[str, np.ndarray]:
    truth = np.array([_truth(t.term, lift) for t in results[0].terms])
    rows = [r.extra["contrasts"] for r in results]

    def get(k: str) -> np.ndarray:
        return np.array([[c[k] for c in row] for row in rows])

    return {
        "truth": truth,
        "est": get("estimate"),
        "se": get("std_error"),
        "lo": get("conf_low"),
        "hi": get("conf_high"),
        "lo_raw": get("conf_low_unadjusted"),
        "hi_raw": get("conf_high_unadjusted"),
        "p_holm": get("p_value_holm"),
    }


@pytest.mark.slow
def test_pairwise_simultaneous_coverage_with_cuped() -> None:
    d = _draw(SEED_COVER, LIFT)
    res = [
        multiarm(d["y"][r], d["arm"][r], reference="control", pre=d["pre"][r], n_sim=N_SIM, seed=r)
        for r in range(R)
    ]
    c = _collect(res, LIFT)
    assert c["est"].shape == (R, 6)
    err = c["est"] - c["truth"]
    bias, mcse = err.mean(axis=0), err.std(axis=0, ddof=1) / math.sqrt(R)
    assert (np.abs(bias) <= np.maximum(0.1 * c["se"].mean(axis=0), 3 * mcse)).all(), bias
    covered = ((c["lo"] <= c["truth"]) & (c["truth"] <= c["hi"])).all(axis=1).mean()
    covered_raw = ((c["lo_raw"] <= c["truth"]) & (c["truth"] <= c["hi_raw"])).all(axis=1).mean()
    assert COVER_LO <= covered <= COVER_HI, covered
    assert covered_raw < COVER_LO, covered_raw  # unadjusted intervals fail family-wise (≈ 0.80)
    each_raw = ((c["lo_raw"] <= c["truth"]) & (c["truth"] <= c["hi_raw"])).mean(axis=0)
    assert ((each_raw >= COVER_LO) & (each_raw <= COVER_HI)).all(), each_raw  # …though each is fine alone


@pytest.mark.slow
def test_all_null_familywise_error_dunnett_and_holm() -> None:
    null = dict.fromkeys(LIFT, 0.0)
    d = _draw(SEED_NULL, null)
    res = [
        multiarm(d["y"][r], d["arm"][r], reference="control", family="reference", n_sim=N_SIM, seed=r)
        for r in range(R)
    ]
    c = _collect(res, null)
    reject_adj = ((c["lo"] > 0) | (c["hi"] < 0)).any(axis=1).mean()
    reject_raw = ((c["lo_raw"] > 0) | (c["hi_raw"] < 0)).any(axis=1).mean()
    reject_holm = (c["p_holm"] < 0.05).any(axis=1).mean()
    assert reject_adj <= FPR_MAX, reject_adj
    assert reject_holm <= FPR_MAX, reject_holm
    assert reject_raw > FPR_MAX, reject_raw  # three unadjusted tests: FWER ≈ 0.12


@pytest.mark.slow
def test_team_randomized_cluster_robust_simultaneous_coverage() -> None:
    """60 teams of 8 randomized to arms (15 teams each) with a team effect (ICC ≈ 0.2): the CR1
    intervals with G − 1 df cover family-wise; the same max-|t| with person-level Welch SEs does not."""
    rng = np.random.default_rng(SEED_CLUSTER)
    teams, size = 60, 8
    team_arm = rng.permuted(np.tile(np.repeat(np.arange(4), teams // 4), (R, 1)), axis=1)
    team = np.repeat(np.arange(teams), size)
    code = team_arm[:, team]
    y = (
        np.array([LIFT[a] for a in ARMS])[code]
        + rng.normal(0, 0.5, size=(R, teams))[:, team]
        + rng.normal(size=(R, teams * size))
    )
    family = "reference"
    cl = [
        multiarm(y[r], ARMS[code[r]], reference="control", family=family, cluster=team, n_sim=N_SIM)
        for r in range(R)
    ]
    naive = [multiarm(y[r], ARMS[code[r]], reference="control", family=family, n_sim=N_SIM) for r in range(R)]
    c, n = _collect(cl, LIFT), _collect(naive, LIFT)
    cover = ((c["lo"] <= c["truth"]) & (c["truth"] <= c["hi"])).all(axis=1).mean()
    cover_naive = ((n["lo"] <= n["truth"]) & (n["truth"] <= n["hi"])).all(axis=1).mean()
    assert COVER_LO <= cover <= COVER_HI, cover
    assert cover_naive < COVER_LO, cover_naive
