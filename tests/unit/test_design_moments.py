"""A KPI's variance, pre/post correlation and ICC measured on its history recover the planted values.

The history is simulated with a person effect (variance 4) and monthly noise (variance 9): the 3-month
mean has variance 4 + 9/3 = 7 and the baseline/measurement correlation is 4/7 = 0.571. With 4,000 people
the sampling error of the SD is ~1 % and of rho ~0.01, so the tolerances (3 %, 0.04) are ~3 SEs.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import DataError
from learnroi.design import estimate_icc, kpi_moments, read_kpi_history

SEED = 4242


def _history(n: int = 4_000, months: int = 12, binary: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    values = 10 + rng.normal(0, 2, (n, 1)) + rng.normal(0, 3, (n, months))
    if binary:
        values = (values > 10).astype(float)
    periods = pd.date_range("2024-01-01", periods=months, freq="MS")
    return pd.DataFrame(
        {
            "employee_id": np.repeat([f"E{i:05d}" for i in range(n)], months),
            "period": np.tile(periods, n),
            "kpi": "revenue",
            "value": values.ravel(),
        }
    )


def test_moments_recover_planted_variance_and_correlation() -> None:
    m = kpi_moments(_history(), "revenue", baseline_months=3, measurement_months=3)
    assert m.n == 4_000
    assert m.sd == pytest.approx(math.sqrt(7), rel=0.03)
    assert m.rho == pytest.approx(4 / 7, abs=0.04)
    assert m.between_var == pytest.approx(4, rel=0.08)
    assert m.within_var == pytest.approx(9, rel=0.03)
    sd6, rho6 = m.window(6)
    assert sd6 == pytest.approx(math.sqrt(4 + 9 / 6), rel=0.04)
    assert rho6 == pytest.approx(4 / math.sqrt(7 * 5.5), abs=0.04)
    assert not m.is_binary
    assert kpi_moments(_history(n=300, binary=True), "revenue").is_binary


def test_icc_recovers_planted_cluster_share() -> None:
    rng = np.random.default_rng(SEED)
    k, size = 400, 10
    clusters = np.repeat(np.arange(k), size)
    values = rng.normal(0, math.sqrt(0.1), k)[clusters] + rng.normal(0, math.sqrt(0.9), k * size)
    assert estimate_icc(values, clusters) == pytest.approx(0.1, abs=0.03)


def test_short_or_missing_history_raises_with_hint() -> None:
    with pytest.raises(DataError, match="Hint:"):
        kpi_moments(_history(n=50, months=4), "revenue", baseline_months=3, measurement_months=3)
    with pytest.raises(DataError, match="no history"):
        kpi_moments(_history(n=50), "deal_size")
    with pytest.raises(DataError, match="lacks columns"):
        kpi_moments(pd.DataFrame({"employee_id": ["a"]}), "revenue")


def test_reader_reads_the_performance_view() -> None:
    con = duckdb.connect()
    with pytest.raises(DataError, match="no performance data"):
        read_kpi_history(con, "revenue")
    con.register("h", _history(n=20))
    con.execute("CREATE TABLE performance AS SELECT employee_id, period::DATE AS period, kpi, value FROM h")
    frame = read_kpi_history(con, "revenue")
    assert list(frame.columns) == ["employee_id", "period", "kpi", "value"]
    assert len(frame) == 20 * 12


def test_one_value_per_person_kpi_is_cross_sectional() -> None:
    """Weeks to productivity: one value per hire, so no pre/post correlation; the inflow sizes the pilot."""
    rng = np.random.default_rng(SEED)
    n = 240  # 20 hires a month for 12 months
    hist = pd.DataFrame(
        {
            "employee_id": [f"H{i:04d}" for i in range(n)],
            "period": np.repeat(pd.date_range("2024-01-01", periods=12, freq="MS"), 20),
            "kpi": "weeks_to_productivity",
            "value": rng.normal(12, 2, n),
        }
    )
    m = kpi_moments(hist, "weeks_to_productivity")
    assert m.cross_sectional
    assert m.rho == 0.0
    assert m.per_month == pytest.approx(20)
    assert m.sd == pytest.approx(2, rel=0.15)
