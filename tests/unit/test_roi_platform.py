"""platform_roi against hand computations: with no uncertainty anywhere the roll-up is the hand sum
(admin hours saved x hourly cost x months + the included programs' net benefits - platform cost);
forecast / estimate-based / not-identified programs are excluded unless asked (and the output says so);
Welch's SE and df match scipy; seeded runs repeat; bad frames name the row."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from learnroi.core.errors import DataError, SpecError, UsageError
from learnroi.core.program import ProgramSpec
from learnroi.roi import Basis, EffectInput, PlatformRoiResult, RoiResult, compute_roi, platform_roi
from learnroi.roi.platform import admin_saving
from learnroi.roi.result import TIDY_COLUMNS

DRAWS = 2_000
COSTS = pd.DataFrame(
    {"category": ["licences", "administration", "integration"], "amount": [30_000.0, 12_000.0, 8_000.0]}
)
FLAT_ADMIN = pd.DataFrame(
    {
        "period": ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"],
        "admin_hours": [100.0] * 3 + [80.0] * 3,
    }
)
NOISY_ADMIN = pd.DataFrame(
    {
        "period": [f"2025-{m:02d}" for m in range(1, 13)],
        "admin_hours": [400.0, 420, 390, 410, 405, 395, 300, 310, 290, 305, 295, 330],
    }
)


def _spec(pid: str, ranged: bool = False) -> ProgramSpec:
    def a(v: float) -> dict[str, Any]:
        return (
            {"value": v, "low": v * 0.8, "high": v * 1.2, "source": "t"}
            if ranged
            else {"value": v, "source": "t"}
        )

    return ProgramSpec.model_validate(
        {
            "program": {
                "id": pid,
                "name": pid,
                "audience": "a",
                "design": "randomized",
                "primary_kpi": "revenue",
            },
            "kpis": [
                {
                    "business_kpi": "revenue",
                    "unit": "USD",
                    "path": "s",
                    "rule": "revenue_margin",
                    "value_per_unit": "m",
                }
            ],
            "assumptions": {"reach": a(100), "m": a(0.35)},
            "costs": [{"category": "delivery", "amount": 10_000}],
        }
    )


def _roi(
    pid: str, est: float, se: float = 0.0, basis: Basis = "attributed", ranged: bool = False
) -> RoiResult:
    eff = EffectInput(
        kpi="revenue", estimate=est, std_error=se, identified=basis == "attributed", source=basis
    )
    return compute_roi(_spec(pid, ranged), eff, basis=basis, draws=DRAWS, seed=1)


def _run(programs: list[RoiResult], admin: pd.DataFrame = FLAT_ADMIN, **kw: Any) -> PlatformRoiResult:
    args: dict[str, Any] = {"hourly_cost": 50.0, "go_live": "2025-04", "draws": DRAWS, "seed": 2}
    args.update(kw)
    return platform_roi(COSTS, admin, programs, **args)


def test_zero_uncertainty_rollup_is_the_hand_sum() -> None:
    """Would catch a roll-up that double counts program costs, drops admin savings or mislabels draws."""
    a, b = _roi("a", 400.0), _roi("b", 100.0)
    fc, est = _roi("c", 900.0, basis="forecast"), _roi("d", 900.0, basis="estimates")
    refused = compute_roi(
        _spec("e"), EffectInput(kpi="revenue", estimate=1.0, identified=False, reasons=("no",)), draws=DRAWS
    )
    res = _run([a, fc, b, est, refused])
    # compute_roi keeps its simulated net benefits (read-only, outside the JSON contract)
    assert a.net_benefit_draws is not None
    assert a.net_benefit_draws.shape == (DRAWS,)
    assert not a.net_benefit_draws.flags.writeable
    assert refused.net_benefit_draws is None
    assert "net_benefit_draws" not in a.to_dict()
    net_a = 400 * 0.35 * 100 * 12 - 10_000  # benefit - own cost, by hand (docs/dev/roi-formulas.md)
    net_b = 100 * 0.35 * 100 * 12 - 10_000
    admin = (100 - 80) * 50.0 * 12
    benefit = admin + net_a + net_b
    assert res.platform_cost == 50_000
    assert res.cost_breakdown == {"administration": 12_000, "integration": 8_000, "licences": 30_000}
    assert res.admin_benefit == pytest.approx(admin)
    assert res.programs_net_benefit == pytest.approx(net_a + net_b)
    assert res.benefit == pytest.approx(benefit)
    roi = (benefit - 50_000) / 50_000 * 100
    assert res.roi_pct == pytest.approx(roi)
    assert res.roi_conf_low == pytest.approx(roi)
    assert res.roi_conf_high == pytest.approx(roi)
    assert res.p_roi_positive == 1.0
    assert res.bcr == pytest.approx(benefit / 50_000)
    assert res.included == ("a:revenue:attributed", "b:revenue:attributed")
    assert set(res.excluded) == {"c:revenue:forecast", "d:revenue:estimates", "e:revenue:attributed"}
    reasons = {p["program"]: p["reason"] for p in res.programs}
    assert "include_unattributed" in reasons["c"]
    assert "not identified" in reasons["e"]
    text = res.summary()
    assert "EXCLUDED  c on revenue (forecast)" in text
    assert "not a causal estimate" in text


def test_unattributed_programs_count_only_on_request_and_never_twice() -> None:
    a, fc = _roi("a", 400.0), _roi("c", 900.0, basis="forecast")
    dup = _roi("a", 5_000.0, basis="forecast")
    without = _run([a, fc, dup])
    with_flag = _run([dup, fc, a], include_unattributed=True)
    net_fc = 900 * 0.35 * 100 * 12 - 10_000
    assert with_flag.programs_net_benefit == pytest.approx(without.programs_net_benefit + net_fc)
    assert "c:revenue:forecast" in with_flag.included
    assert "a:revenue:forecast" in with_flag.excluded  # the attributed result of a wins
    row = next(p for p in with_flag.programs if p["basis"] == "forecast" and p["program"] == "a")
    assert row["reason"].startswith("duplicate")
    assert with_flag.include_unattributed
    assert "incl. unattributed" in with_flag.tidy()["method"].iloc[0]


def test_admin_saving_is_welch() -> None:
    s = admin_saving(NOISY_ADMIN, "2025-07")
    before, after = NOISY_ADMIN["admin_hours"][:6], NOISY_ADMIN["admin_hours"][6:]
    t = stats.ttest_ind(before, after, equal_var=False)
    assert s.hours_saved == pytest.approx(before.mean() - after.mean())
    assert s.hours_saved / s.std_error == pytest.approx(t.statistic)
    assert s.df == pytest.approx(t.df)
    # rows per admin and month are summed to monthly totals; a phase column replaces go_live
    split = pd.concat([NOISY_ADMIN.assign(admin_hours=NOISY_ADMIN["admin_hours"] / 2)] * 2)
    phased = split.assign(phase=["before"] * 6 + ["after"] * 6 + ["before"] * 6 + ["after"] * 6)
    again = admin_saving(phased)
    assert again == s


def test_uncertainty_combines_programs_and_admin_and_repeats_with_its_seed() -> None:
    progs = [_roi("a", 400.0, se=150.0, ranged=True), _roi("b", 100.0, se=80.0)]
    r1 = _run(progs, NOISY_ADMIN, go_live="2025-07", hourly_cost=(40.0, 50.0, 65.0))
    r2 = _run(progs, NOISY_ADMIN, go_live="2025-07", hourly_cost=(40.0, 50.0, 65.0))
    r3 = _run(progs, NOISY_ADMIN, go_live="2025-07", hourly_cost=(40.0, 50.0, 65.0), seed=3)
    assert r1.to_dict() == r2.to_dict()
    assert r3.roi_conf_low != r1.roi_conf_low
    assert r1.roi_conf_low < r1.roi_pct < r1.roi_conf_high
    assert 0 < r1.p_roi_positive < 1
    # the platform's spread is at least each program's spread in net benefit
    spread = (r1.roi_conf_high - r1.roi_conf_low) / 100 * r1.platform_cost
    for p in r1.programs:
        assert spread >= 0.9 * (p["conf_high"] - p["conf_low"])
    # a result without stored draws is rebuilt from its ROI histogram, and says so
    bare = [dataclasses.replace(p, net_benefit_draws=None) for p in progs]
    rebuilt = _run(bare, NOISY_ADMIN, go_live="2025-07")
    assert any("histogram" in n for n in rebuilt.notes)
    assert rebuilt.roi_pct == pytest.approx(r1.roi_pct)


def test_discounting_the_admin_saving() -> None:
    res = _run([], discount_rate=0.1, horizon_months=24)
    months = np.arange(1, 25)
    assert res.admin_benefit == pytest.approx(20 * 50.0 * np.sum(1.1 ** (-months / 12)))
    assert res.programs_net_benefit == 0.0
    assert res.roi_pct == pytest.approx((res.admin_benefit - 50_000) / 50_000 * 100)


def test_tidy_and_json() -> None:
    res = _run([_roi("a", 400.0, se=150.0)], NOISY_ADMIN, go_live="2025-07")
    t = res.tidy()
    assert list(t.columns) == TIDY_COLUMNS
    assert "program_net_benefit:a:revenue" in set(t["term"])
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["basis"] == "platform"
    assert d["programs"][0]["included"] is True


@pytest.mark.parametrize(
    ("costs", "admin", "kw", "err", "match"),
    [
        (COSTS.drop(columns="amount"), FLAT_ADMIN, {}, DataError, "no column amount"),
        (COSTS.assign(amount=["1", "x", "2"]), FLAT_ADMIN, {}, DataError, "not a number"),
        (COSTS.assign(amount=0.0), FLAT_ADMIN, {}, DataError, "not positive"),
        (COSTS.assign(currency="EUR"), FLAT_ADMIN, {}, SpecError, "EUR"),
        (COSTS, FLAT_ADMIN.drop(columns="period"), {}, DataError, "no column period"),
        (COSTS, FLAT_ADMIN.assign(admin_hours=-1.0), {}, DataError, "admin_hours"),
        (COSTS, FLAT_ADMIN.assign(period="not a month"), {}, DataError, "periods"),
        (COSTS, FLAT_ADMIN, {"go_live": None}, UsageError, "before the platform"),
        (COSTS, FLAT_ADMIN, {"go_live": "2025-06"}, DataError, "two months after"),
        (COSTS, FLAT_ADMIN, {"go_live": "soon"}, UsageError, "go_live"),
        (COSTS, FLAT_ADMIN.assign(phase="during"), {}, DataError, "unknown phase"),
        (COSTS, FLAT_ADMIN, {"hourly_cost": (60.0, 50.0, 70.0)}, UsageError, "hourly_cost"),
        (COSTS, FLAT_ADMIN, {"draws": 10}, UsageError, "draws"),
    ],
)
def test_errors_say_what_to_fix(
    costs: pd.DataFrame, admin: pd.DataFrame, kw: dict[str, Any], err: type[Exception], match: str
) -> None:
    with pytest.raises(err, match=match) as info:
        platform_roi(costs, admin, [], **{"hourly_cost": 50.0, "go_live": "2025-04", **kw})
    assert info.value.hint  # type: ignore[attr-defined]


def test_currency_of_programs_must_match() -> None:
    with pytest.raises(SpecError, match="EUR"):
        _run([_roi("a", 400.0)], currency="EUR")
