"""Recovery: Callaway-Sant'Anna on staggered roll-outs with effects that differ by cohort and grow with
time since treatment; two-way fixed effects on the same data is visibly biased.

Rules (validation-targets.md section 5): seeds fixed below, R = 500 replications, 95% CI coverage must
lie in 0.95 +/- 2.576 sqrt(0.95 * 0.05 / R) (92.5-97.5%), bias within max(0.1 mean SE, 3 MC SE), and the
false-positive rate under a zero effect at most 0.05 + 2.326 sqrt(0.05 * 0.95 / R) (7.3%).

What it catches: TWFE (the naive contrast) has a bias of about -0.45 on the overall ATT of 1.16 here
(negative weights on late-vs-early comparisons) and coverage ~0%; a CS implementation
without the weight-estimation term in the aggregate's influence function, with the wrong base period,
or that compares with already-treated units fails the bias or the coverage band. The repeated
cross-section case (one row per hire, waves by department, department x month shocks) catches
unclustered standard errors: ignoring the department shocks drops coverage well below the band. With
40 departments (10 per wave) clustered analytic SEs covered 90.6% at these seeds: they need ~20
departments per wave; with fewer, use the wild bootstrap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.staggered import callaway_santanna
from learnroi.attribution.twfe import twfe

SEED = 20261128
R = 500
COVER_LO = 0.95 - 2.576 * np.sqrt(0.95 * 0.05 / R)
COVER_HI = 0.95 + 2.576 * np.sqrt(0.95 * 0.05 / R)
FPR_MAX = 0.05 + 2.326 * np.sqrt(0.05 * 0.95 / R)
Z = 1.959963984540054

N_UNITS, T = 400, 6
COHORTS = np.array([0, 3, 4, 5])  # 0 = never treated; each a quarter of the units
SCALE = {3: 1.0, 4: 0.6, 5: 0.3}  # effect at e = 0 by cohort; grows by 50% per period since treatment


def effect(g: np.ndarray, t: np.ndarray, on: float) -> np.ndarray:
    e = t - g
    base = np.select([g == 3, g == 4, g == 5], [SCALE[3], SCALE[4], SCALE[5]], 0.0)
    return on * np.where((g > 0) & (e >= 0), base * (1 + 0.5 * e), 0.0)


def true_simple_att(on: float) -> float:
    """Group-size weighted mean of the post-treatment cells (cohorts are equal-sized by construction)."""
    cells = [(g, t) for g in (3, 4, 5) for t in range(1, T + 1) if t >= g]
    vals = [effect(np.array([g]), np.array([t]), on)[0] for g, t in cells]
    return float(np.mean(vals))


def panel(rng: np.random.Generator, on: float) -> pd.DataFrame:
    unit = np.repeat(np.arange(N_UNITS), T)
    t = np.tile(np.arange(1, T + 1), N_UNITS)
    g_unit = COHORTS[np.arange(N_UNITS) % 4]
    g = g_unit[unit]
    alpha = rng.normal(size=N_UNITS) + 0.5 * (g_unit > 0)  # treated units differ in level: fine for DiD
    y = alpha[unit] + 0.3 * t + effect(g, t, on) + rng.normal(size=len(t))
    return pd.DataFrame({"y": y, "unit": unit, "t": t, "g": g, "d": ((g > 0) & (t >= g)).astype(float)})


def _simulate(on: float) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {"cs": [], "cs_se": [], "tw": [], "tw_se": []}
    for r in range(R):
        df = panel(np.random.default_rng([SEED, r]), on)
        cs = callaway_santanna(df, outcome="y", unit="unit", time="t", group="g").aggregate("simple")
        tw = twfe(df, outcome="y", treat="d", unit="unit", time="t", cluster="unit")
        out["cs"].append(cs.estimate)
        out["cs_se"].append(cs.std_error)
        out["tw"].append(tw.estimate)
        out["tw_se"].append(tw.std_error)
    return {k: np.array(v) for k, v in out.items()}


def _bias_ok(est: np.ndarray, se: np.ndarray, truth: float) -> bool:
    err = est - truth
    return abs(err.mean()) <= max(0.1 * se.mean(), 3 * err.std(ddof=1) / np.sqrt(len(err)))


def _coverage(est: np.ndarray, se: np.ndarray, truth: float) -> float:
    return float(np.mean(np.abs(est - truth) <= Z * se))


@pytest.mark.slow
def test_cs_recovers_heterogeneous_staggered_effects_twfe_does_not() -> None:
    truth = true_simple_att(1.0)
    sim = _simulate(1.0)
    assert _bias_ok(sim["cs"], sim["cs_se"], truth)
    assert COVER_LO <= _coverage(sim["cs"], sim["cs_se"], truth) <= COVER_HI
    # Same seeds: TWFE fails both rules, visibly.
    assert not _bias_ok(sim["tw"], sim["tw_se"], truth)
    assert sim["tw"].mean() - truth < -0.2
    assert _coverage(sim["tw"], sim["tw_se"], truth) < COVER_LO


@pytest.mark.slow
def test_cs_false_positive_rate_under_zero_effect() -> None:
    sim = _simulate(0.0)
    assert np.mean(np.abs(sim["cs"] / sim["cs_se"]) > Z) <= FPR_MAX


# ---------------------------------------------------------------- repeated cross-sections (onboarding)
N_DEPT, MONTHS = 80, 8
WAVES = np.array([0, 4, 6, 8])  # department waves; 0 = not in the study window


def hires(rng: np.random.Generator) -> pd.DataFrame:
    dept_wave = WAVES[np.arange(N_DEPT) % 4]
    count = rng.poisson(6, size=(N_DEPT, MONTHS)) + 1
    dept = np.repeat(np.repeat(np.arange(N_DEPT), MONTHS), count.ravel())
    month = np.repeat(np.tile(np.arange(1, MONTHS + 1), N_DEPT), count.ravel())
    g = dept_wave[dept]
    shock = rng.normal(scale=0.6, size=(N_DEPT, MONTHS))  # department x month shocks
    level = rng.normal(scale=1.0, size=N_DEPT)
    e = month - g
    tau = np.where((g > 0) & (e >= 0), -(1.0 + 0.25 * e), 0.0)  # weeks to productivity fall, more over time
    y = 10 + level[dept] + 0.1 * month + shock[dept, month - 1] + tau + rng.normal(scale=2.0, size=len(g))
    return pd.DataFrame({"weeks": y, "hire": np.arange(len(g)), "month": month, "wave": g, "dept": dept})


def rc_truth(df: pd.DataFrame) -> float:
    """The simple aggregate's estimand: cohort-size weighted mean over post cells of the cell ATT."""
    post = df[(df["wave"] > 0) & (df["month"] >= df["wave"])]
    cells = post.groupby(["wave", "month"]).size().reset_index()[["wave", "month"]]
    share = df[df["wave"] > 0].groupby("wave").size() / len(df)
    w = cells["wave"].map(share)
    tau = -(1.0 + 0.25 * (cells["month"] - cells["wave"]))
    return float((tau * w).sum() / w.sum())


@pytest.mark.slow
def test_cs_repeated_cross_section_clustered_by_department() -> None:
    est, se, se_naive, truth = [], [], [], []
    for r in range(R):
        df = hires(np.random.default_rng([SEED, 7, r]))
        res = callaway_santanna(
            df, outcome="weeks", unit="hire", time="month", group="wave", panel=False, cluster="dept"
        )
        agg = res.aggregate("simple")
        est.append(agg.estimate)
        se.append(agg.std_error)
        naive = callaway_santanna(df, outcome="weeks", unit="hire", time="month", group="wave", panel=False)
        se_naive.append(naive.aggregate("simple").std_error)
        truth.append(rc_truth(df))
    e, s, tr = np.array(est), np.array(se), np.array(truth)
    assert _bias_ok(e - tr + tr.mean(), s, float(tr.mean()))
    assert COVER_LO <= float(np.mean(np.abs(e - tr) <= Z * s)) <= COVER_HI
    assert float(np.mean(np.abs(e - tr) <= Z * np.array(se_naive))) < COVER_LO  # unclustered SEs fail
