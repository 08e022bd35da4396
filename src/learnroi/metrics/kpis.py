"""Compute catalog KPIs at a grain: one aggregate over the learner facts per grain, suppression on the result.

Every KPI is an aggregate of :func:`learnroi.metrics.facts.learner_facts` (or of the target audience, for
adoption), written as an Ibis expression, so the engine does the work and only the per-cell result reaches
Python. Ratios are computed from sums (``sum(x) / count``), so DuckDB and Spark agree to rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from learnroi.core.errors import UsageError
from learnroi.core.options import Grain, check_option
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.metrics.catalog import catalog, kpi_def
from learnroi.metrics.engine import as_naive, check_grain, collect, engine_name, has_table, month, table
from learnroi.metrics.facts import ACTIVITY, CONTENT_UNITS, content_facts, learner_facts
from learnroi.metrics.result import GRAIN_COLUMN, GRAIN_KEYS, KpiTable, suppress

AUDIENCE_KPIS = ("adoption_rate",)
COST_KPIS = ("cost_per_learner", "cost_per_completion")
FUNNEL_STAGES = ("enrolled", "launched", "completed", "passed")


def _measures(f: ir.Table) -> dict[str, tuple[ir.Value, ir.Value]]:
    """(value, n) aggregate expressions of every learner-fact KPI over a group of ``f``."""
    both = f.pre.notnull() & f.post.notnull()
    pre_b = f.pre.mean(where=both)
    post_b = f.post.mean(where=both)
    started = f.pathways_started.fill_null(0) if "pathways_started" in f.columns else None
    out: dict[str, tuple[ir.Value, ir.Value]] = {
        "reach": (f.count().cast("float64"), f.count()),
        "launch_rate": (f.launched.sum() / f.count(), f.count()),
        "completion_rate": (f.completed.sum() / f.count(), f.count()),
        "pass_rate": (f.passed.sum() / f.completed.sum().nullif(0), f.completed.sum()),
        "distinct_activities_per_learner": (f.n_activities.sum() / f.count(), f.count()),
        "active_minutes_per_learner": (f.active_seconds.sum() / 60.0 / f.count(), f.count()),
        "revisit_rate": (
            f.revisited_pairs.sum() / f.launched_pairs.sum().nullif(0),
            f.count(where=f.launched_pairs > 0),
        ),
        "pre_score_mean": (f.pre.mean(), f.count(where=f.pre.notnull())),
        "post_score_mean": (f.post.mean(), f.count(where=f.post.notnull())),
        "competency_gain": (post_b - pre_b, f.count(where=both)),
        "normalized_gain": ((post_b - pre_b) / (1.0 - pre_b).nullif(0.0), f.count(where=both)),
        "time_to_competency_days": (
            f.ttc_seconds.sum() / f.count(where=f.ttc_seconds.notnull()).nullif(0) / 86400.0,
            f.count(where=f.ttc_seconds.notnull()),
        ),
    }
    if started is not None:
        out["pathway_completion_rate"] = (
            f.pathways_completed.sum() / f.pathways_started.sum().nullif(0),
            f.count(where=started > 0),
        )
        out["time_to_proficiency_days"] = (f.ttp_days.mean(), f.count(where=f.ttp_days.notnull()))
    return out


def _cell_keys(by: str) -> list[str]:
    return ["program_id", *GRAIN_KEYS[by]]


def _learner_kpis(backend: BaseBackend, names: list[str], program: str | None, by: str) -> pd.DataFrame:
    if by in CONTENT_UNITS:
        f = content_facts(backend, program, by)
    else:
        f = learner_facts(backend, program, ["program_id", "course_id"] if by == "course" else ["program_id"])
    if by == "learner":
        f = f.mutate(learner_id=f.learner_id.fill_null(f.learner_key))
    keys = _cell_keys(by)
    meas = _measures(f)
    aggs: dict[str, ir.Value] = {}
    for name in names:
        if name in meas:
            value, n = meas[name]
            aggs[f"v__{name}"] = value.cast("float64")
            aggs[f"n__{name}"] = n
    needs_cost = [k for k in names if k in COST_KPIS]
    if needs_cost:
        aggs["v__reach"] = meas["reach"][0]
        aggs["n__reach"] = meas["reach"][1]
        aggs["n__completed"] = f.completed.sum()
    wide = f.group_by(keys).aggregate(**aggs)
    if needs_cost:
        wide = _with_costs(backend, wide)
    return _melt(collect(wide), keys, names)


def _with_costs(backend: BaseBackend, wide: ir.Table) -> ir.Table:
    led = table(backend, "cost_ledger")
    cost = led.group_by("program_id").aggregate(total_cost=led.amount.cast("float64").sum())
    wide = wide.left_join(cost, "program_id").select(wide, "total_cost")
    return wide.mutate(
        v__cost_per_learner=wide.total_cost / wide.n__reach.nullif(0),
        n__cost_per_learner=wide.n__reach,
        v__cost_per_completion=wide.total_cost / wide.n__completed.nullif(0),
        n__cost_per_completion=wide.n__completed,
    )


def audience(backend: BaseBackend, program: str | None) -> ir.Table:
    """The target audience: (program_id, employee_id) of the treatment arm, the waved departments, or everyone."""
    emp = table(backend, "employees").select("employee_id", "department")
    parts: list[ir.Table] = []
    if has_table(backend, "assignments"):
        a = table(backend, "assignments")
        parts.append(a.filter(a.arm == "treatment").select("program_id", "employee_id"))
    if has_table(backend, "waves"):
        w = table(backend, "waves")
        w = w.filter((w.wave.cast("int64") > 0) & (w.unit_type == "department"))
        wj = w.inner_join(emp, w.unit_id == emp.department)
        parts.append(wj.select("program_id", "employee_id"))
    ev = table(backend, "lms_events")
    programs = ev.select("program_id").distinct()
    if parts:
        designed = ibis.union(*parts, distinct=True)
        undesigned = programs.anti_join(designed.select("program_id").distinct(), "program_id")
        aud = ibis.union(designed, undesigned.cross_join(emp.select("employee_id")), distinct=True)
    else:
        aud = programs.cross_join(emp.select("employee_id"))
    if program is not None:
        aud = aud.filter(aud.program_id == program)
    return aud


def _audience_kpis(backend: BaseBackend, program: str | None, by: str) -> pd.DataFrame:
    aud = audience(backend, program)
    ev = table(backend, "lms_events")
    act = ev.filter(ev.event_type.isin(ACTIVITY) & ev.learner_id.notnull())
    act = act.select("program_id", employee_id=act.learner_id).distinct().mutate(active=ibis.literal(1))
    j = aud.left_join(act, ["program_id", "employee_id"]).select(aud, "active")
    emp = table(backend, "employees")
    emp = emp.select(
        "employee_id", "department", cohort=month(emp.hire_date.cast("date")), learner_id=emp.employee_id
    )
    j = j.inner_join(emp, "employee_id")
    keys = _cell_keys(by)
    wide = j.group_by(keys).aggregate(
        v__adoption_rate=(j.active.fill_null(0).sum() / j.count()).cast("float64"), n__adoption_rate=j.count()
    )
    return _melt(collect(wide), keys, ["adoption_rate"])


def _melt(wide: pd.DataFrame, keys: list[str], names: list[str]) -> pd.DataFrame:
    parts = []
    for name in names:
        if f"v__{name}" not in wide:
            continue
        part = wide[keys].copy()
        part["kpi"] = name
        part["value"] = pd.to_numeric(wide[f"v__{name}"], errors="coerce").astype("float64")
        part["n"] = pd.to_numeric(wide[f"n__{name}"], errors="coerce").fillna(0).astype("int64")
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=[*keys, "kpi", "value", "n"])
    return pd.concat(parts, ignore_index=True)


def _normalize(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in ("period", "cohort"):
        if col in out:
            out[col] = as_naive(out[col])
    for col in ("program_id", "course_id", "module_id", "modality", "department", "learner_id"):
        if col in out:
            out[col] = out[col].astype("string")
    order = {k.name: i for i, k in enumerate(catalog())}
    out["_o"] = out["kpi"].map(order)
    out = out.sort_values([*keys, "_o"], kind="stable", na_position="last").drop(columns="_o")
    return out.reset_index(drop=True)


def compute_all(
    backend: BaseBackend,
    kpis: Sequence[str] | None = None,
    *,
    program: str | None = None,
    by: str = "program",
    min_cell: int = DEFAULT_MIN_CELL,
    learner_level: bool = False,
) -> KpiTable:
    """Every requested KPI (default: all that are computable at ``by``) for one or all programs.

    ``by="learner"`` returns one row per learner (no suppression) and needs ``learner_level=True``; the CLI
    records each such export in the store's access log.
    """
    check_option(by, Grain, "--by")
    if by not in GRAIN_COLUMN:
        raise UsageError(
            f"KPIs are not computed by {by!r} yet", hint=f"Use --by with one of: {', '.join(GRAIN_COLUMN)}."
        )
    if by == "learner" and not learner_level:
        raise UsageError(
            "learner-level KPIs export one row per person",
            hint="Pass --learner-level (learner_level=True); the export is recorded in the store's access log.",
        )
    if min_cell < 1:
        raise UsageError(f"min_cell must be at least 1; got {min_cell}", hint="Use the default of 5 or more.")
    if kpis is None:
        names = [k.name for k in catalog() if by in k.grains]
    else:
        names = list(dict.fromkeys(kpi_def(k).name for k in kpis))
        for name in names:
            check_grain(by, kpi_def(name).grains, f"KPI {name!r}")
    keys = _cell_keys(by)
    frames = []
    learner_names = [n for n in names if n not in AUDIENCE_KPIS]
    if learner_names:
        frames.append(_learner_kpis(backend, learner_names, program, by))
    if any(n in AUDIENCE_KPIS for n in names):
        frames.append(_audience_kpis(backend, program, by))
    filled = [f for f in frames if len(f)]
    if filled:
        long = pd.concat(filled, ignore_index=True)
    else:
        long = pd.DataFrame({c: pd.Series(dtype="object") for c in keys} | {"kpi": pd.Series(dtype="object")})
        long = long.assign(value=pd.Series(dtype="float64"), n=pd.Series(dtype="int64"))
    long = _normalize(long, keys)
    if by == "learner":
        long["n"] = long["n"].astype("Int64")
        long["suppressed"] = False
        long["suppression"] = pd.array([None] * len(long), dtype="string")
    else:
        long = suppress(long, keys=keys, min_cell=min_cell, complementary=by != "program")
    return KpiTable(grain=by, min_cell=min_cell, table=long, engine=engine_name(backend))


def compute_kpi(
    backend: BaseBackend,
    name: str,
    *,
    program: str | None = None,
    by: str = "program",
    min_cell: int = DEFAULT_MIN_CELL,
    learner_level: bool = False,
) -> KpiTable:
    """One catalog KPI at one grain; see :func:`compute_all`."""
    return compute_all(
        backend, [name], program=program, by=by, min_cell=min_cell, learner_level=learner_level
    )


def funnel(backend: BaseBackend, program: str | None = None, *, min_cell: int = DEFAULT_MIN_CELL) -> KpiTable:
    """Enrolment -> launch -> completion -> pass, nested (each stage counts learners who reached every earlier
    stage), with the conversion from the previous stage and from enrolment. Suppressed stages hide their count
    and every conversion that uses it."""
    f = learner_facts(backend, program, ["program_id"])
    wide = collect(
        f.group_by("program_id").aggregate(
            enrolled=f.count(), launched=f.launched.sum(), completed=f.completed.sum(), passed=f.passed.sum()
        )
    )
    rows = []
    for rec in wide.to_dict(orient="records"):
        counts = [int(rec[s] or 0) for s in FUNNEL_STAGES]
        for i, stage in enumerate(FUNNEL_STAGES):
            prev = counts[i - 1] if i else counts[0]
            rows.append(
                {
                    "program_id": str(rec["program_id"]),
                    "stage": stage,
                    "stage_order": i,
                    "kpi": "funnel",
                    "value": float(counts[i]),
                    "n": counts[i],
                    "conversion_from_previous": counts[i] / prev if prev else np.nan,
                    "conversion_from_enrolled": counts[i] / counts[0] if counts[0] else np.nan,
                }
            )
    cols = ["program_id", "stage", "stage_order", "kpi", "value", "n", "conversion_from_previous"]
    t = pd.DataFrame(rows, columns=[*cols, "conversion_from_enrolled"])
    t = suppress(t, keys=["program_id"], min_cell=min_cell, complementary=False)
    hidden = t["suppressed"].to_numpy()
    prev_hidden = np.r_[False, hidden[:-1]] & (t["stage_order"].to_numpy() > 0)
    first_hidden = t.groupby("program_id")["suppressed"].transform("first").to_numpy(dtype=bool)
    t.loc[hidden | prev_hidden, "conversion_from_previous"] = np.nan
    t.loc[hidden | first_hidden, "conversion_from_enrolled"] = np.nan
    t = t.sort_values(["program_id", "stage_order"]).reset_index(drop=True)
    return KpiTable(grain="program", min_cell=min_cell, table=t, engine=engine_name(backend))
