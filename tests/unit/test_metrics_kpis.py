"""The KPI catalog on DuckDB against an independent pandas computation of the same definitions.

Would catch: a KPI aggregating the wrong population (unmatched learners, non-learners), a duration counted
in day boundaries instead of seconds, a retake counted as the first attempt, a completion rule that ignores
required modules, silent or recoverable small cells, a learner-level export without the explicit flag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnroi.core.errors import UsageError
from learnroi.metrics import catalog, compute_all, compute_kpi, connect, funnel, kpi_def, suppress
from tests.unit.test_metrics_fixture import build_frames, load_duckdb, load_store

ACTIVITY = ("launched", "completed", "attempted", "passed", "failed")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return build_frames()


@pytest.fixture(scope="module")
def backend(frames: dict[str, pd.DataFrame]) -> Any:
    return load_duckdb(frames)[1]


def _oracle(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Program-grain KPIs computed learner by learner in pandas, straight from the written definitions."""
    ev = frames["lms_events"].copy()
    ev["ts"] = pd.to_datetime(ev["timestamp"]).dt.floor("s")
    cat = frames["catalog"]
    required = cat[cat["required"]].assign(mk=lambda c: c["course_id"] + "/" + c["module_id"])
    rows = []
    for (prog, _key), g in ev.groupby(["program_id", "learner_key"]):
        launched = g["event_type"].isin(ACTIVITY).any()
        req = set(required.loc[required["program_id"] == prog, "mk"])
        done = set((g["course_id"] + "/" + g["module_id"])[g["event_type"] == "completed"].dropna())
        unit_done = ((g["event_type"] == "completed") & g["module_id"].isna() & g["course_id"].isna()).any()
        completed = launched and (unit_done or (bool(req) and req <= done))
        passes = g.loc[g["event_type"] == "passed", "ts"]
        ttc = (passes.min() - g["ts"].min()).total_seconds() if len(passes) else np.nan
        a = g[g["assessment"].isin(["pre", "post"]) & g["score"].notna()].copy()
        a["mk"] = a["course_id"] + "/" + a["module_id"]
        a = a.sort_values(["attempt", "ts", "event_id"]).groupby(["mk", "assessment"]).head(1)
        a["share"] = a["score"] / a["max_score"]
        sc = a.groupby("assessment")["share"].mean()
        pre, post = sc.get("pre", np.nan), sc.get("post", np.nan)
        la = g[(g["event_type"] == "launched") & g["module_id"].notna()]
        counts = la.groupby(["course_id", "module_id"]).size()
        rows.append(
            {"program_id": prog, "completed": completed, "passed": completed and len(passes) > 0, "ttc": ttc,
             "gain": post - pre, "minutes": g["duration_seconds"].fillna(0).sum() / 60,
             "pairs": len(counts), "revisits": int((counts >= 2).sum())}
        )  # fmt: skip
    per = pd.DataFrame(rows).groupby("program_id")
    return pd.DataFrame(
        {
            "reach": per.size(),
            "completion_rate": per["completed"].mean(),
            "pass_rate": per["passed"].sum() / per["completed"].sum().replace(0, np.nan),
            "time_to_competency_days": per["ttc"].mean() / 86400,
            "competency_gain": per["gain"].mean(),
            "active_minutes_per_learner": per["minutes"].mean(),
            "revisit_rate": per["revisits"].sum() / per["pairs"].sum().replace(0, np.nan),
        }
    )


def test_program_kpis_match_the_pandas_oracle(frames: dict[str, pd.DataFrame], backend: Any) -> None:
    expected = _oracle(frames)
    got = compute_all(backend, list(expected.columns), min_cell=1).table
    wide = got.pivot(index="program_id", columns="kpi", values="value")
    for kpi in expected.columns:
        for prog in expected.index:
            e, g = expected.loc[prog, kpi], wide.loc[prog, kpi]
            assert (np.isnan(e) and np.isnan(g)) or g == pytest.approx(e, rel=1e-9), (prog, kpi)


def test_every_catalog_kpi_runs_at_every_grain_it_declares(backend: Any) -> None:
    for grain in ("program", "course", "module", "modality", "cohort", "department", "period"):
        t = compute_all(backend, by=grain)
        declared = {k.name for k in catalog() if grain in k.grains}
        assert set(t.table["kpi"]) == declared
        assert (t.table["n"].isna() == t.table["suppressed"]).all()
        tidy = t.tidy()
        assert list(tidy.columns[:4]) == ["program_id", "grain", "cell", "kpi"]
        assert t.to_dict()["rows"][0]["grain"] == grain


def test_department_cells_add_up_to_the_program_and_hide_small_ones(backend: Any) -> None:
    prog = compute_kpi(backend, "reach", min_cell=1).table.set_index("program_id")["value"]
    dept = compute_kpi(backend, "reach", by="department", min_cell=1).table
    assert dept.groupby("program_id")["value"].sum().to_dict() == prog.to_dict()
    shown = compute_kpi(backend, "reach", by="department", min_cell=5).table
    assert (shown.loc[shown["suppressed"], "value"].isna()).all()
    small = dept["n"].astype(int) < 5
    assert shown.loc[small.to_numpy(), "suppressed"].all()
    # the small D05 onboarding cell (3 people) and the unmatched sales learners (3, no department) are flagged
    assert shown.loc[shown["suppression"] == "small_cell"].shape[0] >= 2
    per_group = shown.groupby("program_id")["suppressed"].agg(["sum", "size"])
    assert not ((per_group["sum"] == 1) & (per_group["size"] > 1)).any()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=8), st.integers(1, 6))
def test_suppression_is_complementary(ns: list[int], k: int) -> None:
    frame = pd.DataFrame(
        {"program_id": "p", "department": [f"d{i}" for i in range(len(ns))], "kpi": "reach",
         "value": [float(n) for n in ns], "n": ns}
    )  # fmt: skip
    out = suppress(frame, keys=["program_id", "department"], min_cell=k, complementary=True)
    hidden = out["suppressed"].to_numpy()
    assert hidden[np.array(ns) < k].all()
    assert out.loc[hidden, "value"].isna().all()
    assert out.loc[hidden, "n"].isna().all()
    if len(ns) > 1:
        assert hidden.sum() != 1  # one hidden cell = total minus the others
    assert frame["value"].notna().all()  # the input is not mutated


def test_durations_are_seconds_across_midnight_and_zones(frames: dict[str, pd.DataFrame]) -> None:
    """5 learners enrol late on Jan 31 in New York (Feb 1 in UTC) and pass 30 s to 3 days later."""
    rows = []
    gaps = [30.0, 3599.5, 86399.0, 86401.0, 3 * 86400.0]
    for i, gap in enumerate(gaps):
        start = pd.Timestamp("2025-01-31T23:59:50-05:00")
        for kind, ts in (("enrolled", start), ("passed", start + pd.Timedelta(seconds=gap))):
            rows.append({"event_id": f"t{i}{kind}", "program_id": "tz", "course_id": "c", "module_id": "m",
                         "event_type": kind, "timestamp": ts.tz_convert("UTC").tz_localize(None),
                         "learner_key": f"k{i}", "learner_id": None, "learner_email": f"k{i}"})  # fmt: skip
    f = dict(frames)
    f["lms_events"] = pd.DataFrame(rows)
    _, b = load_duckdb(f)
    got = compute_kpi(b, "time_to_competency_days").table["value"].iloc[0]
    assert got == pytest.approx(np.mean(np.floor(gaps)) / 86400, rel=1e-12)
    period = compute_kpi(b, "reach", by="period").table
    assert list(period["period"]) == [pd.Timestamp("2025-02-01")]  # months are UTC months


def test_funnel_is_nested_and_agrees_with_the_rates(backend: Any) -> None:
    fun = funnel(backend, "sales").table
    counts = fun["n"].astype(int).to_numpy()
    assert list(fun["stage"]) == ["enrolled", "launched", "completed", "passed"]
    assert (np.diff(counts) <= 0).all()
    rates = compute_all(backend, ["launch_rate", "completion_rate", "pass_rate"], program="sales").table
    r = rates.set_index("kpi")["value"]
    assert r["launch_rate"] == pytest.approx(counts[1] / counts[0])
    assert r["completion_rate"] == pytest.approx(counts[2] / counts[0])
    assert r["pass_rate"] == pytest.approx(counts[3] / counts[2])
    assert fun["conversion_from_previous"].iloc[3] == pytest.approx(counts[3] / counts[2])
    small = funnel(backend, "coach").table
    assert small["suppressed"].any()
    assert small.loc[small["suppressed"], ["value", "conversion_from_previous"]].isna().all().all()


def test_store_views_give_the_same_numbers(
    frames: dict[str, pd.DataFrame], backend: Any, tmp_path: Path
) -> None:
    """Through the real store (hist_* tables, identity map resolving emails) the catalog is unchanged."""
    from learnroi.store import Store

    db = tmp_path / "s.duckdb"
    load_store(frames, str(db))
    with Store.open(db, read_only=True) as store:
        got = compute_all(connect(store.con), by="department").table
    want = compute_all(backend, by="department").table
    pd.testing.assert_frame_equal(got, want, check_dtype=False)


def test_usage_errors_say_what_to_do(backend: Any) -> None:
    with pytest.raises(UsageError, match="learner-level") as info:
        compute_kpi(backend, "reach", by="learner")
    assert "--learner-level" in info.value.hint
    with pytest.raises(UsageError, match="unknown KPI"):
        kpi_def("nope")
    with pytest.raises(UsageError, match="not computable"):
        compute_kpi(backend, "cost_per_learner", by="department")
    rows = compute_kpi(backend, "completion_rate", by="learner", learner_level=True).table
    assert not rows["suppressed"].any()
    assert rows["learner_id"].str.startswith("ghost").sum() == 3  # unmatched learners keep their LMS key


def test_catalog_entries_are_complete() -> None:
    names = [k.name for k in catalog()]
    assert len(names) == len(set(names))
    for k in catalog():
        d = k.to_dict()
        assert d["definition"]
        assert d["unit"]
        assert 0 <= d["level"] <= 5
        assert "program" in d["grains"]
    assert kpi_def("time_to_competency_days").direction == "decrease"
    assert kpi_def("assessment_gain").name == "competency_gain"  # the simulator's specs use the alias
    doc = (Path(__file__).parents[2] / "docs" / "explanation" / "kpi-catalog.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in doc for name in names)
