"""``store_from_tables`` gives the same current views as the real ingest of the simulator's files.

The whole-pipeline coverage test (tests/recovery/test_pipeline_roi_coverage.py) skips file ingest for
speed; this test is what makes that legitimate: for one company, every view the analyses read
(employees, assignments, waves, catalog, lms_events of the two evaluated programs, performance,
cost_ledger, survey_estimates, identity_map) is equal, row for row, value for value and dtype for dtype,
to the store that ``ingest_all`` builds from ``simulate_company``'s files. Would catch a type, time zone,
identity normalization or trimming difference between the shortcut and the ingest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from learnroi.core.errors import DataError
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.simulate import simulate_company, simulate_tables
from learnroi.store import Store, ingest_all

SEED = 7
EMPLOYEES = 1000
VIEWS = (
    "employees",
    "assignments",
    "waves",
    "catalog",
    "lms_events",
    "performance",
    "cost_ledger",
    "survey_estimates",
    "identity_map",
)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_views_equal_the_ingested_files(tmp_path: Path) -> None:
    simulate_company(tmp_path, employees=EMPLOYEES, seed=SEED, xapi=False)
    with Store.open(None) as ingested, store_from_tables(simulate_tables(EMPLOYEES, SEED).tables) as fast:
        ingest_all(ingested, tmp_path)
        for view in VIEWS:
            # the in-memory company leaves out the background LMS volume (other programs' events)
            where = " WHERE program_id IN ('sales-skills', 'onboarding')" if view == "lms_events" else ""
            sql = f"SELECT * FROM {view}{where}"
            got, want = _sorted(fast.con.execute(sql).df()), _sorted(ingested.con.execute(sql).df())
            assert len(got) > 0, view
            pd.testing.assert_frame_equal(got, want, check_exact=True, obj=view)


def test_later_row_wins_and_unknown_names_are_refused() -> None:
    rows = pa.table(
        {
            "employee_id": ["E1", "E1", "E2"],
            "email": [" A@x.example ", "a@x.example", ""],
            "loaded_salary": [1.0, 2.0, 3.0],
        }
    )
    with store_from_tables({"employees": rows}) as store:
        got = store.con.execute(
            "SELECT employee_id, email, loaded_salary FROM employees ORDER BY employee_id"
        ).fetchall()
    assert got == [("E1", "a@x.example", 2.0), ("E2", None, 3.0)]
    with pytest.raises(DataError, match="unknown table") as err:
        store_from_tables({"hris/people.csv": rows})
    assert err.value.hint
