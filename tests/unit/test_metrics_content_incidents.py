"""The incidents series (the compliance program's ITS outcome) through the real store, against a hand count.

Ten employees hired in 2023, one leaves on 2024-02-10 (on payroll in February, not in March), two join on
2024-03-15. Incidents: 3 in January 2024 (one at 2024-01-31), none in February, 2 in March (one at 2024-03-31).
So: January 3 / 10 = 300 per 1,000; February 0 / 10; March 2 / 11 = 181.8 per 1,000.

Would catch: a month without incidents dropped from the series, a leaver counted after leaving, a joiner
counted before joining, month boundaries taken in the wrong place.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from learnroi.core.errors import DataError
from learnroi.metrics import connect, incident_series
from learnroi.pipeline.inmemory import store_from_tables


def _employees() -> pd.DataFrame:
    emp = pd.DataFrame({"employee_id": [f"E{i:02d}" for i in range(1, 13)], "hire_date": "2023-01-01",
                        "exit_date": None})  # fmt: skip
    emp.loc[9, "exit_date"] = "2024-02-10"
    emp.loc[10:, "hire_date"] = "2024-03-15"
    return emp


def test_incident_series_counts_and_headcount() -> None:
    inc = pd.DataFrame(
        {"incident_id": ["i1", "i2", "i3", "i4", "i5"],
         "date": ["2024-01-02", "2024-01-15", "2024-01-31", "2024-03-01", "2024-03-31"],
         "department": "D1", "employee_id": ["E01", "E02", "E10", "E11", None], "category": "safety", "cost": 100.0}
    )  # fmt: skip
    tables = {
        "hris/employees.csv": pa.Table.from_pandas(_employees(), preserve_index=False),
        "performance/incidents.csv": pa.Table.from_pandas(inc, preserve_index=False),
    }
    with store_from_tables(tables) as store:
        s = incident_series(connect(store.con))
    assert list(s.columns) == ["month", "incidents", "employees", "rate_per_1000"]
    assert list(s["month"]) == list(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]))
    assert list(s["incidents"]) == [3, 0, 2]
    assert list(s["employees"]) == [10, 10, 11]
    assert list(s["rate_per_1000"]) == [pytest.approx(300.0), 0.0, pytest.approx(2000 / 11)]


def test_no_incidents_says_what_to_ingest() -> None:
    tables = {"hris/employees.csv": pa.Table.from_pandas(_employees(), preserve_index=False)}
    with store_from_tables(tables) as store, pytest.raises(DataError) as info:
        incident_series(connect(store.con))
    assert "incidents" in info.value.hint
