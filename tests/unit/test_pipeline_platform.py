"""The platform's ROI read from the store: ``platform_costs``, ``admin_time`` and the HRIS hourly rates.

Hand-built store: two admin tasks over 2024-01..2024-12, the licence line in July (the inferred
go-live), 60 hours a month saved from then on, three employees at 40, 50 and 60 an hour. Expected by
hand: saving = mean(before) - mean(after) = 60 hours a month; hourly cost = the HRIS median (50) with
the quartiles 45 / 55 as its range; admin benefit = 60 x 50 x 12 months = 36,000 (no discounting);
platform cost = 10,000 + 14,000 = 24,000; ROI = (36,000 - 24,000) / 24,000 = 50 %.

Would catch: the admin hours not summed across tasks per month, go-live taken from the wrong line, the
hourly cost not read from the HRIS (or an override ignored), a store without platform data crashing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from learnroi.core.errors import DataError
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.pipeline.platform import analyze_platform
from learnroi.store import Store

MONTHS = [f"2024-{m:02d}-01" for m in range(1, 13)]
BEFORE = [100.0, 104.0, 96.0, 100.0, 98.0, 102.0]  # mean 100, split over two tasks below
AFTER = [40.0, 42.0, 38.0, 41.0, 39.0, 40.0]  # mean 40


def _tables(with_platform: bool = True) -> dict[str, pa.Table]:
    employees = pa.table(
        {
            "employee_id": ["E1", "E2", "E3"],
            "loaded_salary": [83_200.0, 104_000.0, 124_800.0],
            "standard_hours": [2080.0, 2080.0, 2080.0],
        }
    )
    if not with_platform:
        return {"employees": employees}
    hours = BEFORE + AFTER
    admin = pa.table(
        {
            "period": MONTHS * 2,
            "team": ["L&D"] * 24,
            "task": ["enrolment"] * 12 + ["reporting"] * 12,
            "hours": [0.75 * h for h in hours] + [0.25 * h for h in hours],
        }
    )
    costs = pa.table(
        {
            "line_id": ["P1", "P2"],
            "date": ["2024-05-15", "2024-07-01"],
            "category": ["integration", "licence"],
            "amount": [10_000.0, 14_000.0],
            "currency": ["USD", "USD"],
        }
    )
    return {"employees": employees, "admin_time": admin, "platform_costs": costs}


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with store_from_tables(_tables()) as s:
        yield s


def test_platform_roi_matches_hand_computation(store: Store) -> None:
    res = analyze_platform(store, [], draws=2000)
    assert res is not None
    assert res.admin["hours_saved"] == pytest.approx(60.0)
    assert res.admin["months_before"] == 6
    assert res.admin["months_after"] == 6
    assert (res.admin["hourly_cost_low"], res.admin["hourly_cost"], res.admin["hourly_cost_high"]) == (
        pytest.approx(45.0),
        pytest.approx(50.0),
        pytest.approx(55.0),
    )
    assert res.platform_cost == pytest.approx(24_000.0)
    assert res.admin_benefit == pytest.approx(36_000.0)
    assert res.roi_pct == pytest.approx(50.0)
    assert res.roi_conf_low is not None
    assert res.roi_conf_high is not None
    assert res.roi_conf_low < 50.0 < res.roi_conf_high


def test_overrides_and_missing_data(store: Store) -> None:
    res = analyze_platform(store, [], go_live="2024-06", hourly_cost=100.0, draws=500)
    assert res is not None
    # go-live in June: before = Jan..May (mean 99.6), after = Jun..Dec (mean (102 + 240) / 7)
    before, after = sum(BEFORE[:5]) / 5, (BEFORE[5] + sum(AFTER)) / 7
    assert res.admin["hours_saved"] == pytest.approx(before - after)
    assert res.admin["hourly_cost"] == 100.0
    with store_from_tables(_tables(with_platform=False)) as empty:
        assert analyze_platform(empty, []) is None
    costs_only = {k: v for k, v in _tables().items() if k != "admin_time"}
    with store_from_tables(costs_only) as s, pytest.raises(DataError, match="admin hours") as err:
        analyze_platform(s, [])
    assert "admin_time.csv" in err.value.hint
