"""``simulate_company``: write the whole synthetic company to a folder, streaming the LMS in chunks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from learnroi.core.errors import UsageError
from learnroi.simulate import _io, finance, specs
from learnroi.simulate._calendar import day
from learnroi.simulate.catalog import catalog_table, modules
from learnroi.simulate.events import Events, pathway_events, time_by_learner
from learnroi.simulate.kpis import KPI_COLUMNS, kpi_tables
from learnroi.simulate.lms import (
    EVENT_COLUMNS,
    background_chunks,
    email_table,
    event_table,
    onboarding_enrolments,
    sales_enrolments,
)
from learnroi.simulate.messy import FaultLog
from learnroi.simulate.onboarding import WAVE_STARTS, WINDOW_START, Onboarding, simulate_onboarding
from learnroi.simulate.people import Workforce, build_workforce
from learnroi.simulate.sales import ASSIGNED, SalesPilot, simulate_sales
from learnroi.simulate.xapi import jsonl_bytes, statements

XAPI_DEFAULT_LIMIT = 50_000
MIN_EMPLOYEES, MAX_EMPLOYEES = 300, 1_000_000
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate_company` wrote: the folder, each file with its data-row count, and the truth."""

    out: Path
    files: dict[str, int]
    truth: dict[str, Any] = field(repr=False)
    seed: int = 42
    employees: int = 5000
    messy: bool = False
    xapi: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "seed": self.seed,
            "employees": self.employees,
            "messy": self.messy,
            "xapi": self.xapi,
            "files": dict(self.files),
            "truth": self.truth,
        }

    def tidy(self) -> Any:
        import pandas as pd

        return pd.DataFrame({"file": list(self.files), "rows": list(self.files.values())})

    def summary(self) -> str:
        lines = [f"Simulated company ({self.employees:,} employees, seed {self.seed}) in {self.out}"]
        lines += [f"  {name:<32} {rows:>12,} rows" for name, rows in self.files.items()]
        for pid, p in self.truth.get("programs", {}).items():
            kpi = next(iter(p["kpis"]))
            lines.append(
                f"  truth {pid}: {kpi} {p['estimand']} = {p['kpis'][kpi]['att']:.4g}; ROI {p['roi_pct']:.1f} %"
            )
        return "\n".join(lines)


def _check(employees: int, out: Path) -> None:
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise UsageError(
            f"--employees must be between {MIN_EMPLOYEES:,} and {MAX_EMPLOYEES:,}; got {employees:,}",
            hint=f"Use at least {MIN_EMPLOYEES} (32 departments need people) and at most {MAX_EMPLOYEES:,}.",
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder", hint="Pass --out with a folder path.")


def _design_tables(w: Workforce, p: SalesPilot, o: Onboarding) -> tuple[pa.Table, pa.Table]:
    el = p.eligible
    ids = p.reps[el]
    assignments = pa.table(
        {
            "program_id": pa.array(np.full(ids.size, "sales-skills")),
            "employee_id": pa.array(w.employee_id[ids]),
            "arm": pa.array(np.where(p.treat[el], "treatment", "control")),
            "stratum": pa.array(w.dept_names[w.dept[ids]]),
            "cluster_id": _io.prefixed_ids("T", w.team[ids], 5),
            "assigned_date": _io.dates(np.full(ids.size, day(ASSIGNED))),
        }
    )
    n_dept = w.dept_names.size
    waves = pa.table(
        {
            "program_id": pa.array(np.full(n_dept, "onboarding")),
            "unit_type": pa.array(np.full(n_dept, "department")),
            "unit_id": pa.array(w.dept_names),
            "wave": pa.array(o.wave),
            "start_date": _io.dates(np.where(o.wave > 0, o.wave_start_day, -(10**7))),
        }
    )
    return assignments, waves


class _EventWriter:
    """Streams event tables to ``lms/events.csv`` (and ``xapi/statements.jsonl``), numbering event ids."""

    def __init__(self, out: Path, xapi: bool, w: Workforce, seed: int, faults: FaultLog | None) -> None:
        self.csv = _io.CsvSink(out / "lms" / "events.csv", EVENT_COLUMNS)
        self.xapi = (out / "xapi" / "statements.jsonl") if xapi else None
        self.xapi_rows = 0
        if self.xapi is not None:
            self.xapi.parent.mkdir(parents=True, exist_ok=True)
            self._x = self.xapi.open("wb")
        self.emails, self.usual = email_table(w, np.random.default_rng([seed, 21]))
        self.rng = np.random.default_rng([seed, 22])
        self.faults = faults
        self.seconds: dict[str, np.ndarray] = {}
        self.n_people = w.n

    def write(self, program: str, ev: Events) -> None:
        mods = modules(program)
        secs = time_by_learner(ev, self.n_people)
        self.seconds[program] = self.seconds.get(program, np.zeros(self.n_people)) + secs
        table, ev_sorted = event_table(ev, mods, self.emails, self.usual, self.rng, self.csv.rows + 1)
        if self.xapi is not None:
            lines = statements(table, ev_sorted, mods)
            self._x.write(jsonl_bytes(lines))
            self.xapi_rows += len(lines)
        if self.faults is not None and program == "compliance" and not self.faults.events_done:
            table = self.faults.events(table, self.csv.rows)
        self.csv.write(table)

    def close(self) -> None:
        self.csv.close()
        if self.xapi is not None:
            self._x.close()


def simulate_company(
    out: Path,
    *,
    employees: int = 5000,
    seed: int = 42,
    messy: bool = False,
    xapi: bool | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Write a synthetic company with planted effects to ``out`` (see docs/reference/data-layout.md).

    ``xapi=None`` writes the xAPI copy when ``employees < 50,000``. Same seed, same bytes. The planted
    truth goes to ``truth/truth.json`` (and ``truth/messy.json`` with ``messy=True``).
    """
    out = Path(out)
    _check(employees, out)
    write_xapi = employees < XAPI_DEFAULT_LIMIT if xapi is None else bool(xapi)
    say: Progress = progress or (lambda stage, frac: None)
    files: dict[str, int] = {}
    faults = FaultLog(np.random.default_rng([seed, 99])) if messy else None

    say("people", 0.0)
    w = build_workforce(np.random.default_rng([seed, 1]), employees)
    p = simulate_sales(np.random.default_rng([seed, 2]), w)
    o = simulate_onboarding(np.random.default_rng([seed, 3]), w)
    hris = w.table()
    files["hris/employees.csv"] = _io.write_csv(out / "hris" / "employees.csv", hris)
    assignments, waves = _design_tables(w, p, o)
    files["design/assignments.csv"] = _io.write_csv(out / "design" / "assignments.csv", assignments)
    files["design/waves.csv"] = _io.write_csv(out / "design" / "waves.csv", waves)
    files["lms/catalog.csv"] = _io.write_csv(out / "lms" / "catalog.csv", catalog_table())

    say("performance", 0.1)
    with _io.CsvSink(out / "performance" / "kpis.csv", KPI_COLUMNS) as sink:
        for t in kpi_tables(np.random.default_rng([seed, 4]), w, p, o):
            sink.write(t)
        files["performance/kpis.csv"] = sink.rows

    say("lms", 0.2)
    writer = _EventWriter(out, write_xapi, w, seed, faults)
    rng_ev = np.random.default_rng([seed, 5])
    se = sales_enrolments(rng_ev, w, p, 1)
    sales_ev = pathway_events(rng_ev, se, modules("sales-skills"))
    writer.write("sales-skills", sales_ev)
    oe = onboarding_enrolments(rng_ev, o, 1 + se.learner.size)
    onb_ev = pathway_events(rng_ev, oe, modules("onboarding"))
    writer.write("onboarding", onb_ev)
    n_chunks = max(1, -(-w.n // 20_000)) * 2
    for i, (program, ev) in enumerate(background_chunks(seed, w)):
        writer.write(program, ev)
        say("lms", 0.2 + 0.6 * (i + 1) / n_chunks)
    writer.close()
    files["lms/events.csv"] = writer.csv.rows
    if write_xapi:
        files["xapi/statements.jsonl"] = writer.xapi_rows

    say("costs and surveys", 0.85)
    lines = {
        "sales-skills": finance.sales_lines(p, sales_ev, modules("sales-skills")),
        "onboarding": finance.onboarding_lines(o, onb_ev, modules("onboarding")),
        **finance.background_lines(w.n),
    }
    ledger = finance.ledger_table(lines)
    totals = finance.ledger_totals(ledger)
    files["costs/ledger.csv"] = _io.write_csv(out / "costs" / "ledger.csv", ledger)
    surveys = finance.surveys_table(np.random.default_rng([seed, 6]), w, p, o)
    files["surveys/estimates.csv"] = _io.write_csv(out / "surveys" / "estimates.csv", surveys)

    truth = _truth(w, p, o, writer.seconds, totals, seed, employees)
    reach_s = int(truth["programs"]["sales-skills"]["reach"])
    reach_o = int(truth["programs"]["onboarding"]["reach"])
    (out / "program-sales-skills.toml").write_text(specs.sales_spec(reach_s, seed), encoding="utf-8")
    (out / "program-onboarding.toml").write_text(specs.onboarding_spec(reach_o, seed), encoding="utf-8")
    if faults is not None:
        faults.apply_files(out, files)
        truth["messy"] = True
    (out / "truth").mkdir(parents=True, exist_ok=True)
    (out / "truth" / "truth.json").write_text(
        json.dumps(truth, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    if faults is not None:
        (out / "truth" / "messy.json").write_text(
            json.dumps(faults.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
    say("done", 1.0)
    return SimulationSummary(
        out=out, files=files, truth=truth, seed=seed, employees=employees, messy=messy, xapi=write_xapi
    )


def _truth(
    w: Workforce,
    p: SalesPilot,
    o: Onboarding,
    seconds: dict[str, np.ndarray],
    totals: dict[str, float],
    seed: int,
    employees: int,
) -> dict[str, Any]:
    hourly = w.hourly_cost()
    programs: dict[str, Any] = {}
    st = p.truth()
    reach_s = int((p.eligible & p.treat).sum())
    hours_s = float(seconds["sales-skills"].sum() / 3600.0)
    time_s = float((seconds["sales-skills"] / 3600.0 * hourly).sum())
    cost_s = totals["sales-skills"] + time_s
    programs["sales-skills"] = {
        "design": "randomized",
        "estimand": "ITT",
        "evaluation_window": ["2025-01-01", "2025-06-30"],
        "kpis": st,
        **specs.sales_money(st["revenue"]["att"], reach_s, cost_s),
        "reach": reach_s,
        "cost_breakdown": {
            "ledger": totals["sales-skills"],
            "participant_time": time_s,
            "participant_hours": hours_s,
        },
        "compliance": {
            "treatment_enrolled": float(p.enrolled[p.eligible & p.treat].mean()),
            "treatment_completed": float(p.completed[p.eligible & p.treat].mean()),
            "control_crossover_completed": float(p.completed[p.eligible & ~p.treat].mean()),
        },
        "notes": (
            "att = sample ITT: mean over randomized reps (>= 1 observed window month) of their mean "
            "Y(assigned) - Y(not assigned) over observed window months, crossovers included; the per-person "
            "difference in means of window KPIs by arm is unbiased for it. att_completers: treatment-arm "
            "completers' mean effect of the training. Take-up rises with unobserved motivation and tenure; "
            "motivation also raises baseline revenue (naive trained-vs-untrained is biased upward)."
        ),
    }
    ot = o.truth()
    units = o.treated & o.has_row & ~np.isnan(o.weeks)
    reach_o = int(units.sum())
    hours_o = float(seconds["onboarding"].sum() / 3600.0)
    time_o = float((seconds["onboarding"] / 3600.0 * hourly).sum())
    cost_o = totals["onboarding"] + time_o
    programs["onboarding"] = {
        "design": "staggered",
        "estimand": "ATT",
        "evaluation_window": [WINDOW_START, "2025-12-31"],
        "kpis": ot,
        **specs.onboarding_money(ot["weeks_to_productivity"]["att"], reach_o, cost_o),
        "reach": reach_o,
        "cost_breakdown": {
            "ledger": totals["onboarding"],
            "participant_time": time_o,
            "participant_hours": hours_o,
        },
        "waves": {str(i + 1): s for i, s in enumerate(WAVE_STARTS)},
        "notes": (
            "att = mean true effect over treated hires (hired in a department on or after its wave start) "
            "with a KPI value; effects differ by wave and grow with months since the wave start, so two-way "
            "fixed effects is biased; cluster by department."
        ),
    }
    return {
        "seed": seed,
        "employees": employees,
        "programs": programs,
        "identities": {"contractors_not_in_hris": int(max(5, round(0.02 * w.n)))},
    }
