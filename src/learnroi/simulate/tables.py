"""The simulated company in memory: every table except the background LMS volume, and the truth.

:func:`simulate_tables` is what :func:`~learnroi.simulate.simulate_company` writes, minus the
``compliance`` and ``product-academy`` events (the LMS volume) and the xAPI copy, for tests that need
hundreds of companies fast (validation-targets.md §5: a simulated company per replication). For the same
``employees`` and ``seed`` every table here equals the file's rows (events: the three evaluated programs'
rows, which come first in ``lms/events.csv``) and the truth is identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io, finance, specs
from learnroi.simulate._calendar import day
from learnroi.simulate.blend import ARMS, simulate_blend
from learnroi.simulate.blend_events import blend_events
from learnroi.simulate.blend_truth import blend_assignments, blend_kpi_tables, blend_program_truth
from learnroi.simulate.catalog import catalog_table, modules
from learnroi.simulate.compliance import LEDGER_KEY as COMPLIANCE_LEDGER
from learnroi.simulate.compliance import simulate_compliance
from learnroi.simulate.events import ATTEMPTED, Enrolments, Events, pathway_events, time_by_learner
from learnroi.simulate.kpis import kpi_tables
from learnroi.simulate.lms import email_table, event_table, onboarding_enrolments, sales_enrolments
from learnroi.simulate.onboarding import WAVE_STARTS, WINDOW_START, Onboarding, simulate_onboarding
from learnroi.simulate.people import Workforce, build_workforce
from learnroi.simulate.platform import simulate_platform
from learnroi.simulate.sales import ASSIGNED, SalesPilot, simulate_sales
from learnroi.simulate.surveys import survey_tables

WRITE_COMPLIANCE_SPEC = True
"""Write ``program-compliance.toml``: off until the pipeline builds the ``incidents`` KPI (``learnroi demo``
runs every ``program-*.toml`` it finds and stops on a KPI it cannot build)."""


class EventBook:
    """Turns generated events into ``lms/events.csv`` tables: drops events after a leaver's exit, numbers
    event ids across programs, picks each row's email spelling and adds up each person's learning time."""

    def __init__(self, w: Workforce, seed: int) -> None:
        self.emails, self.usual = email_table(w, np.random.default_rng([seed, 21]))
        self.rng = np.random.default_rng([seed, 22])
        self.n_people = w.n
        self.exit_day = w.exit_day
        self.next_event = 1
        self.seconds: dict[str, NDArray[np.float64]] = {}

    def table(
        self, program: str, ev: Events, rng: np.random.Generator | None = None
    ) -> tuple[pa.Table, Events]:
        """``rng`` (default: the book's own stream) picks the email spellings of these rows."""
        people = ev.learner < self.n_people
        leave = np.where(people, self.exit_day[np.where(people, ev.learner, 0)], -1)
        keep = (leave < 0) | (ev.ts < (leave + 1) * 86_400)
        if not keep.all():
            ev = ev.take(np.flatnonzero(keep))
        secs = time_by_learner(ev, self.n_people)
        self.seconds[program] = self.seconds.get(program, np.zeros(self.n_people)) + secs
        table, ev_sorted = event_table(
            ev, modules(program), self.emails, self.usual, rng or self.rng, self.next_event
        )
        self.next_event += table.num_rows
        return table, ev_sorted


@dataclass(frozen=True)
class CompanyTables:
    """Arrow tables named as the files they become (``"hris/employees.csv"`` ...), specs and truth."""

    tables: dict[str, pa.Table]
    specs: dict[str, str]
    """File name -> TOML text (``program-sales-skills.toml``, ``program-onboarding.toml``)."""
    truth: dict[str, Any] = field(repr=False)
    program_events: dict[str, tuple[pa.Table, Events]] = field(repr=False)
    """The evaluated programs' event tables (and their events, for the xAPI writer)."""

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]

    def to_dict(self) -> dict[str, Any]:
        return {"tables": {k: t.num_rows for k, t in self.tables.items()}, "truth": self.truth}


def simulate_tables(employees: int = 1000, seed: int = 42, *, extras: bool = True) -> CompanyTables:
    """The company in memory (see the module docstring); a 1,000-employee company takes about 0.4 s.

    ``extras=False`` leaves out the surveys, the incident register and the platform files (and their
    truth), which nearly halves the time: for replications that only need the programs' tables.
    """
    return build(employees, seed, extras=extras)[0]


def build(employees: int, seed: int, *, extras: bool = True) -> tuple[CompanyTables, EventBook, Workforce]:
    """Everything but the background LMS; the book and workforce let the writer continue the LMS stream."""
    w = build_workforce(np.random.default_rng([seed, 1]), employees)
    p = simulate_sales(np.random.default_rng([seed, 2]), w)
    o = simulate_onboarding(np.random.default_rng([seed, 3]), w)
    bp, w = simulate_blend(np.random.default_rng([seed, 30]), w)  # support agents' exits change
    assignments, waves = _design_tables(w, p, o)
    assignments = pa.concat_tables([assignments, blend_assignments(w, bp)])
    kpis = pa.concat_tables(
        [*kpi_tables(np.random.default_rng([seed, 4]), w, p, o), *blend_kpi_tables(w, bp)]
    )
    book = EventBook(w, seed)
    rng_ev = np.random.default_rng([seed, 5])
    se = sales_enrolments(rng_ev, w, p, 1)
    sales = book.table("sales-skills", pathway_events(rng_ev, se, modules("sales-skills")))
    oe = onboarding_enrolments(rng_ev, o, 1 + se.learner.size)
    onb = book.table("onboarding", pathway_events(rng_ev, oe, modules("onboarding")))
    sb_mods = modules("service-blend")
    be, attendance = blend_events(
        np.random.default_rng([seed, 31]), bp, w, sb_mods, 1 + se.learner.size + oe.learner.size
    )
    blend = book.table("service-blend", be, np.random.default_rng([seed, 32]))
    n_assigned = {arm: int((bp.arm == a).sum()) for a, arm in enumerate(ARMS) if a > 0}
    n_enrolled = {arm: int((bp.enrolled & (bp.arm == a)).sum()) for a, arm in enumerate(ARMS) if a > 0}
    lines: dict[str, Sequence[tuple[Any, ...]]] = {
        "sales-skills": finance.sales_lines(p, sales[1], modules("sales-skills")),
        "onboarding": finance.onboarding_lines(o, onb[1], modules("onboarding")),
        **finance.background_lines(w.n),
        "service-blend": finance.blend_lines(n_assigned, n_enrolled, blend[1], sb_mods),
    }
    ledger = finance.ledger_table(lines)
    surveys = finance.surveys_table(np.random.default_rng([seed, 6]), w, p, o)
    truth = _truth(w, p, o, book.seconds, finance.ledger_totals(ledger), seed, employees)
    truth["programs"]["sales-skills"]["competency"] = _competency(sales[1], se)
    truth["programs"]["onboarding"]["competency"] = _competency(onb[1], oe)
    truth["programs"]["service-blend"] = blend_program_truth(bp, w, ledger, book.seconds["service-blend"])
    reach_s = int(truth["programs"]["sales-skills"]["reach"])
    reach_o = int(truth["programs"]["onboarding"]["reach"])
    tables = {
        "hris/employees.csv": w.table(),
        "design/assignments.csv": assignments,
        "design/waves.csv": waves,
        "lms/catalog.csv": catalog_table(),
        "performance/kpis.csv": kpis,
        "lms/events.csv": pa.concat_tables([sales[0], onb[0], blend[0]]),
        "lms/attendance.csv": attendance,
        "costs/ledger.csv": ledger,
        "surveys/estimates.csv": surveys,
    }
    extra_specs = _extras(tables, truth, seed) if extras else {}
    spec_texts = {
        "program-sales-skills.toml": specs.sales_spec(reach_s, seed),
        "program-onboarding.toml": specs.onboarding_spec(reach_o, seed),
        "program-service-blend.toml": specs.blend_spec(
            int(truth["programs"]["service-blend"]["reach"]), seed
        ),
        **extra_specs,
    }
    company = CompanyTables(
        tables=tables,
        specs=spec_texts,
        truth=truth,
        program_events={"sales-skills": sales, "onboarding": onb, "service-blend": blend},
    )
    return company, book, w


def _extras(tables: dict[str, pa.Table], truth: dict[str, Any], seed: int) -> dict[str, str]:
    """Surveys, the compliance outcome and the platform (contract §3), built from the tables so far; adds
    their files to ``tables`` and their truth to ``truth``; returns the extra spec files."""
    survey_files, survey_truth = survey_tables(tables, seed)
    comp_files, comp_spec, comp_truth = simulate_compliance(tables, seed)
    platform_files, platform_truth = simulate_platform(tables, seed)
    extra_ledger = comp_files.pop(COMPLIANCE_LEDGER)
    tables.update(survey_files)
    tables.update(comp_files)
    tables.update(platform_files)
    tables["costs/ledger.csv"] = pa.concat_tables([tables["costs/ledger.csv"], extra_ledger])
    truth["programs"]["compliance"] = comp_truth
    truth["surveys"] = survey_truth
    truth["platform"] = platform_truth
    return {"program-compliance.toml": comp_spec} if WRITE_COMPLIANCE_SPEC else {}


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


def _competency(ev: Events, e: Enrolments) -> dict[str, Any]:
    """Pre score and first post-attempt score of completers (the mediator the KPI effect works through)."""
    first = int(e.enrolment.min()) if e.enrolment.size else 0
    pre = np.full(e.enrolment.size, np.nan)
    post = np.full(e.enrolment.size, np.nan)
    att = ev.event_type == ATTEMPTED
    sel = att & (ev.assessment == 1)
    pre[ev.enrolment[sel] - first] = ev.score[sel]
    sel = att & (ev.assessment == 2) & (ev.attempt == 1)
    post[ev.enrolment[sel] - first] = ev.score[sel]
    ok = e.done & ~np.isnan(pre) & ~np.isnan(post)
    return {
        "measure": "first post-assessment score - pre-assessment score (0-100), completers",
        "n": int(ok.sum()),
        "mean_pre": float(pre[ok].mean()) if ok.any() else None,
        "mean_post": float(post[ok].mean()) if ok.any() else None,
        "mean_gain": float((post - pre)[ok].mean()) if ok.any() else None,
        "mechanism": "each learner's expected gain and KPI effect are both proportional to one learning factor",
    }


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
