"""The analysis panel: employee x period business KPI with treatment timing, baseline and HRIS covariates.

The single input every estimator in :mod:`learnroi.attribution` reads. One Ibis expression over the store's
views (runs on DuckDB or Spark); only the panel itself (one row per employee-period, never events) is
collected. The design is read from the store: a program with ``assignments`` rows is randomized, one with
``waves`` rows is staggered, otherwise observational (treatment = the employee's first enrolment month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from learnroi.core.errors import DataError, SpecError, UsageError
from learnroi.core.options import Period, check_option
from learnroi.core.program import parse_spec
from learnroi.metrics.engine import as_naive, collect, has_table, month, month_index, scalar, table
from learnroi.metrics.facts import learner_facts

ONE_PER_HIRE_KPIS = frozenset({"weeks_to_productivity"})
"""KPIs with one value per hire (``period`` = hire month): a repeated cross-section of hire cohorts."""

PANEL_COLUMNS = [
    "employee_id",
    "period",
    "kpi",
    "value",
    "program_id",
    "arm",
    "enrolled",
    "completed",
    "treated",
    "first_treated_period",
    "wave",
    "cohort",
    "department",
    "team_id",
    "role",
    "location",
    "hire_date",
    "tenure_months",
    "baseline",
    "post",
]


@dataclass(frozen=True)
class Panel:
    """An employee x period panel of one business KPI for one program.

    ``frame`` columns (exactly these, in this order):

    - ``employee_id`` (str), ``period`` (datetime64, the month start; the week start for ``period="week"``),
      ``kpi`` (str), ``value`` (float; a missing KPI value is no row);
    - ``program_id`` (str); ``arm`` (``"control"`` or the arm name, ``"treatment"`` in a two-arm pilot; None: randomized programs only);
    - ``enrolled``, ``completed`` (bool: the employee ever enrolled in / completed the program in the LMS);
    - ``treated`` (bool: exposed in this period per the design: ``first_treated_period`` is set and
      ``period >= first_treated_period``); ``first_treated_period`` (datetime64 or NaT: randomized = the launch
      month for the treatment arm; staggered = the unit's wave start month; observational = the employee's
      first enrolment month); ``wave`` (int, 0 = never; randomized: 1 = any non-control arm, 0 = control);
    - ``cohort`` (datetime64: the hire month), ``department``, ``team_id``, ``role``, ``location`` (str),
      ``hire_date`` (datetime64), ``tenure_months`` (int: whole calendar months from hire month to period);
    - ``baseline`` (float: the employee's mean of the KPI over periods before ``start``, NaN if none; always
      NaN for one-value-per-hire KPIs), ``post`` (bool: ``period >= start``).

    For one-value-per-hire KPIs (``weeks_to_productivity``) there is one row per hire, ``period`` = the hire
    month, and ``treated`` = hire month >= the department's wave start.
    """

    program_id: str
    kpi: str
    design: str
    period: str
    start: date | None
    frame: pd.DataFrame
    n_unmatched_left_out: int
    """Distinct LMS learners of the program with no HRIS match (learner_id NULL), left out of the panel."""
    n_unknown_employees: int = 0
    """Distinct employee ids in ``performance`` for this KPI that are not in ``employees``, left out."""

    @property
    def one_per_hire(self) -> bool:
        return self.kpi in ONE_PER_HIRE_KPIS

    def tidy(self) -> pd.DataFrame:
        return self.frame.copy()

    def summary(self) -> str:
        f = self.frame
        return (
            f"{self.program_id}/{self.kpi}: {len(f)} rows, {f['employee_id'].nunique()} employees, "
            f"{int(f['treated'].sum())} treated rows, design {self.design}, start {self.start}; "
            f"{self.n_unmatched_left_out} unmatched learners left out"
        )

    def to_dict(self) -> dict[str, Any]:
        f = self.frame
        return {
            "program_id": self.program_id,
            "kpi": self.kpi,
            "design": self.design,
            "period": self.period,
            "start": self.start.isoformat() if self.start else None,
            "rows": len(f),
            "employees": int(f["employee_id"].nunique()),
            "treated_rows": int(f["treated"].sum()),
            "n_unmatched_left_out": self.n_unmatched_left_out,
            "n_unknown_employees": self.n_unknown_employees,
        }


def _scalar(expr: ir.Scalar) -> Any:
    return scalar(expr)


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    return pd.Timestamp(value).date()


def _registered(backend: BaseBackend, program_id: str) -> tuple[str | None, date | None]:
    """The design and start of a program spec loaded into the store's ``programs`` table, if any."""
    if not has_table(backend, "programs"):
        return None, None
    t = table(backend, "programs")
    rows = collect(t.filter(t.program_id == program_id).select("design", "spec_text").limit(1))
    if rows.empty:
        return None, None
    design = str(rows["design"].iloc[0])
    try:
        spec = parse_spec(str(rows["spec_text"].iloc[0]), source=f"programs[{program_id}]")
    except SpecError:
        return design, None
    return design, spec.program.start


def _design(backend: BaseBackend, program_id: str) -> str:
    for name, design in (("assignments", "randomized"), ("waves", "staggered")):
        if has_table(backend, name):
            t = table(backend, name)
            if int(_scalar(t.filter(t.program_id == program_id).count()) or 0) > 0:
                return design
    return "observational"


def _timing(
    backend: BaseBackend, program_id: str, design: str, start: date | None
) -> tuple[ir.Table, date | None]:
    """Per employee: arm, wave, first_treated_period; and the program start (month)."""
    emp = table(backend, "employees")
    if design == "randomized":
        a = table(backend, "assignments")
        a = a.filter(a.program_id == program_id)
        t = a.group_by("employee_id").aggregate(arm=a.arm.max(), assigned=a.assigned_date.cast("date").min())
        if start is None:
            ev = table(backend, "lms_events")
            ev = ev.filter((ev.program_id == program_id) & ev.learner_id.notnull())
            tr = t.filter(t.arm != "control")
            j = ev.inner_join(tr, ev.learner_id == tr.employee_id)
            start = _as_date(_scalar(month(j.timestamp.min())))
            if start is None:
                start = _as_date(_scalar(month(t.assigned.min())))
        launch = ibis.literal(start, type="date") if start else ibis.null("date")
        return (
            t.select(
                "employee_id",
                arm=t.arm,
                wave=ibis.ifelse(t.arm != "control", 1, 0),
                first_treated=ibis.ifelse(t.arm != "control", launch, ibis.null("date")),
            ),
            start,
        )
    if design == "staggered":
        w = table(backend, "waves")
        w = w.filter((w.program_id == program_id) & (w.unit_type == "department"))
        w = w.select(
            unit_id=w.unit_id, wave_n=w.wave.cast("int64"), wave_start=month(w.start_date.cast("date"))
        )
        j = emp.select("employee_id", "department").left_join(w, ibis._.department == w.unit_id)
        wave = j.wave_n.fill_null(0)
        first = ibis.ifelse(wave > 0, j.wave_start, ibis.null("date"))
        t = j.select("employee_id", arm=ibis.null("string"), wave=wave, first_treated=first)
        if start is None:
            start = _as_date(_scalar(w.filter(w.wave_n > 0).wave_start.min()))
        return t, start
    ev = table(backend, "lms_events")
    ev = ev.filter((ev.program_id == program_id) & ev.learner_id.notnull())
    t = ev.group_by(employee_id=ev.learner_id).aggregate(first_treated=month(ev.timestamp.min()))
    if start is None:
        start = _as_date(_scalar(t.first_treated.min()))
    t = t.select("employee_id", arm=ibis.null("string"), wave=ibis.literal(0), first_treated=t.first_treated)
    return t, start


def build_panel(
    backend: BaseBackend,
    program_id: str,
    kpi: str,
    *,
    period: str = "month",
    start: date | None = None,
    baseline_months: int | None = None,
) -> Panel:
    """Build the employee x period panel of business KPI ``kpi`` for ``program_id``.

    ``start`` overrides the program start; by default it is the spec's ``program.start`` when the spec is
    loaded in the store's ``programs`` table, else read from the data: randomized = the month of the treatment
    arm's first LMS event (else the first assignment), staggered = the first wave's start month,
    observational = the first enrolment month. ``baseline_months`` limits the CUPED baseline to that many
    months before the start (the spec's ``pilot.baseline_months``); default: every earlier month.
    Employees outside a randomization (no ``assignments`` row) stay in the panel with ``arm`` None.
    """
    check_option(period, Period, "period")
    perf = table(backend, "performance")
    perf = perf.filter((perf.kpi == kpi) & perf.value.notnull())
    if int(_scalar(perf.count()) or 0) == 0:
        raise DataError(
            f"no performance rows for KPI {kpi!r}",
            where="performance",
            hint="Check the KPI name (`learnroi kpis` lists what is in the store) or ingest performance data.",
        )
    emp = table(backend, "employees")
    registered_design, registered_start = _registered(backend, program_id)
    design = _design(backend, program_id)
    if design == "observational" and registered_design is None:
        ev = table(backend, "lms_events")
        if int(_scalar(ev.filter(ev.program_id == program_id).count()) or 0) == 0:
            raise DataError(
                f"unknown program {program_id!r}: no assignments, waves or LMS events",
                where="program_id",
                hint="Check the program id (`learnroi kpis` lists the programs in the store) or ingest its data.",
            )
    if registered_design in {"randomized", "staggered"} and registered_design != design:
        raise DataError(
            f"program {program_id!r} is registered as {registered_design} but the store has no "
            f"{'assignments' if registered_design == 'randomized' else 'waves'} rows for it",
            where="design",
            hint="Ingest the program's design files (`learnroi ingest design DIR`).",
        )
    start = start or registered_start
    one_per_hire = kpi in ONE_PER_HIRE_KPIS
    timing, start = _timing(backend, program_id, design, start)
    if start is not None:
        start = date(start.year, start.month, 1)
    p = perf.mutate(period_d=perf.period.cast("date"))
    if period == "week" and not one_per_hire:
        p = p.mutate(period_d=p.period_d.truncate("W"))
    p = p.group_by(["employee_id", "period_d"]).aggregate(value=p.value.cast("float64").mean())
    e = emp.select(
        "employee_id",
        "department",
        "team_id",
        "role",
        "location",
        hire=emp.hire_date.cast("date"),
    )
    j = p.inner_join(e, "employee_id")
    j = j.left_join(timing, "employee_id").select(j, "arm", "wave", "first_treated")
    status = _status(backend, program_id)
    j = j.left_join(status, j.employee_id == status.s_employee_id).drop("s_employee_id")
    start_lit = ibis.literal(start, type="date") if start else ibis.null("date")
    if one_per_hire or start is None:
        baseline = ibis.null("float64")
    else:
        w = ibis.window(group_by="employee_id")
        pre = j.period_d < start_lit
        if baseline_months is not None:
            if baseline_months < 1:
                raise UsageError(
                    f"baseline_months must be at least 1; got {baseline_months}",
                    hint="Pass the number of pre-period months to average, or None for all of them.",
                )
            lo = (pd.Timestamp(start) - pd.DateOffset(months=baseline_months)).date()
            pre = pre & (j.period_d >= ibis.literal(lo, type="date"))
        baseline = j.value.mean(where=pre).over(w)
    treated = j.first_treated.notnull() & (j.period_d >= j.first_treated)
    out = j.select(
        employee_id=j.employee_id,
        period=j.period_d,
        kpi=ibis.literal(kpi),
        value=j.value,
        program_id=ibis.literal(program_id),
        arm=j.arm,
        enrolled=j.s_enrolled.fill_null(0) == 1,
        completed=j.s_completed.fill_null(0) == 1,
        treated=treated.fill_null(False),
        first_treated_period=j.first_treated,
        wave=j.wave.fill_null(0).cast("int64"),
        cohort=month(j.hire),
        department=j.department,
        team_id=j.team_id,
        role=j.role,
        location=j.location,
        hire_date=j.hire,
        tenure_months=month_index(j.period_d) - month_index(j.hire),
        baseline=baseline,
        post=(j.period_d >= start_lit).fill_null(False),
    )
    frame = _to_frame(collect(out.order_by(["employee_id", "period"])))
    return Panel(
        program_id=program_id,
        kpi=kpi,
        design=design,
        period=period,
        start=start,
        frame=frame,
        n_unmatched_left_out=_unmatched(backend, program_id),
        n_unknown_employees=int(_scalar(perf.anti_join(emp, "employee_id").employee_id.nunique()) or 0),
    )


def _status(backend: BaseBackend, program_id: str) -> ir.Table:
    f = learner_facts(backend, program_id, ["program_id"])
    f = f.filter(f.learner_id.notnull())
    g = f.group_by(s_employee_id=f.learner_id).aggregate(s_completed=f.completed.max())
    return g.mutate(s_enrolled=ibis.literal(1))


def _unmatched(backend: BaseBackend, program_id: str) -> int:
    ev = table(backend, "lms_events")
    ev = ev.filter((ev.program_id == program_id) & ev.learner_id.isnull())
    return int(_scalar(ev.learner_key.nunique()) or 0)


def _to_frame(raw: pd.DataFrame) -> pd.DataFrame:
    f = raw.copy()
    for col in ("period", "first_treated_period", "cohort", "hire_date"):
        f[col] = as_naive(f[col])
    for col in ("employee_id", "kpi", "program_id", "arm", "department", "team_id", "role", "location"):
        f[col] = f[col].astype("object").where(f[col].notna(), None)
    for col in ("enrolled", "completed", "treated", "post"):
        f[col] = f[col].astype(bool)
    for col in ("wave", "tenure_months"):
        f[col] = f[col].astype("int64")
    for col in ("value", "baseline"):
        f[col] = f[col].astype("float64")
    return f[PANEL_COLUMNS].reset_index(drop=True)
