"""Program completion when each arm of a pilot has its own pathway: a learner is held to the required modules
of the pathways of the courses they were enrolled in (the shared one and their own arm's), never to another
arm's. Hand-made program ``pilot``: course ``core`` (pathway ``core``: required m1, m2), course ``a`` (pathway
``arm-a``: required a1, optional a2) and course ``b`` (pathway ``arm-b``: required b1).

Would catch: every arm's modules required of everyone (nobody completes), an optional module required, a
skipped required module of the learner's own arm ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from learnroi.metrics import funnel
from tests.unit.test_metrics_fixture import SCHEMAS, load_duckdb

P = "pilot"
T0 = pd.Timestamp("2025-03-03 09:00:00")
# learner -> (courses enrolled in, modules completed)
PLAN: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    1: (("core", "a"), ("m1", "m2", "a1")),  # complete: core + own arm, optional a2 skipped
    2: (("core", "b"), ("m1", "m2", "b1")),  # complete
    3: (("core", "a"), ("m1", "m2", "a2")),  # not: own arm's required a1 missing
    4: (("core", "b"), ("m1", "b1")),  # not: shared m2 missing
    5: (("core", "a"), ("m1", "m2", "a1")),  # complete
    6: (("core", "b"), ("m1", "m2", "b1")),  # complete
    7: (("core", "a"), ("m1", "m2", "a1")),  # complete
}
COURSE_OF = {"m1": "core", "m2": "core", "a1": "a", "a2": "a", "b1": "b"}


def _frames() -> dict[str, pd.DataFrame]:
    frames = {name: pd.DataFrame(columns=list(cols)) for name, cols in SCHEMAS.items()}
    frames["employees"] = pd.DataFrame(
        {"employee_id": [f"E{i}" for i in PLAN], "email": [f"l{i}@x.example" for i in PLAN],
         "department": "D1", "hire_date": date(2023, 1, 1)}
    )  # fmt: skip
    frames["catalog"] = pd.DataFrame(
        [(P, "core", "m1", True, "core"), (P, "core", "m2", True, "core"), (P, "a", "a1", True, "arm-a"),
         (P, "a", "a2", False, "arm-a"), (P, "b", "b1", True, "arm-b")],
        columns=["program_id", "course_id", "module_id", "required", "pathway_id"],
    ).assign(module_name="x", modality="digital", sequence=1, duration_minutes=10.0)  # fmt: skip
    rows: list[dict[str, Any]] = []

    def ev(i: int, kind: str, course: str, module: str | None) -> None:
        rows.append(
            {"event_id": f"e{len(rows):03d}", "learner_email": f"l{i}@x.example", "program_id": P,
             "course_id": course, "module_id": module, "event_type": kind,
             "timestamp": T0 + pd.Timedelta(hours=len(rows)), "duration_seconds": 60.0,
             "learner_key": f"l{i}@x.example", "learner_id": f"E{i}", "source": "lms"}
        )  # fmt: skip

    for i, (courses, done) in PLAN.items():
        for c in courses:
            ev(i, "enrolled", c, None)
        for m in done:
            ev(i, "launched", COURSE_OF[m], m)
            ev(i, "completed", COURSE_OF[m], m)
    frames["lms_events"] = pd.DataFrame(rows)
    return frames


def test_each_learner_is_held_to_their_own_pathways() -> None:
    _, backend = load_duckdb(_frames())
    t = funnel(backend, P, min_cell=1).table.set_index("stage")
    assert int(t.loc["enrolled", "n"]) == 7
    assert int(t.loc["completed", "n"]) == 5  # learners 1, 2, 5, 6, 7 (by hand, see PLAN)
