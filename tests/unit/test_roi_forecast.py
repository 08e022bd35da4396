"""forecast_roi against hand computations: a fixed assumed effect is exactly compute_roi with
basis="forecast"; the break-even effect gives ROI 0; the MDE is learnroi.design.power's; the verdict
follows MDE vs break-even; the effect range widens the interval; seeded runs repeat; labels say forecast."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from learnroi.core.errors import SpecError, UsageError
from learnroi.core.program import Hypothesis, parse_spec
from learnroi.design.power import plan_power
from learnroi.roi import EffectInput, ForecastResult, compute_roi, forecast_roi, template_text
from learnroi.roi.result import TIDY_COLUMNS

DRAWS = 2_000
SPEC = parse_spec(template_text())
HYP = "sales-skills-revenue"
LEDGER = pd.DataFrame({"program_id": ["sales-skills"], "category": ["delivery"], "amount": [200_000.0]})
BASE, SD = 20_000.0, 8_000.0


def _fc(**kw: object) -> ForecastResult:
    args: dict[str, object] = {
        "baseline": BASE,
        "kpi_sd": SD,
        "rho": 0.5,
        "n_available": 400,
        "ledger": LEDGER,
        "draws": DRAWS,
        "seed": 3,
    }
    args.update(kw)
    return forecast_roi(SPEC, HYP, **args)  # type: ignore[arg-type]


def test_fixed_effect_is_compute_roi_with_forecast_basis() -> None:
    """Would catch a forecast that re-implements (and drifts from) the shared ROI arithmetic."""
    fc = _fc()
    eff = EffectInput.from_hypothesis(SPEC.hypotheses[0], baseline=BASE)
    ref = compute_roi(SPEC, eff, ledger=LEDGER, basis="forecast", draws=DRAWS, seed=3)
    assert fc.roi.to_dict() == ref.to_dict()
    assert fc.effect == pytest.approx(0.05 * BASE)
    assert fc.basis == fc.roi.basis == "forecast"
    assert not fc.roi.identified
    assert fc.summary().startswith("FORECAST ROI")
    assert "FORECAST" in fc.roi.summary()


def test_break_even_effect_gives_zero_roi() -> None:
    fc = _fc()
    assert fc.break_even_effect is not None
    eff = EffectInput(kpi="revenue", estimate=fc.break_even_effect, identified=False, source="forecast")
    at_be = compute_roi(SPEC, eff, ledger=LEDGER, basis="forecast", draws=DRAWS)
    assert at_be.roi_pct == pytest.approx(0.0, abs=1e-6)
    assert fc.break_even_relative == pytest.approx(fc.break_even_effect / BASE)


@pytest.mark.parametrize(("n", "rho", "alloc"), [(400, 0.5, None), (1_000, 0.0, 0.3), (60, 0.9, 0.5)])
def test_mde_is_design_power_mde(n: int, rho: float, alloc: float | None) -> None:
    fc = _fc(n_available=n, rho=rho, allocation=alloc)
    assert fc.break_even_effect is not None
    plan = plan_power(
        kpi="revenue",
        kind="mean",
        effect=abs(fc.break_even_effect),
        baseline=BASE,
        sd=SD,
        rho=rho,
        allocation=alloc if alloc is not None else SPEC.pilot.allocation if SPEC.pilot else 0.5,
        n_available=n,
    )
    assert fc.mde == pytest.approx(plan.mde_available, rel=1e-12)
    assert fc.power_at_break_even == pytest.approx(plan.power_available, rel=1e-12)
    assert fc.n_required_break_even == plan.n_required
    assert fc.mde_relative == pytest.approx(plan.mde_available / BASE)  # type: ignore[operator]


def test_verdict_follows_mde_against_break_even() -> None:
    small = _fc(n_available=200)
    assert small.mde is not None
    assert small.break_even_effect is not None
    assert small.mde > small.break_even_effect
    assert small.can_detect_break_even is False
    assert small.verdict.startswith("it cannot: MDE")
    assert "add people" in small.verdict
    assert small.advice  # plan_power's advice on what would detect the break-even effect
    # a costly programme needs a big effect to break even: a big pilot with a strong covariate sees it
    costly = LEDGER.assign(amount=5_000_000.0)
    big = _fc(n_available=200_000, rho=0.9, ledger=costly)
    assert big.mde is not None
    assert big.break_even_effect is not None
    assert big.mde <= big.break_even_effect
    assert big.can_detect_break_even is True
    assert big.verdict.startswith("the pilot can detect the break-even effect")
    assert big.advice == ()


def test_default_n_is_reach_and_unknown_n_gives_no_verdict_on_power() -> None:
    fc = _fc(n_available=None)
    assert fc.n_available == 400
    assert fc.n_source == "the spec's reach assumption"
    assert fc.mde is not None


def test_effect_range_widens_the_interval_and_repeats_with_its_seed() -> None:
    fixed = _fc()
    ranged = _fc(effect_range=(0.05, 0.10))
    again = _fc(effect_range=(0.05, 0.10))
    assert ranged.roi.roi_pct == pytest.approx(fixed.roi.roi_pct)  # point at the assumed effect
    assert ranged.roi.roi_conf_high > fixed.roi.roi_conf_high  # type: ignore[operator]
    assert ranged.to_dict() == again.to_dict()
    other = _fc(effect_range=(0.05, 0.10), seed=4)
    assert other.roi.roi_conf_low != ranged.roi.roi_conf_low
    with pytest.raises(UsageError, match="must contain the assumed effect"):
        _fc(effect_range=(0.06, 0.10))


def test_absolute_hypothesis_object_and_errors() -> None:
    hyp = Hypothesis(id="abs", kpi="revenue", assumed_effect=900.0, assumed_effect_unit="USD per rep-month")
    fc = forecast_roi(SPEC, hyp, baseline=BASE, kpi_sd=SD, ledger=LEDGER, draws=DRAWS)
    assert fc.effect == 900.0
    assert fc.hypothesis_id == "abs"
    with pytest.raises(SpecError, match="no hypothesis") as info:
        forecast_roi(SPEC, "nope", baseline=BASE, kpi_sd=SD, ledger=LEDGER)
    assert HYP in info.value.hint
    with pytest.raises(UsageError):
        _fc(n_available=2)
    with pytest.raises(UsageError):
        _fc(baseline=math.nan)


def test_tidy_and_json() -> None:
    fc = _fc(effect_range=(0.05, 0.10))
    t = fc.tidy()
    assert list(t.columns) == TIDY_COLUMNS
    assert t["method"].str.startswith("forecast").all()
    row = t.set_index("term").loc["roi_pct"]
    assert row["conf_low"] <= row["estimate"] <= row["conf_high"]
    d = json.loads(json.dumps(fc.to_dict(), allow_nan=False))
    assert d["basis"] == "forecast"
    assert d["roi"]["basis"] == "forecast"
    assert d["effect_range"] == [0.05, 0.10]
    assert d["power"]["mde_available"] == pytest.approx(fc.mde)


def test_proportion_kpi_with_an_unreachable_break_even() -> None:
    """A break-even effect beyond what a share can move: the MDE still comes from the assumed effect."""
    hyp = Hypothesis(id="p", kpi="revenue", assumed_effect=0.02, assumed_effect_unit="share")
    fc = forecast_roi(
        SPEC, hyp, baseline=0.3, kpi_sd=None, kind="proportion", n_available=800, ledger=LEDGER, draws=DRAWS
    )
    assert fc.break_even_effect is not None
    assert fc.break_even_effect > 0.7
    assert fc.power_at_break_even is None
    assert any("beyond what a proportion KPI can move" in n for n in fc.notes)
    ref = plan_power(kpi="revenue", kind="proportion", effect=0.02, baseline=0.3, n_available=800)
    assert fc.mde == pytest.approx(ref.mde_available)
    assert fc.can_detect_break_even is None
    assert "cannot pay for itself" in fc.verdict
