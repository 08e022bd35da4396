"""Content effectiveness and the module / modality grains, on a hand-made blended program with planted values.

Program ``blend`` (21 learners: L01-L20 active, L21 enrolled only), course ``core`` (digital) with
``m_intro`` (20 start, 18 complete, check 50 -> 80: gain 0.30), the planted weakest ``m_weak`` (20 start,
6 complete: drop-off 0.70; check 50 -> 52: gain 0.02; minutes 1..20: median 10.5; 5 revisits), ``m_good``
(12 start, 11 complete; check 40 -> 90: gain 0.50, the program's max), ``m_tiny`` (3 learners: a small cell),
course ``class`` (classroom ``m_class``: 10 on the roster, 8 attended) and ``social`` (``m_forum``: 7 posters,
no check). Hand computations (min_cell 5): priority = reach share x drop-off x (1 - gain / 0.5):
m_weak 20/21 x 0.7 x 0.96 = 0.64, m_intro 20/21 x 0.1 x 0.4 = 0.0381, m_good 12/21 x 1/12 x 0 = 0.
m_tiny is suppressed (3 < 5), m_forum's reach is hidden by complementary suppression (the next smallest
reach cell), m_class has no module check: none of the three is ranked.

Would catch: module checks leaking into the catalog's pass rate, a retake counted instead of the first attempt,
a no-show counted as attendance, a suppressed module ranked, priorities from unsuppressed hidden values.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import UsageError
from learnroi.metrics import compute_all, connect
from learnroi.metrics.content import content_effectiveness
from tests.unit.test_metrics_fixture import SCHEMAS as BASE

SCHEMAS: dict[str, dict[str, str]] = {
    **BASE,
    "attendance": {
        "session_id": "VARCHAR", "program_id": "VARCHAR", "course_id": "VARCHAR", "module_id": "VARCHAR",
        "session_date": "DATE", "learner_email": "VARCHAR", "attended": "BOOLEAN", "minutes": "DOUBLE",
        "learner_key": "VARCHAR", "learner_id": "VARCHAR",
    },
}  # fmt: skip
P = "blend"
T0 = pd.Timestamp("2025-03-03 09:00:00")


def content_frames() -> dict[str, pd.DataFrame]:
    """The canonical views of the hand-made program (see the module docstring)."""
    emp = pd.DataFrame(
        {"employee_id": [f"E{i:02d}" for i in range(1, 22)], "email": [f"l{i:02d}@x.example" for i in range(1, 22)],
         "department": ["D1"] * 11 + ["D2"] * 10, "hire_date": date(2023, 1, 1)}
    )  # fmt: skip
    rows: list[dict[str, Any]] = []

    def ev(i: int, kind: str, course: str | None, module: str | None, secs: float = 60.0, **kw: Any) -> None:
        rows.append(
            {"event_id": f"e{len(rows):04d}", "learner_email": f"l{i:02d}@x.example", "program_id": P,
             "course_id": course, "module_id": module, "event_type": kind,
             "timestamp": T0 + pd.Timedelta(hours=len(rows)), "duration_seconds": secs,
             "learner_key": f"l{i:02d}@x.example", "learner_id": f"E{i:02d}", "source": "lms", **kw}
        )  # fmt: skip

    def check(i: int, module: str, pre: float, post: float | None, course: str = "core") -> None:
        ev(
            i,
            "attempted",
            course,
            module,
            0.0,
            score=pre,
            max_score=100.0,
            assessment="module_pre",
            attempt=1,
        )
        if post is not None:
            kind = "passed" if post >= 80 else "failed"
            ev(i, kind, course, module, 0.0, score=post, max_score=100.0, assessment="module_post", attempt=1)

    for i in range(1, 22):
        ev(i, "enrolled", None, None, secs=0.0)
    for i in range(1, 21):
        ev(i, "launched", "core", "m_intro", secs=600.0)
        if i <= 18:
            ev(i, "completed", "core", "m_intro")
        if i <= 10:
            check(i, "m_intro", 50.0, 80.0)
    ev(1, "passed", "core", "m_intro", 0.0, score=100.0, max_score=100.0, assessment="module_post", attempt=2)
    for i in range(1, 21):
        ev(i, "launched", "core", "m_weak", secs=60.0 * i)  # minutes 1..20
        if i <= 5:
            ev(i, "launched", "core", "m_weak", secs=0.0)  # revisits
        if i <= 6:
            ev(i, "completed", "core", "m_weak", secs=0.0)
        if i <= 10:
            check(i, "m_weak", 50.0, 52.0)
    check(11, "m_weak", 50.0, None)  # a pre-check only: not in the gain
    for i in range(1, 13):
        ev(i, "launched", "core", "m_good", secs=900.0)
        if i <= 11:
            ev(i, "completed", "core", "m_good")
        if i <= 10:
            check(i, "m_good", 40.0, 90.0)
    for i in (1, 2, 3):
        ev(i, "launched", "core", "m_tiny")
    ev(1, "completed", "core", "m_tiny")
    for i in range(1, 9):
        ev(i, "attended", "class", "m_class", secs=7200.0)
    for i in range(11, 18):
        ev(i, "posted", "social", "m_forum", secs=120.0)
    lms = pd.DataFrame(rows)
    catalog = pd.DataFrame(
        [("core", "m_intro", "digital", True), ("core", "m_weak", "digital", True), ("core", "m_good", "digital", True),
         ("core", "m_tiny", "digital", False), ("class", "m_class", "classroom", True),
         ("social", "m_forum", "social", False)],
        columns=["course_id", "module_id", "modality", "required"],
    ).assign(program_id=P, module_name=lambda c: c["module_id"].str.upper(), sequence=1, pathway_id=None,
             duration_minutes=30.0)  # fmt: skip
    roster = pd.DataFrame(
        {"session_id": ["s1"] * 10, "program_id": P, "course_id": "class", "module_id": "m_class",
         "session_date": date(2025, 3, 10), "learner_email": [f"l{i:02d}@x.example" for i in range(1, 11)],
         "attended": [True] * 8 + [False] * 2, "minutes": [120.0] * 8 + [0.0] * 2}
    )  # fmt: skip
    roster["learner_key"] = roster["learner_email"]
    roster["learner_id"] = [f"E{i:02d}" for i in range(1, 11)]
    empty = {n: pd.DataFrame(columns=list(s)) for n, s in SCHEMAS.items()}
    return {**empty, "employees": emp, "catalog": catalog, "lms_events": lms, "attendance": roster}


def load(frames: dict[str, pd.DataFrame]) -> Any:
    con = duckdb.connect()
    for name, schema in SCHEMAS.items():
        con.execute(f'CREATE TABLE "{name}" ({", ".join(f"{c} {t}" for c, t in schema.items())})')
        df = frames[name].reindex(columns=list(schema))
        if len(df):
            con.register("_f", df)
            con.execute(
                f'INSERT INTO "{name}" SELECT {", ".join(f"CAST({c} AS {t})" for c, t in schema.items())} FROM _f'
            )
            con.unregister("_f")
    return connect(con)


@pytest.fixture(scope="module")
def backend() -> Any:
    return load(content_frames())


def test_measures_match_the_hand_computation(backend: Any) -> None:
    ce = content_effectiveness(backend, P, min_cell=5)
    m = ce.modules.set_index("module_id")
    assert m.loc["m_weak", "reach"] == 20
    assert m.loc["m_weak", "reach_share"] == pytest.approx(20 / 21)
    assert m.loc["m_weak", "drop_off"] == pytest.approx(0.7)
    assert m.loc["m_weak", "median_minutes"] == pytest.approx(10.5)
    assert m.loc["m_weak", "revisit_rate"] == pytest.approx(0.25)
    assert m.loc["m_weak", "module_check_gain"] == pytest.approx(0.02)
    assert m.loc["m_intro", "module_check_gain"] == pytest.approx(
        0.30
    )  # the retake (100) is not the first post
    assert m.loc["m_good", "drop_off"] == pytest.approx(1 / 12)
    assert m.loc["m_class", "attendance_rate"] == pytest.approx(0.8)  # two no-shows on the roster
    assert m.loc["m_class", "drop_off"] == 0.0  # attending completes a session
    assert np.isnan(m.loc["m_forum", "module_check_gain"])
    assert m.loc["m_weak", "modality"] == "digital"


def test_ranking_puts_the_planted_weakest_first_and_skips_hidden_cells(backend: Any) -> None:
    ce = content_effectiveness(backend, P, min_cell=5)
    ranked = ce.ranking(P)
    assert list(ranked["module_id"]) == ["m_weak", "m_intro", "m_good"]
    assert list(ranked["rank"]) == [1, 2, 3]
    want = [20 / 21 * 0.7 * (1 - 0.02 / 0.5), 20 / 21 * 0.1 * (1 - 0.3 / 0.5), 0.0]
    np.testing.assert_allclose(ranked["update_priority"].to_numpy(dtype=float), want, atol=1e-12)
    why = ce.modules.set_index("module_id")["not_ranked"]
    assert why["m_tiny"] == "small_cell"
    assert why["m_forum"] == "small_cell"  # complementary: the next smallest reach after m_tiny's
    assert why["m_class"] == "no module check"
    t = ce.table[(ce.table["grain"] == "module") & (ce.table["kpi"] == "reach")].set_index("module_id")
    assert t.loc["m_tiny", "suppression"] == "small_cell"
    assert t.loc["m_forum", "suppression"] == "complementary"
    assert pd.isna(t.loc["m_tiny", "value"])
    assert np.isnan(ce.modules.set_index("module_id").loc["m_tiny", "reach"])
    # with no suppression m_tiny is ranked (3/21 x 2/3 x factor 1: no check -> not ranked) and m_forum is not
    loose = content_effectiveness(backend, P, min_cell=1).modules.set_index("module_id")
    assert loose.loc["m_forum", "not_ranked"] == "no module check"


def test_modality_rollup(backend: Any) -> None:
    ce = content_effectiveness(backend, P, min_cell=5)
    mo = ce.modalities.set_index("modality")
    assert mo.loc["digital", "reach"] == 20
    assert mo.loc["classroom", "reach"] == 8
    assert mo.loc["classroom", "attendance_rate"] == pytest.approx(0.8)
    # digital drop-off over started (learner, module) pairs: (2 + 14 + 1 + 2) / (20 + 20 + 12 + 3)
    assert mo.loc["digital", "drop_off"] == pytest.approx(19 / 55)
    gains = [0.3] * 10 + [0.02] * 10 + [0.5] * 10
    assert mo.loc["digital", "module_check_gain"] == pytest.approx(np.mean(gains))
    tidy = ce.tidy()
    assert {"module", "modality"} == set(tidy["grain"])
    assert "core/m_weak" in set(tidy["cell"])
    payload = json.loads(json.dumps(ce.to_dict()))
    assert payload["ranking"][0]["module_id"] == "m_weak"
    assert "update first m_weak" in ce.summary()


def test_module_and_modality_grains_of_the_catalog(backend: Any) -> None:
    mod = compute_all(backend, by="module", min_cell=5).table.set_index(["module_id", "kpi"])
    assert mod.loc[("m_weak", "reach"), "value"] == 20
    assert mod.loc[("m_weak", "completion_rate"), "value"] == pytest.approx(0.3)
    assert mod.loc[("m_class", "completion_rate"), "value"] == 1.0
    # module checks are not the program's assessments: passing one is not a pass
    assert mod.loc[("m_good", "pass_rate"), "value"] == 0.0
    assert mod.loc[("m_tiny", "reach"), "suppression"] == "small_cell"
    assert "distinct_activities_per_learner" not in set(mod.index.get_level_values("kpi"))
    by_mod = compute_all(backend, by="modality", min_cell=5).table.set_index(["modality", "kpi"])
    # every required digital module of `core` (intro, weak, good): learners L01-L06
    assert by_mod.loc[("digital", "completion_rate"), "value"] == pytest.approx(6 / 20)
    assert by_mod.loc[("classroom", "reach"), "value"] == 8
    assert by_mod.loc[("digital", "distinct_activities_per_learner"), "value"] == pytest.approx(55 / 20)
    # seconds on digital modules (checks take 0 s): intro 20x600 + 18x60, weak 60x(1+...+20), good 12x900 + 11x60,
    # tiny 3x60 + 60
    secs = (12000 + 1080) + 12600 + (10800 + 660) + 240
    assert by_mod.loc[("digital", "active_minutes_per_learner"), "value"] == pytest.approx(secs / 60 / 20)


def test_usage_errors_and_an_unknown_program(backend: Any) -> None:
    with pytest.raises(UsageError):
        content_effectiveness(backend, P, min_cell=0)
    empty = content_effectiveness(backend, "nope")
    assert empty.modules.empty
    assert empty.ranking().empty
    assert empty.to_dict()["rows"] == []


def test_through_the_real_store(tmp_path: Path) -> None:
    """The store's own views (identities resolved, the roster's view) give the same ranking."""
    from learnroi.pipeline.inmemory import FILES, store_from_tables

    if "attendance" not in FILES.values():
        pytest.skip("the store has no attendance table yet (migration 040)")
    import pyarrow as pa

    f = content_frames()
    names = {v: k for k, v in FILES.items()}
    tables = {
        names[n]: pa.Table.from_pandas(f[n].drop(columns=["learner_key", "learner_id", "source"], errors="ignore"),
                                       preserve_index=False)
        for n in ("employees", "catalog", "lms_events", "attendance")
    }  # fmt: skip
    with store_from_tables(tables) as store:
        ce = content_effectiveness(connect(store.con), P, min_cell=5)
    assert list(ce.ranking(P)["module_id"]) == ["m_weak", "m_intro", "m_good"]
    assert ce.modules.set_index("module_id").loc["m_class", "attendance_rate"] == pytest.approx(0.8)


@pytest.mark.slow
def test_simulated_weakest_module_is_ranked_first() -> None:
    """The simulator's planted weakest module of ``service-blend`` (truth.json) is the first to update."""
    from learnroi.pipeline.inmemory import store_from_tables
    from learnroi.simulate.tables import simulate_tables

    company = simulate_tables(1000, 42)
    truth = company.truth["programs"]["service-blend"]
    with store_from_tables(company.tables) as store:
        ce = content_effectiveness(connect(store.con), "service-blend")
    ranked = ce.ranking("service-blend")
    assert ranked["module_id"].iloc[0] == truth["weakest_module"]
    assert ranked["rank"].iloc[0] == 1
    assert ranked["update_priority"].iloc[0] > 2 * ranked["update_priority"].iloc[1]
