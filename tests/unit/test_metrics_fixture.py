"""A small hand-made company for the metrics tests, built as the store's canonical views, on DuckDB or Spark.

``build_frames(seed)`` returns one pandas frame per canonical view (docs/reference/data-layout.md) with the
store's column types: a randomized program ``sales`` (assignments, two courses, two pathways, pre/post
assessments with retakes), a staggered program ``onboard`` (waves by department) and an observational one
(``coach``, no design rows); unmatched learners (learner_id NULL); one performance row for an unknown employee;
a department of 3 people (a small cell). Event timestamps are written in several time zones across midnight
and month ends, then stored in UTC, as the ingest does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from learnroi.metrics import connect

SCHEMAS: dict[str, dict[str, str]] = {
    "employees": {
        "employee_id": "VARCHAR", "email": "VARCHAR", "full_name": "VARCHAR", "department": "VARCHAR",
        "team_id": "VARCHAR", "role": "VARCHAR", "location": "VARCHAR", "manager_id": "VARCHAR",
        "hire_date": "DATE", "exit_date": "DATE", "loaded_salary": "DOUBLE", "standard_hours": "DOUBLE",
    },
    "assignments": {
        "program_id": "VARCHAR", "employee_id": "VARCHAR", "arm": "VARCHAR", "stratum": "VARCHAR",
        "cluster_id": "VARCHAR", "assigned_date": "DATE",
    },
    "waves": {"program_id": "VARCHAR", "unit_type": "VARCHAR", "unit_id": "VARCHAR", "wave": "INTEGER",
              "start_date": "DATE"},
    "catalog": {
        "program_id": "VARCHAR", "course_id": "VARCHAR", "module_id": "VARCHAR", "module_name": "VARCHAR",
        "modality": "VARCHAR", "required": "BOOLEAN", "sequence": "INTEGER", "pathway_id": "VARCHAR",
        "duration_minutes": "DOUBLE",
    },
    "lms_events": {
        "event_id": "VARCHAR", "learner_email": "VARCHAR", "program_id": "VARCHAR", "course_id": "VARCHAR",
        "module_id": "VARCHAR", "event_type": "VARCHAR", "timestamp": "TIMESTAMP", "score": "DOUBLE",
        "max_score": "DOUBLE", "assessment": "VARCHAR", "attempt": "INTEGER", "duration_seconds": "DOUBLE",
        "learner_key": "VARCHAR", "learner_id": "VARCHAR", "source": "VARCHAR",
    },
    "performance": {"employee_id": "VARCHAR", "period": "DATE", "kpi": "VARCHAR", "value": "DOUBLE"},
    "cost_ledger": {
        "program_id": "VARCHAR", "line_id": "VARCHAR", "date": "DATE", "category": "VARCHAR",
        "description": "VARCHAR", "amount": "DOUBLE", "currency": "VARCHAR", "modality": "VARCHAR",
    },
    "survey_estimates": {
        "program_id": "VARCHAR", "respondent_id": "VARCHAR", "respondent_role": "VARCHAR",
        "subject_id": "VARCHAR", "kpi": "VARCHAR", "improvement": "DOUBLE", "share_attributed": "DOUBLE",
        "confidence": "DOUBLE", "response_date": "DATE",
    },
}  # fmt: skip

DEPARTMENTS = {"D01": 20, "D02": 15, "D03": 15, "D04": 10, "D05": 3}
ZONES = ("-05:00", "+09:00", "+00:00", "+05:30", "-08:00")
ANCHORS = ("2025-01-31T23:30:00", "2025-02-28T22:15:30", "2025-03-31T23:59:59", "2025-01-01T00:00:01")
LAUNCH = date(2025, 1, 1)
WAVE_STARTS = {"D01": (1, date(2025, 1, 15)), "D02": (2, date(2025, 3, 1)), "D03": (2, date(2025, 3, 1)),
               "D04": (0, date(2025, 9, 1))}  # fmt: skip


def _utc(local: str, zone: str, seconds: float) -> pd.Timestamp:
    ts = pd.Timestamp(local + zone) + pd.Timedelta(seconds=seconds)
    return ts.tz_convert("UTC").tz_localize(None).floor("us")


def _employees(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    i = 0
    for dept, size in DEPARTMENTS.items():
        for _ in range(size):
            i += 1
            hire = date(2022, 1, 1) + timedelta(days=int(rng.integers(0, 1200)))
            rows.append(
                {
                    "employee_id": f"E{i:03d}", "email": f"e{i:03d}@corp.example", "full_name": f"Person {i}",
                    "department": dept, "team_id": f"{dept}-T{i % 3}",
                    "role": "sales_rep" if dept in {"D01", "D02", "D03"} else "ops_agent",
                    "location": ("Paris", "Austin", "Pune")[i % 3], "manager_id": None, "hire_date": hire,
                    "exit_date": None, "loaded_salary": 60000.0 + 1000 * (i % 7), "standard_hours": 2080.0,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def _learner_events(
    rng: np.random.Generator, program: str, key: str, emp: str | None, k: int
) -> list[dict[str, Any]]:
    """One learner's events; ``k`` varies the path (dropouts, retakes, revisits)."""
    anchor = ANCHORS[k % len(ANCHORS)]
    zone = ZONES[k % len(ZONES)]
    courses = [("c1", ("m1", "m2", "m3")), ("c2", ("m4",))] if program == "sales" else [("o1", ("m1", "m2"))]
    out: list[dict[str, Any]] = []
    t = float(rng.integers(0, 3600))

    def ev(kind: str, course: str | None, module: str | None, **extra: Any) -> None:
        nonlocal t
        t += float(rng.integers(600, 200000)) + float(rng.random())
        out.append(
            {"learner_email": (emp or key).upper() + " ", "program_id": program, "course_id": course,
             "module_id": module, "event_type": kind, "timestamp": _utc(anchor, zone, t), "score": None,
             "max_score": None, "assessment": None, "attempt": None,
             "duration_seconds": float(rng.integers(30, 5400)) + 0.25, "learner_key": key, "learner_id": emp,
             "source": "lms", **extra}
        )  # fmt: skip

    ev("enrolled", None, None, duration_seconds=None)
    stage = k % 5  # 0: enrol only, 1: launch, 2-4: complete; 4 also passes and retakes
    if stage == 0:
        return out
    for course, modules in courses:
        for m in modules:
            ev("launched", course, m)
            if k % 3 == 0:
                ev("launched", course, m)  # a revisit
            if stage >= 2 and (m != "m3" or k % 2):
                ev("completed", course, m)
        if stage >= 2:
            pre = float(rng.integers(20, 70))
            ev("attempted", course, modules[0], score=pre, max_score=100.0, assessment="pre", attempt=1)
            for attempt in (1, 2) if stage == 4 else (1,):
                post = min(100.0, pre + float(rng.integers(-5, 40)))
                kind = "passed" if post >= 60 and stage >= 3 else "failed"
                ev(kind, course, modules[0], score=post, max_score=100.0, assessment="post", attempt=attempt)
    if stage >= 3 and k % 4 != 1:
        ev("completed", None, None)
    return out


def build_frames(seed: int = 20251128) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    emp = _employees(rng)
    sales_pool = emp[emp["department"].isin(["D01", "D02", "D03"])]["employee_id"].tolist()
    arms = rng.permutation(
        np.r_[np.ones(len(sales_pool) // 2), np.zeros(len(sales_pool) - len(sales_pool) // 2)]
    )
    assignments = pd.DataFrame(
        {"program_id": "sales", "employee_id": sales_pool,
         "arm": np.where(arms == 1, "treatment", "control"), "stratum": "all", "cluster_id": sales_pool,
         "assigned_date": date(2024, 12, 10)}
    )  # fmt: skip
    waves = pd.DataFrame(
        [{"program_id": "onboard", "unit_type": "department", "unit_id": d, "wave": w, "start_date": s}
         for d, (w, s) in WAVE_STARTS.items()]
    )  # fmt: skip
    catalog = pd.DataFrame(
        [("sales", "c1", "m1", True, "pw1"), ("sales", "c1", "m2", True, "pw1"), ("sales", "c1", "m3", False, "pw1"),
         ("sales", "c2", "m4", True, "pw2"), ("onboard", "o1", "m1", True, "pwo"), ("onboard", "o1", "m2", True, "pwo")],
        columns=["program_id", "course_id", "module_id", "required", "pathway_id"],
    )  # fmt: skip
    catalog["module_name"] = catalog["module_id"].str.upper()
    catalog["modality"] = "digital"
    catalog["sequence"] = catalog.groupby(["program_id", "course_id"]).cumcount() + 1
    catalog["duration_minutes"] = 30.0
    events: list[dict[str, Any]] = []
    treated = assignments.loc[assignments["arm"] == "treatment", "employee_id"].tolist()
    for k, e in enumerate(treated):
        events += _learner_events(rng, "sales", f"e{e[1:]}@corp.example", e, k)
    waved = emp[emp["department"].isin(["D01", "D02", "D03", "D05"])]["employee_id"].tolist()
    for k, e in enumerate(waved):
        events += _learner_events(rng, "onboard", f"e{e[1:]}@corp.example", e, k + 2)
    for k, e in enumerate(emp[emp["department"] == "D04"]["employee_id"].tolist()[:7]):
        events += _learner_events(rng, "coach", f"e{e[1:]}@corp.example", e, k + 1)
    for g in range(3):
        events += _learner_events(rng, "sales", f"ghost{g}@elsewhere.example", None, g + 2)
    lms = pd.DataFrame(events)
    lms.insert(0, "event_id", [f"ev{i:05d}" for i in range(len(lms))])
    return {
        "employees": emp, "assignments": assignments, "waves": waves, "catalog": catalog,
        "lms_events": lms, "performance": _performance(rng, emp, set(treated)),
        "cost_ledger": pd.DataFrame(
            [{"program_id": p, "line_id": f"L{i}", "date": date(2025, 1, 5), "category": "delivery",
              "description": "x", "amount": a, "currency": "USD", "modality": "digital"}
             for i, (p, a) in enumerate([("sales", 12000.0), ("sales", 3000.5), ("onboard", 8000.0)])]
        ),
        "survey_estimates": pd.DataFrame(columns=list(SCHEMAS["survey_estimates"])),
    }  # fmt: skip


def _performance(rng: np.random.Generator, emp: pd.DataFrame, treated: set[str]) -> pd.DataFrame:
    months = pd.date_range("2024-07-01", "2025-06-01", freq="MS").date
    reps = emp[emp["role"] == "sales_rep"]
    ids = np.repeat(reps["employee_id"].to_numpy(), len(months))
    per = np.tile(months, len(reps))
    hire = np.repeat(pd.to_datetime(reps["hire_date"]).to_numpy(), len(months))
    keep = pd.to_datetime(per).to_numpy() >= hire
    value = rng.normal(10000, 2000, len(ids)) + np.where(
        np.isin(ids, list(treated)) & (pd.to_datetime(per) >= pd.Timestamp(LAUNCH)), 1500, 0
    )
    revenue = pd.DataFrame({"employee_id": ids, "period": per, "kpi": "revenue", "value": value})[keep]
    hires = emp[pd.to_datetime(emp["hire_date"]) >= pd.Timestamp("2024-01-01")]
    wtp = pd.DataFrame(
        {"employee_id": hires["employee_id"], "period": pd.to_datetime(hires["hire_date"]).dt.to_period("M")
         .dt.start_time.dt.date, "kpi": "weeks_to_productivity", "value": rng.normal(12, 2, len(hires))}
    )  # fmt: skip
    ghost = pd.DataFrame(
        {"employee_id": ["X999"], "period": [date(2025, 1, 1)], "kpi": ["revenue"], "value": [1.0]}
    )
    return pd.concat([revenue, wtp, ghost], ignore_index=True)


def load_duckdb(frames: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """Create the canonical tables in DuckDB from the frames; return ``(connection, ibis backend)``."""
    con = con or duckdb.connect()
    for name, schema in SCHEMAS.items():
        cols = ", ".join(f'"{c}" {t}' for c, t in schema.items())
        con.execute(f'CREATE TABLE "{name}" ({cols})')
        df = frames[name].reindex(columns=list(schema))
        con.register("_frame", df)
        casts = ", ".join(f'CAST("{c}" AS {t})' for c, t in schema.items())
        con.execute(f'INSERT INTO "{name}" SELECT {casts} FROM _frame')
        con.unregister("_frame")
    return con, connect(con)


def load_store(frames: dict[str, pd.DataFrame], path: str) -> None:
    """Write the frames into a real store's ``hist_*`` tables, so its current views and identity map serve them."""
    from learnroi.store import Store

    with Store.open(path) as store:
        for name, schema in SCHEMAS.items():
            cols = [c for c in schema if not (name == "lms_events" and c == "learner_id")]
            df = frames[name].reindex(columns=cols).reset_index(drop=True)
            store.con.register("_frame", df)
            casts = ", ".join(f'CAST("{c}" AS {schema[c]})' for c in cols)
            names = ", ".join(f'"{c}"' for c in cols)
            store.con.execute(
                f'INSERT INTO "hist_{name}" ({names}, _key, _hash, _batch_id) '
                f"SELECT {casts}, row_number() OVER (), row_number() OVER (), 1 FROM _frame"
            )
            store.con.unregister("_frame")


def test_fixture_has_every_view_with_its_columns() -> None:
    """The builder writes exactly the canonical columns (so the tests read what the store will expose)."""
    con, backend = load_duckdb(build_frames())
    for name, schema in SCHEMAS.items():
        assert list(backend.table(name).columns) == list(schema)
    n_ghost = con.execute(
        "select count(distinct learner_key) from lms_events where learner_id is null"
    ).fetchone()
    assert n_ghost == (3,)
    crosses = con.execute(
        "select count(*) from lms_events where day(timestamp) = 1 and hour(timestamp) < 12"
    ).fetchone()
    assert crosses is not None
    assert crosses[0] > 0
