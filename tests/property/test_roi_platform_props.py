"""Properties of the platform roll-up and the forecast whatever the inputs (Hypothesis): the platform ROI
falls with its cost and rises with admin hours saved, the hourly cost and every counted program's net
benefit; an excluded program changes nothing; no uncertainty means a point interval equal to the hand sum;
ROI = (BCR - 1) x 100. The forecast ROI rises with the assumed effect while the break-even effect does
not move, and the MDE falls as the pilot grows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnroi.core.program import Hypothesis, parse_spec
from learnroi.roi import RoiResult, forecast_roi, platform_roi, template_text

DRAWS = 200
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FORECAST_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def _program(pid: str, net: float, spread: float, basis: str = "attributed") -> RoiResult:
    cost = 10_000.0
    draws = np.linspace(net - spread, net + spread, 101)
    draws.flags.writeable = False
    return RoiResult(
        program=pid,
        identified=basis == "attributed",
        benefit=net + cost,
        cost=cost,
        net_benefit=net,
        roi_pct=net / cost * 100,
        roi_conf_low=None,
        roi_conf_high=None,
        p_roi_positive=None,
        bcr=(net + cost) / cost,
        payback_months=None,
        npv=net,
        break_even_effect=None,
        basis=basis,
        kpi="revenue",
        net_benefit_draws=draws,
    )


def _admin(before: float, saved: float, noise: float) -> pd.DataFrame:
    wiggle = noise * np.tile([1.0, -1.0, 0.5, -0.5, 0.0, 0.0], 2)
    hours = np.r_[np.full(6, before), np.full(6, max(before - saved, 0.0))] + wiggle
    return pd.DataFrame({"period": MONTHS, "admin_hours": np.maximum(hours, 0.0)})


def _costs(total: float) -> pd.DataFrame:
    return pd.DataFrame({"category": ["licences", "integration"], "amount": [total * 0.7, total * 0.3]})


def _run(cost: float, admin: pd.DataFrame, progs: list[RoiResult], hourly: float = 50.0, **kw: Any) -> Any:
    return platform_roi(
        _costs(cost), admin, progs, hourly_cost=hourly, go_live="2025-07", draws=DRAWS, seed=5, **kw
    )


inputs = st.fixed_dictionaries(
    {
        "cost": st.floats(1_000.0, 1e7),
        "before": st.floats(100.0, 1_000.0),
        "saved": st.floats(0.0, 90.0),
        "noise": st.floats(0.0, 10.0),
        "nets": st.lists(st.floats(0.0, 1e6), max_size=3),
        "spread": st.floats(0.0, 1e5),
    }
)


@SETTINGS
@given(x=inputs, k=st.floats(1.01, 10.0))
def test_roi_falls_with_platform_cost(x: dict[str, Any], k: float) -> None:
    progs = [_program(f"p{i}", n, x["spread"]) for i, n in enumerate(x["nets"])]
    admin = _admin(x["before"], x["saved"], x["noise"])
    cheap, dear = _run(x["cost"], admin, progs), _run(x["cost"] * k, admin, progs)
    assert dear.roi_pct <= cheap.roi_pct + 1e-9
    assert dear.roi_pct == pytest.approx((dear.bcr - 1) * 100)


@SETTINGS
@given(x=inputs, more=st.floats(1.0, 50.0), dearer=st.floats(1.0, 50.0), extra=st.floats(1.0, 1e6))
def test_roi_rises_with_hours_saved_hourly_cost_and_programs(
    x: dict[str, Any], more: float, dearer: float, extra: float
) -> None:
    progs = [_program(f"p{i}", n, x["spread"]) for i, n in enumerate(x["nets"])]
    admin = _admin(x["before"], x["saved"], x["noise"])
    base = _run(x["cost"], admin, progs)
    assert _run(x["cost"], _admin(x["before"], x["saved"] + more, x["noise"]), progs).roi_pct > base.roi_pct
    if x["saved"] >= 0.01:
        assert _run(x["cost"], admin, progs, hourly=50.0 + dearer).roi_pct > base.roi_pct
    added = _run(x["cost"], admin, [*progs, _program("new", extra, x["spread"])])
    assert added.roi_pct > base.roi_pct
    # an excluded (forecast) program changes no number
    ignored = _run(x["cost"], admin, [*progs, _program("fc", extra, x["spread"], basis="forecast")])
    for f in ("roi_pct", "roi_conf_low", "roi_conf_high", "p_roi_positive", "benefit"):
        assert getattr(ignored, f) == getattr(base, f)
    assert ignored.excluded == ("fc:revenue:forecast",)


@SETTINGS
@given(x=inputs, hourly=st.floats(1.0, 200.0), horizon=st.integers(1, 36))
def test_no_uncertainty_gives_the_hand_sum(x: dict[str, Any], hourly: float, horizon: int) -> None:
    progs = [_program(f"p{i}", n, 0.0) for i, n in enumerate(x["nets"])]
    res = _run(x["cost"], _admin(x["before"], x["saved"], 0.0), progs, hourly=hourly, horizon_months=horizon)
    saved = x["before"] - max(x["before"] - x["saved"], 0.0)
    benefit = saved * hourly * horizon + sum(x["nets"])
    roi = (benefit - x["cost"]) / x["cost"] * 100
    assert res.roi_pct == pytest.approx(roi, rel=1e-9, abs=1e-9)
    assert res.roi_conf_low == pytest.approx(roi, rel=1e-9, abs=1e-9)
    assert res.roi_conf_high == pytest.approx(roi, rel=1e-9, abs=1e-9)


SPEC = parse_spec(template_text())
LEDGER = pd.DataFrame({"program_id": ["sales-skills"], "category": ["delivery"], "amount": [200_000.0]})


@FORECAST_SETTINGS
@given(
    e1=st.floats(10.0, 5_000.0),
    e2=st.floats(10.0, 5_000.0),
    n1=st.integers(20, 5_000),
    n2=st.integers(20, 5_000),
)
def test_forecast_rises_with_effect_and_mde_falls_with_n(e1: float, e2: float, n1: int, n2: int) -> None:
    (lo_e, hi_e), (lo_n, hi_n) = sorted((e1, e2)), sorted((n1, n2))
    common: dict[str, Any] = {
        "baseline": 20_000.0,
        "kpi_sd": 8_000.0,
        "rho": 0.4,
        "ledger": LEDGER,
        "draws": DRAWS,
    }
    unit = "USD per rep-month"
    low = forecast_roi(
        SPEC,
        Hypothesis(id="h", kpi="revenue", assumed_effect=lo_e, assumed_effect_unit=unit),
        n_available=lo_n,
        **common,
    )
    high = forecast_roi(
        SPEC,
        Hypothesis(id="h", kpi="revenue", assumed_effect=hi_e, assumed_effect_unit=unit),
        n_available=hi_n,
        **common,
    )
    assert high.roi.roi_pct >= low.roi.roi_pct  # type: ignore[operator]
    assert high.break_even_effect == pytest.approx(low.break_even_effect)
    assert high.mde <= low.mde  # type: ignore[operator]
    if low.can_detect_break_even:
        assert high.can_detect_break_even
