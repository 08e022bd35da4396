"""DuckDB / Spark parity of the whole KPI catalog, the funnel, the panel and content effectiveness (contracts §3).

Integers, strings, flags and dates must be equal and floats equal to 1e-9 relative. The fixture's event
timestamps cross midnight, month ends and time zones, and carry fractional seconds, so a duration computed
as an engine's count of day boundaries, or a month taken in local time, would differ. Every result reaches
Python through ``learnroi.metrics.engine.collect``; the test counts the rows it returns to show that no
event-level rows are collected to the driver. ``cohort`` runs the same code as ``department`` with another
key, so it is left out to keep the Spark run short.

Spark views are built with ``spark.createDataFrame(arrow_table)`` from the DuckDB tables: Ibis 12's pandas memtable path turns the
missing values of pandas 3 ``str`` columns into the string ``'NaN'`` on Spark (seen on this fixture), and
``create_table`` would write ``./spark-warehouse``. The hand-made blended program of
``tests/unit/test_metrics_content.py`` (modalities, module checks, a roster with no-shows) is added to the
fixture for the module and modality grains and for content effectiveness.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from learnroi.metrics import build_panel, compute_all, content_effectiveness, funnel
from learnroi.metrics import content as content_mod
from learnroi.metrics import kpis as kpis_mod
from learnroi.metrics import panel as panel_mod
from tests.conftest import require_tool
from tests.unit.test_metrics_content import SCHEMAS, content_frames, load
from tests.unit.test_metrics_fixture import build_frames

pytestmark = [
    pytest.mark.spark,
    # pyspark's Arrow collection leaves its py4j result socket to the garbage collector.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
    ),
]


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    require_tool("java", "Spark runs on the JVM; install openjdk-17-jre-headless")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("learnroi-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    base, blend = build_frames(), content_frames()
    out = {}
    for name in SCHEMAS:
        parts = [f for f in (base.get(name), blend[name]) if f is not None and len(f)]
        out[name] = pd.concat(parts, ignore_index=True) if parts else blend[name]
    return out


@pytest.fixture(scope="module")
def engines(spark: Any, frames: dict[str, pd.DataFrame]) -> tuple[Any, Any]:
    import ibis

    duck = load(frames)
    for name in SCHEMAS:  # the typed columns DuckDB holds, through Arrow
        spark.createDataFrame(duck.table(name).to_pyarrow()).createOrReplaceTempView(name)
    return duck, ibis.pyspark.connect(spark)


@pytest.fixture
def collected(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Row counts of everything the library collects to the driver."""
    sizes: list[int] = []
    real = kpis_mod.collect

    def spy(expr: Any) -> pd.DataFrame:
        out = real(expr)
        sizes.append(len(out))
        return out

    monkeypatch.setattr(kpis_mod, "collect", spy)
    monkeypatch.setattr(panel_mod, "collect", spy)
    monkeypatch.setattr(content_mod, "collect", spy)
    return sizes


def assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        x, y = a[col], b[col]
        if pd.api.types.is_float_dtype(x) or pd.api.types.is_float_dtype(y):
            xa, ya = x.to_numpy(dtype="float64"), y.to_numpy(dtype="float64")
            assert (np.isnan(xa) == np.isnan(ya)).all(), col
            np.testing.assert_allclose(xa, ya, rtol=1e-9, atol=0, equal_nan=True, err_msg=col)
        else:
            xs = x.astype("object").where(x.notna(), None).tolist()
            ys = y.astype("object").where(y.notna(), None).tolist()
            assert xs == ys, col


@pytest.mark.parametrize(
    "grain", ["program", "course", "module", "modality", "department", "period", "learner"]
)
def test_catalog_parity(
    engines: tuple[Any, Any], frames: dict[str, pd.DataFrame], collected: list[int], grain: str
) -> None:
    duck, spark = engines
    # min_cell=1: compare every number (suppression is the same pandas step after the engines)
    want = compute_all(duck, by=grain, min_cell=1, learner_level=True).table
    got = compute_all(spark, by=grain, min_cell=1, learner_level=True).table
    assert_same(want, got)
    assert want["value"].notna().sum() > 0
    n_events = len(frames["lms_events"])
    assert collected
    assert max(collected) <= len(want)
    assert max(collected) < n_events


def test_funnel_and_panel_parity(
    engines: tuple[Any, Any], frames: dict[str, pd.DataFrame], collected: list[int]
) -> None:
    duck, spark = engines
    assert_same(funnel(duck).table, funnel(spark).table)
    for program, kpi in (("sales", "revenue"), ("onboard", "weeks_to_productivity"), ("onboard", "revenue")):
        collected.clear()
        want, got = build_panel(duck, program, kpi), build_panel(spark, program, kpi)
        assert_same(want.frame, got.frame)
        assert (want.start, want.design, want.n_unmatched_left_out) == (
            got.start,
            got.design,
            got.n_unmatched_left_out,
        )
        assert max(collected) <= len(want.frame)


def test_content_effectiveness_parity(
    engines: tuple[Any, Any], frames: dict[str, pd.DataFrame], collected: list[int]
) -> None:
    duck, spark = engines
    want, got = content_effectiveness(duck, min_cell=1), content_effectiveness(spark, min_cell=1)
    assert_same(want.table, got.table)
    assert_same(want.modules, got.modules)
    assert list(want.ranking("blend")["module_id"][:1]) == ["m_weak"]
    assert max(collected) <= len(want.modules)
