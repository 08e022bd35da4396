"""Engine helpers shared by the catalog and the panel: connecting, reading the store's views, time arithmetic.

Only expressions that give the same answer on DuckDB and Spark are used here (pitfalls.md, "Time arithmetic"):
durations are ``ts.truncate('s').epoch_seconds()`` differences (never ``delta(unit=…)`` on timestamps, which
counts unit boundaries on DuckDB and whole elapsed units on Spark); day counts between *dates* use
``date.delta(date, unit='day')``; months are ``truncate('M')``. Spark runs with ``spark.sql.session.timeZone``
= UTC, as the store keeps timestamps in UTC.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from learnroi.core.errors import DataError, UsageError

VIEWS = (
    "employees",
    "assignments",
    "waves",
    "catalog",
    "lms_events",
    "performance",
    "cost_ledger",
    "survey_estimates",
)


def connect(con: Any) -> BaseBackend:
    """An Ibis backend over an open DuckDB connection (``learnroi.store.Store.open(path).con``)."""
    return ibis.duckdb.from_connection(con)


def engine_name(backend: BaseBackend) -> str:
    return str(backend.name)


def table(backend: BaseBackend, name: str) -> ir.Table:
    """One of the store's canonical views, or a :class:`DataError` saying what to ingest."""
    try:
        return backend.table(name)
    except Exception as exc:  # the engines raise different types for a missing table
        raise DataError(
            f"the store has no {name!r} table ({type(exc).__name__})",
            where=name,
            hint="Ingest the data first (`learnroi ingest all DIR`), or check --db points at the right store.",
        ) from None


def has_table(backend: BaseBackend, name: str) -> bool:
    try:
        backend.table(name)
    except Exception:
        return False
    return True


def seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch, identical on DuckDB and Spark."""
    return ts.truncate("s").epoch_seconds()


def month(value: ir.TimestampValue | ir.DateValue) -> ir.DateValue:
    """The first day of the value's month, as a date.

    Dates go through a timestamp first: Spark's ``date_trunc`` returns a timestamp even for a date.
    """
    ts = value if isinstance(value, ir.TimestampValue) else value.cast("timestamp")
    return ts.truncate("M").date()


def as_naive(col: pd.Series) -> pd.Series:
    """Dates or timestamps from either engine as naive ``datetime64[ns]`` (UTC wall time)."""
    out = pd.to_datetime(col)
    if isinstance(out.dtype, pd.DatetimeTZDtype):
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.astype("datetime64[ns]")


def month_index(d: ir.DateValue | ir.TimestampValue) -> ir.IntegerValue:
    """Months since year 0: differences are whole calendar months on every engine."""
    return d.year() * 12 + d.month()


def collect(expr: ir.Table) -> pd.DataFrame:
    """Run an (aggregated) expression and return pandas, through Arrow on both engines.

    Ibis 12's ``to_pandas`` (and, on Spark, its ``to_pyarrow``, which goes through pandas) reads a pandas
    option that pandas 3.1 deprecates; on Spark the compiled SQL is run with ``DataFrame.toArrow()`` instead.
    """
    backend = ibis.get_backend(expr)
    if backend.name == "pyspark":
        session = backend._session  # type: ignore[attr-defined]
        arrow = session.sql(backend.compile(expr)).toArrow()  # type: ignore[attr-defined]
    else:
        arrow = expr.to_pyarrow()
    frame: pd.DataFrame = arrow.to_pandas()
    return frame


def scalar(expr: ir.Scalar) -> Any:
    """Run a scalar expression; None for SQL NULL."""
    frame = collect(expr.as_table())
    if frame.empty:
        return None
    value: Any = frame.iloc[0, 0]
    return None if value is None or value is pd.NaT or value is pd.NA or value != value else value


def check_grain(by: str, allowed: tuple[str, ...], what: str) -> None:
    if by not in allowed:
        raise UsageError(
            f"{what} is not computable by {by!r}",
            hint=f"Use --by with one of: {', '.join(allowed)}.",
        )
