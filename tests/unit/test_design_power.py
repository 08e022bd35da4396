"""Power, sample size and MDE match the closed forms and statsmodels' power module; the advice is actionable.

Reference: statsmodels.stats.power (TTestIndPower, NormalIndPower) and proportion_effectsize (Cohen's h),
the independent implementation the issue names. Tolerances: power to 1e-6 (same formulas, numerical
root finding aside); sizes to one person (ours are rounded up per arm).
"""

from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from learnroi.core.errors import SpecError
from learnroi.design import design_effect, plan_power, power_from_std_effect


@pytest.mark.parametrize(
    ("d", "n1", "ratio", "alpha"), [(0.2, 50, 1.0, 0.05), (0.5, 30, 2.0, 0.01), (0.1, 900, 0.5, 0.1)]
)
def test_t_power_matches_statsmodels(d: float, n1: int, ratio: float, alpha: float) -> None:
    n_total = n1 * (1 + ratio)
    ours = float(power_from_std_effect(d, n_total, allocation=1 / (1 + ratio), alpha=alpha))
    ref = TTestIndPower().power(effect_size=d, nobs1=n1, alpha=alpha, ratio=ratio)
    assert ours == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize(
    ("p0", "effect", "allocation"), [(0.2, 0.05, 0.5), (0.5, -0.1, 0.3), (0.05, 0.02, 0.5)]
)
def test_proportion_size_matches_statsmodels(p0: float, effect: float, allocation: float) -> None:
    res = plan_power(kpi="win_rate", kind="proportion", effect=effect, baseline=p0, allocation=allocation)
    ratio = (1 - allocation) / allocation
    h = proportion_effectsize(p0 + effect, p0)
    n1 = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=ratio)
    assert res.n_treatment == math.ceil(n1 - 1e-6)
    assert abs(res.n_control - n1 * ratio) <= 1
    assert float(power_from_std_effect(h, res.n_required, allocation=allocation, test="z")) >= 0.8


@pytest.mark.parametrize("allocation", [0.5, 1 / 3, 0.2])
def test_mean_size_matches_statsmodels_and_is_minimal(allocation: float) -> None:
    res = plan_power(kpi="revenue", kind="mean", effect=300, baseline=10_000, sd=1_500, allocation=allocation)
    ratio = (1 - allocation) / allocation
    n1 = TTestIndPower().solve_power(effect_size=0.2, alpha=0.05, power=0.8, ratio=ratio)
    assert res.n_treatment == math.ceil(n1 - 1e-6)
    # the closed normal form (Cohen 1988) lands within a few people of the t answer
    z = stats.norm.isf(0.025) + stats.norm.ppf(0.8)
    assert res.n_required == pytest.approx((z / 0.2) ** 2 * (1 / allocation + 1 / (1 - allocation)), rel=0.01)


def test_cuped_and_design_effect_scale_the_size() -> None:
    base = plan_power(kpi="k", kind="mean", effect=0.1, baseline=0, sd=1)
    cuped = plan_power(kpi="k", kind="mean", effect=0.1, baseline=0, sd=1, rho=0.6)
    assert cuped.n_required / base.n_required == pytest.approx(1 - 0.6**2, rel=0.01)
    assert design_effect(10, 0.05) == pytest.approx(1.45)
    assert design_effect(10, 0.05, cluster_cv=0.5) == pytest.approx(1 + (1.25 * 10 - 1) * 0.05)
    cl = plan_power(kpi="k", kind="mean", effect=0.1, baseline=0, sd=1, icc=0.05, cluster_size=10)
    assert cl.n_required / base.n_required == pytest.approx(1.45, rel=0.02)
    assert cl.clusters_required is not None
    assert cl.n_required == cl.clusters_required * 10


def test_power_and_mde_at_available_size_are_consistent() -> None:
    res = plan_power(kpi="k", kind="mean", effect=0.2, baseline=0, sd=1, n_available=300)
    assert res.mde_available is not None
    assert res.power_available is not None
    at_mde = plan_power(kpi="k", kind="mean", effect=res.mde_available, baseline=0, sd=1, n_available=300)
    assert at_mde.power_available == pytest.approx(0.8, abs=1e-6)
    assert res.power_available == pytest.approx(TTestIndPower().power(0.2, 150, 0.05), abs=1e-6)
    prop = plan_power(kpi="w", kind="proportion", effect=0.03, baseline=0.2, n_available=1000)
    assert prop.mde_available is not None
    again = plan_power(kpi="w", kind="proportion", effect=prop.mde_available, baseline=0.2, n_available=1000)
    assert again.power_available == pytest.approx(0.8, abs=1e-6)


def test_undetectable_pilot_says_what_would_work() -> None:
    res = plan_power(
        kpi="revenue",
        kind="mean",
        effect=450,
        baseline=10_000,
        sd=2_000,
        rho=0.5,
        n_available=400,
        icc=0.03,
        cluster_size=8,
        allocation=0.3,
    )
    assert not res.detectable
    text = " ".join(res.advice)
    for lever in ("More people", "Pool cohorts", "better covariate", "Randomize people", "even split"):
        assert lever in text
    # each lever quoted is real: the required size and the covariate strength make it detectable
    assert plan_power(**_kw(res, n_available=res.n_required)).detectable
    rho_needed = float(next(a for a in res.advice if "rho >=" in a).split("rho >= ")[1].split(" ")[0])
    assert plan_power(**_kw(res, rho=rho_needed + 0.01)).detectable
    assert "NO" in res.summary()
    assert res.tidy().set_index("quantity").loc["n_required", "value"] == res.n_required


def test_longer_window_advice_uses_measured_variance() -> None:
    windows = {k: (math.sqrt(4 + 9 / k), 4 / math.sqrt((4 + 9 / 3) * (4 + 9 / k))) for k in range(1, 13)}
    sd3, rho3 = windows[3]
    res = plan_power(
        kpi="k",
        kind="mean",
        effect=0.55,
        baseline=10,
        sd=sd3,
        rho=rho3,
        n_available=400,
        advice_context={"window_sd": windows, "measurement_months": 3},
    )
    assert not res.detectable
    line = next(a for a in res.advice if "longer window" in a.lower())
    months = int(line.split("over ")[1].split(" months")[0])
    sd_k, rho_k = windows[months]
    assert plan_power(**_kw(res, sd=sd_k, rho=rho_k)).detectable


def _kw(res: object, **change: object) -> dict[str, object]:
    keys = ("kpi", "kind", "effect", "baseline", "sd", "rho", "icc", "cluster_size", "allocation", "alpha")
    out = {k: getattr(res, k) for k in keys}
    out["power"] = res.target_power  # type: ignore[attr-defined]
    out["n_available"] = res.n_available  # type: ignore[attr-defined]
    out.update(change)
    return out


@pytest.mark.parametrize(
    "bad",
    [
        {"allocation": 1.0},
        {"rho": 1.0},
        {"alpha": 0.0},
        {"sd": None},
        {"effect": 0.0},
        {"kind": "proportion", "baseline": 0.95, "effect": 0.1},
    ],
)
def test_bad_settings_raise_with_hint(bad: dict[str, object]) -> None:
    kw: dict[str, object] = {"kpi": "k", "kind": "mean", "effect": 1.0, "baseline": 0.5, "sd": 1.0, **bad}
    with pytest.raises(SpecError) as err:
        plan_power(**kw)  # type: ignore[arg-type]
    assert "Hint:" in str(err.value)
