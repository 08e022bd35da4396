"""The analysis panel: treatment timing per design, the CUPED baseline, covariates and who is left out.

Would catch: a control employee marked treated, a wave start applied to the wrong department, a baseline
that leaks post-period values, a one-per-hire KPI expanded into months, unmatched learners silently joined
or silently dropped, columns the attribution code reads renamed or retyped.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import DataError, UsageError
from learnroi.metrics import PANEL_COLUMNS, build_panel, compute_kpi, connect
from tests.unit.test_metrics_fixture import LAUNCH, WAVE_STARTS, build_frames, load_duckdb, load_store


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return build_frames()


@pytest.fixture(scope="module")
def backend(frames: dict[str, pd.DataFrame]) -> Any:
    return load_duckdb(frames)[1]


def _month(d: Any) -> pd.Timestamp:
    return pd.Timestamp(d).to_period("M").to_timestamp()


def test_randomized_panel(frames: dict[str, pd.DataFrame], backend: Any) -> None:
    p = build_panel(backend, "sales", "revenue", start=LAUNCH)
    f = p.frame
    assert list(f.columns) == PANEL_COLUMNS
    assert p.design == "randomized"
    assert p.start == LAUNCH
    arms = frames["assignments"].set_index("employee_id")["arm"]
    assert (f["arm"] == f["employee_id"].map(arms)).all()
    is_t = f["arm"] == "treatment"
    assert (f["treated"] == (is_t & (f["period"] >= pd.Timestamp(LAUNCH)))).all()
    assert (f.loc[is_t, "first_treated_period"] == pd.Timestamp(LAUNCH)).all()
    assert f.loc[~is_t, "first_treated_period"].isna().all()
    assert (f["wave"] == is_t.astype(int)).all()
    assert (f["post"] == (f["period"] >= pd.Timestamp(LAUNCH))).all()
    perf = frames["performance"]
    rev = perf[(perf["kpi"] == "revenue") & (pd.to_datetime(perf["period"]) < pd.Timestamp(LAUNCH))]
    pre = rev.groupby("employee_id")["value"].mean()
    got = f.groupby("employee_id")["baseline"].first()
    both = got.index.intersection(pre.index)
    np.testing.assert_allclose(got[both].to_numpy(), pre[both].to_numpy(), rtol=1e-12)
    assert got.drop(both).isna().all()  # hired after launch: no pre-period, no baseline
    last3 = (
        rev[pd.to_datetime(rev["period"]) >= pd.Timestamp("2024-10-01")]
        .groupby("employee_id")["value"]
        .mean()
    )
    got3 = build_panel(backend, "sales", "revenue", start=LAUNCH, baseline_months=3).frame
    got3 = got3.groupby("employee_id")["baseline"].first()
    np.testing.assert_allclose(got3[last3.index].to_numpy(), last3.to_numpy(), rtol=1e-12)
    # learners who never matched HRIS are counted, not joined; the unknown performance id too
    assert p.n_unmatched_left_out == 3
    assert p.n_unknown_employees == 1
    assert "X999" not in set(f["employee_id"])
    emp = frames["employees"].set_index("employee_id")
    hire = pd.to_datetime(f["employee_id"].map(emp["hire_date"]))
    assert (f["hire_date"] == hire).all()
    months = (f["period"].dt.year - hire.dt.year) * 12 + f["period"].dt.month - hire.dt.month
    assert (f["tenure_months"] == months).all()
    assert (f["cohort"] == hire.dt.to_period("M").dt.to_timestamp()).all()
    assert p.to_dict()["rows"] == len(f)
    assert "unmatched" in p.summary()


def test_enrolled_and_completed_follow_the_lms(backend: Any) -> None:
    f = build_panel(backend, "sales", "revenue").frame
    learners = compute_kpi(
        backend, "completion_rate", program="sales", by="learner", learner_level=True
    ).table
    done = set(learners.loc[learners["value"] == 1, "learner_id"])
    per = f.groupby("employee_id")[["enrolled", "completed"]].first()
    assert set(per.index[per["completed"]]) == done & set(per.index)
    assert set(per.index[per["enrolled"]]) == set(learners["learner_id"]) & set(per.index)
    assert (per["enrolled"] | ~per["completed"]).all()


def test_staggered_panel_and_one_row_per_hire(frames: dict[str, pd.DataFrame], backend: Any) -> None:
    emp = frames["employees"].set_index("employee_id")
    starts = {d: (w, _month(s)) for d, (w, s) in WAVE_STARTS.items()}
    p = build_panel(backend, "onboard", "revenue")
    f = p.frame
    assert p.design == "staggered"
    assert p.start == date(2025, 1, 1)
    wave = f["department"].map(lambda d: starts.get(d, (0, pd.NaT))[0])
    first = f["department"].map(lambda d: starts[d][1] if starts.get(d, (0,))[0] else pd.NaT)
    assert (f["wave"] == wave).all()
    pd.testing.assert_series_equal(
        f["first_treated_period"], first.astype("datetime64[ns]"), check_names=False
    )
    assert (
        f["treated"] == (f["first_treated_period"].notna() & (f["period"] >= f["first_treated_period"]))
    ).all()
    assert f["arm"].isna().all()

    h = build_panel(backend, "onboard", "weeks_to_productivity")
    g = h.frame
    assert h.one_per_hire
    assert g["employee_id"].is_unique
    hire_month = pd.to_datetime(g["employee_id"].map(emp["hire_date"])).dt.to_period("M").dt.to_timestamp()
    assert (g["period"] == hire_month).all()
    assert (g["cohort"] == g["period"]).all()
    assert g["baseline"].isna().all()
    ws = g["department"].map(lambda d: starts[d][1] if starts.get(d, (0,))[0] else pd.NaT)
    assert (g["treated"] == (ws.notna() & (g["period"] >= ws))).all()
    assert g["treated"].any()
    assert (~g["treated"]).any()


def test_observational_panel_uses_first_enrolment(frames: dict[str, pd.DataFrame], backend: Any) -> None:
    ev = frames["lms_events"]
    ev = ev[(ev["program_id"] == "coach") & ev["learner_id"].notna()]
    first = pd.to_datetime(ev.groupby("learner_id")["timestamp"].min()).dt.to_period("M").dt.to_timestamp()
    f = frames["performance"].copy()
    f.loc[f["kpi"] == "revenue", "kpi"] = "throughput"  # give the ops learners a KPI of their own
    emp = frames["employees"]
    ops = emp.loc[emp["department"] == "D04", "employee_id"]
    extra = pd.DataFrame(
        {"employee_id": np.repeat(ops.to_numpy(), 3), "period": [date(2025, m, 1) for m in (1, 2, 3)] * len(ops),
         "kpi": "throughput", "value": 1.0}
    )  # fmt: skip
    frames2 = dict(frames, performance=pd.concat([f, extra], ignore_index=True))
    p = build_panel(load_duckdb(frames2)[1], "coach", "throughput")
    g = p.frame
    assert p.design == "observational"
    got = g.groupby("employee_id")["first_treated_period"].first().dropna()
    assert got.to_dict() == first[got.index].to_dict()
    assert set(got.index) == set(first.index) & set(g["employee_id"])


def test_spec_in_the_store_sets_the_start(frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    from learnroi.store import Store

    db = tmp_path / "s.duckdb"
    load_store(frames, str(db))
    spec = (
        '[program]\nid = "sales"\nname = "Sales"\naudience = "reps"\ndesign = "randomized"\n'
        'primary_kpi = "revenue"\nstart = 2025-02-01\n'
    )
    with Store.open(db) as store:
        store.con.execute(
            "INSERT INTO programs (program_id, name, design, primary_kpi, spec_text, spec_hash) "
            "VALUES ('sales', 'Sales', 'randomized', 'revenue', ?, 'h')",
            [spec],
        )
        p = build_panel(connect(store.con), "sales", "revenue")
    assert p.start == date(2025, 2, 1)
    assert p.n_unmatched_left_out == 3  # resolved through the store's identity map


def test_panel_errors(backend: Any) -> None:
    with pytest.raises(DataError, match="no performance rows") as info:
        build_panel(backend, "sales", "nope")
    assert info.value.hint
    with pytest.raises(DataError, match="unknown program"):
        build_panel(backend, "nope", "revenue")
    with pytest.raises(UsageError):
        build_panel(backend, "sales", "revenue", period="year")
    week = build_panel(backend, "sales", "revenue", period="week").frame
    assert (week["period"].dt.day_of_week == 0).all()
