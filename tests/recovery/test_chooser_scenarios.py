"""The design chooser, tested both ways (contracts §4): on clean simulated companies it picks the
expected design and reports a number (false refusals <= 5 % over seeds, and the interval covers the
truth); on each planted violation it refuses.

The data-generating process below writes the panel exactly as ``learnroi.metrics.panel`` lays it out
(docs: Panel.frame): monthly KPI per employee, person effects (the unobserved covariate), tenure (the
observed one), department x month shocks, a program effect TAU in the window. Seeds are fixed here:
SEEDS = range(20) for the clean scenarios (5 % of 20 is one refusal allowed), range(10) for violations.

What it would catch: a chooser that always reports (it would report on the SRM, broken-trend and
no-overlap companies); one that refuses too eagerly (false refusals); one that picks the naive
trained-vs-untrained difference (its bias here is ~ +8 on a true effect of 5: asserted below).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.chooser import DesignInfo, attribute

TAU = 5.0
START = date(2025, 7, 1)
CLEAN_SEEDS = range(20)
VIOLATION_SEEDS = range(10)


def _months(n: int, first: str = "2025-01-01") -> pd.DatetimeIndex:
    return pd.date_range(first, periods=n, freq="MS")


def monthly_panel(
    seed: int,
    *,
    kind: str,
    n: int = 1000,
    n_teams: int = 150,
    violation: str | None = None,
) -> tuple[pd.DataFrame, float]:
    """A person x month panel (12 months, program start in month 7) and the true effect on the
    estimand (ITT for randomized, ATT otherwise). ``kind``: randomized | teams | observational | matched |
    its."""
    rng = np.random.default_rng(seed)
    months = _months(12)
    T = len(months)
    alpha = rng.normal(0, 10, n)  # unobserved person effect
    tenure0 = rng.integers(3, 120, n)
    team = rng.integers(0, n_teams, n)
    dept = team % 40
    post = np.asarray(months >= pd.Timestamp(START))
    if kind in ("randomized", "teams"):
        arm_t = rng.random(n) < 0.5 if kind == "randomized" else rng.random(n_teams)[team] < 0.5
        took = np.where(arm_t, rng.random(n) < 0.9, rng.random(n) < 0.02)
        truth = TAU * (took[arm_t].mean() - took[~arm_t].mean())
        trained = took
    elif violation == "no_overlap":
        trained = tenure0 > 80
        arm_t, truth = None, TAU
    elif kind == "its":
        trained = np.ones(n, dtype=bool)
        arm_t, truth = None, TAU
    else:  # selection on tenure (observed) and alpha (unobserved; not for "matched": no pre-period)
        lin = -0.5 + 0.02 * (tenure0 - 60) + (0.0 if kind == "matched" else 0.08) * alpha
        trained = rng.random(n) < 1 / (1 + np.exp(-lin))
        arm_t, truth = None, TAU
    shock = rng.normal(0, 1.5, (40, T))
    season = 3 * np.sin(np.arange(T) / 12 * 2 * np.pi)
    tenure = tenure0[:, None] + np.arange(T)[None, :]
    y = (
        100
        + alpha[:, None]
        + 0.05 * tenure
        + season[None, :]
        + shock[dept]
        + TAU * (trained[:, None] & post[None, :])
        + rng.normal(0, 5, (n, T))
    )
    if violation == "trends":
        y = y + 1.0 * trained[:, None] * np.arange(T)[None, :]
    frame = pd.DataFrame(
        {
            "employee_id": np.repeat([f"E{i:05d}" for i in range(n)], T),
            "period": np.tile(months, n),
            "kpi": "revenue",
            "value": y.ravel(),
            "program_id": "sales",
            "arm": np.repeat(
                np.where(arm_t, "treatment", "control") if arm_t is not None else np.full(n, None), T
            ),
            "enrolled": np.repeat(trained, T),
            "completed": np.repeat(trained, T),
            "first_treated_period": np.repeat(
                np.where(
                    (arm_t if arm_t is not None else trained),
                    np.datetime64(START.isoformat(), "ns"),
                    np.datetime64("NaT", "ns"),
                ),
                T,
            ),
            "department": np.repeat([f"D{d:02d}" for d in dept], T),
            "team_id": np.repeat([f"T{t:03d}" for t in team], T),
            "role": np.repeat(np.array(["rep", "senior", "lead"])[tenure0 % 3], T),
            "location": np.repeat(np.array(["NYC", "LDN", "SGP"])[team % 3], T),
            "tenure_months": tenure.ravel(),
            "post": np.tile(post, n),
        }
    )
    frame["treated"] = frame.first_treated_period.notna() & (frame.period >= frame.first_treated_period)
    frame["wave"] = frame.first_treated_period.notna().astype("int64")
    frame["cohort"] = pd.NaT
    frame["hire_date"] = pd.NaT
    frame["baseline"] = frame.value.where(~frame.post).groupby(frame.employee_id).transform("mean")
    if kind == "matched":  # no KPI history before the program: matching on recorded traits only
        frame = frame[frame.post].assign(baseline=np.nan)
    if violation == "srm":  # 30 % of the control arm's records never reached the panel
        lost = (frame.arm == "control") & (frame.employee_id.str[-1].isin(["0", "3", "6"]))
        frame = frame[~lost]
    return frame.reset_index(drop=True), truth


def onboarding_panel(
    seed: int, *, n_depts: int = 40, n: int = 4000, violation: str | None = None
) -> tuple[pd.DataFrame, float]:
    """One value per hire (weeks to productivity), hire cohorts over 24 months, departments adopting in
    waves (a quarter never). The program saves TAU/5 = 1 week."""
    rng = np.random.default_rng(seed)
    months = _months(24, "2024-01-01")
    wave_start = np.concatenate([np.array(["NaT"], dtype="datetime64[ns]"), months.values[[8, 12, 16]]])
    dept_wave = np.arange(n_depts) % 4
    dept = rng.integers(0, n_depts, n)
    m = rng.integers(0, 24, n)
    start = wave_start[dept_wave[dept]]
    period = months.values[m]
    treated = ~np.isnat(start) & (period >= start)
    effect = TAU / 5
    y = (
        12
        + rng.normal(0, 1, n_depts)[dept]
        + 0.3 * np.sin(m / 12 * 2 * np.pi)
        - effect * treated
        + rng.normal(0, 2, n)
    )
    if violation == "trends":
        y = y - 0.3 * m * (dept_wave[dept] == 2)  # the second wave was already improving
    frame = pd.DataFrame(
        {
            "employee_id": [f"H{i:05d}" for i in range(n)],
            "period": period,
            "kpi": "weeks_to_productivity",
            "value": y,
            "program_id": "onboarding",
            "arm": None,
            "enrolled": treated,
            "completed": treated,
            "treated": treated,
            "first_treated_period": start,
            "wave": dept_wave[dept],
            "cohort": period,
            "department": [f"D{d:02d}" for d in dept],
            "team_id": [f"T{d:02d}" for d in dept],
            "role": "new_hire",
            "location": "NYC",
            "hire_date": period,
            "tenure_months": 0,
            "baseline": np.nan,
            "post": period >= months.values[8],
        }
    )
    return frame, -effect


def _info(kind: str, **kw: object) -> DesignInfo:
    if kind == "onboarding":
        return DesignInfo("onboarding", "weeks_to_productivity", "staggered", one_value_per_person=True, **kw)  # type: ignore[arg-type]
    design = {"randomized": "randomized", "teams": "randomized"}.get(kind, "observational")
    return DesignInfo("sales", "revenue", design, start=START, window_months=6, **kw)  # type: ignore[arg-type]


CLEAN = [
    ("randomized", {}, "randomized"),
    ("teams", {"cluster": "team_id"}, "randomized"),
    ("observational", {}, "did"),
    ("matched", {}, "matched"),
    ("onboarding", {}, "staggered"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "extra", "expected"), CLEAN)
def test_clean_scenarios_pick_the_design_and_report(
    kind: str, extra: dict[str, object], expected: str
) -> None:
    refusals, covered, naive_bias = 0, 0, []
    for seed in CLEAN_SEEDS:
        panel, truth = onboarding_panel(seed) if kind == "onboarding" else monthly_panel(seed, kind=kind)
        out = attribute(panel, _info(kind, **extra), seed=seed)
        assert out.design == expected
        if not out.identified:
            refusals += 1
            continue
        assert out.estimate is not None
        lo, hi = out.result.conf_int()  # type: ignore[union-attr]
        covered += lo <= truth <= hi
        naive = {c.term: c.estimate for c in out.contrasts}
        naive_bias.append(naive.get("naive trained vs untrained", np.nan) - truth)
        d = out.to_dict()
        assert d["identified"] is True
        assert d["estimate"] == pytest.approx(out.estimate)
    assert refusals <= 0.05 * len(CLEAN_SEEDS)
    assert covered >= len(CLEAN_SEEDS) - refusals - 3  # ~95 % coverage; 20 seeds: <= 3 misses (P ~ 0.98)
    if kind == "observational":  # selection on alpha: the naive contrast is far off at the same seeds
        assert np.nanmean(naive_bias) > 3


VIOLATIONS = [
    ("randomized", "srm", {}, "sample-ratio mismatch"),
    ("teams", None, {"cluster": "team_id"}, "too few clusters"),
    ("observational", "trends", {}, "parallel trends"),
    ("observational", "no_overlap", {}, "overlap"),
    ("onboarding_few", None, {}, "too few clusters"),
    ("onboarding", "trends", {}, "pre-trend"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "violation", "extra", "reason"), VIOLATIONS)
def test_planted_violations_are_refused(
    kind: str, violation: str | None, extra: dict[str, object], reason: str
) -> None:
    for seed in VIOLATION_SEEDS:
        if kind.startswith("onboarding"):
            panel, _ = onboarding_panel(
                seed, n_depts=12 if kind == "onboarding_few" else 40, violation=violation
            )
            info = _info("onboarding")
        else:
            n_teams = 12 if kind == "teams" else 150
            panel, _ = monthly_panel(seed, kind=kind, n_teams=n_teams, violation=violation)
            info = _info(kind, **extra)
        out = attribute(panel, info, seed=seed)
        assert not out.identified, (seed, out.summary())
        assert out.estimate is None
        assert any(reason in r for r in out.reasons), out.reasons
        assert out.fixes
        assert out.to_dict()["estimate"] is None
        assert "not" in out.explanation
