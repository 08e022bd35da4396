"""The compliance program's outcome: a company-wide incident register with a drop after the roll-out.

The annual compliance training (``lms.background_chunks``: campaigns from 2024-03-01 and 2025-03-01, each
learner starting within 30 days) rolls out in March 2024. ``performance/incidents.csv`` is the incident
register from 2022-01 (a long pre-period, as a real register has) to 2025-12: monthly counts are Poisson
around a company-size rate with a slow linear trend and seasonality; from April 2024 (the first full month
after the roll-out) each incident that would have happened is prevented with probability
:data:`RELATIVE_DROP` (binomial thinning, so both potential outcomes of every month are known). There is
no comparison group: the design is the interrupted time series (Wagner et al. 2002) on incidents per
month. The truth's ``att`` is the realized change in incidents per month over the evaluation window
(prevented incidents / months, negative); the ROI follows docs/dev/roi-formulas.md with reach 1 (the KPI
is one company-wide series).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from learnroi.simulate import _io, specs
from learnroi.simulate._calendar import LAST_DAY, day
from learnroi.simulate.events import time_by_learner
from learnroi.simulate.finance import LEDGER_COLUMNS
from learnroi.simulate.lms import background_chunks
from learnroi.simulate.people import Workforce

HISTORY_START = "2022-01"
ROLL_OUT = "2024-03"
"""The first compliance campaign (``lms._compliance``: 2024-03-01 + up to 30 days)."""
EFFECT_START = "2024-04-01"
"""The first full month after the roll-out: the program start of the spec and the first treated month."""
END = "2025-12"
BASE_RATE = 0.032
"""Incidents per employee-month without the training (January 2024 level, before seasonality)."""
TREND = 0.002
"""Relative change of the rate per month (slow growth of the register's reach)."""
SEASON = np.array([1.02, 0.99, 1.01, 0.99, 0.98, 0.97, 0.94, 0.93, 1.0, 1.02, 1.04, 1.09])
RELATIVE_DROP = 0.25
CATEGORIES = ("data_privacy", "misconduct", "conflict_of_interest", "policy_breach")
CATEGORY_P = (0.38, 0.22, 0.15, 0.25)
COST_PER_INCIDENT = (4_000.0, 2_500.0, 6_000.0)
"""(value, low, high) of the spec's assumption; each incident's ``cost`` is log-normal with this mean."""
HORIZON, DECAY, DISCOUNT = 12, (12.0, 6.0, 24.0), (0.08, 0.05, 0.12)
ROLE_WEIGHT = {"ops_agent": 1.5, "support": 1.5, "sales_rep": 1.0}
LEDGER_KEY = "costs/ledger.csv+compliance"
"""Key of the extra compliance ledger lines in the files returned (rows to append to ``costs/ledger.csv``)."""
UNATTRIBUTED = 0.15
"""Share of incidents with no employee (reported anonymously or found by a system)."""


def _months() -> NDArray[np.datetime64]:
    return np.arange(HISTORY_START, np.datetime64(END, "M") + 1, dtype="datetime64[M]")


def incidents(tables: Mapping[str, pa.Table], seed: int) -> tuple[pa.Table, dict[str, Any]]:
    """``performance/incidents.csv`` and the incident truth (monthly counts under both outcomes)."""
    rng = np.random.default_rng([seed, 73])
    hris = tables["hris/employees.csv"]
    months = _months()
    starts = months.astype("datetime64[D]").astype(np.int64)
    ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    t = np.arange(months.size) - int((np.datetime64("2024-01", "M") - months[0]).astype(np.int64))
    rate = BASE_RATE * hris.num_rows * (1.0 + TREND * t) * SEASON[months.astype(np.int64) % 12]
    y0 = rng.poisson(rate)
    post = starts >= day(EFFECT_START)
    prevented = np.where(post, rng.binomial(y0, RELATIVE_DROP), 0)
    y = y0 - prevented
    month_of = np.repeat(np.arange(months.size), y)
    when = starts[month_of] + np.floor(rng.random(month_of.size) * (ends - starts + 1)[month_of]).astype(
        np.int64
    )
    when = np.sort(when)
    who = _people_at(rng, hris, when)
    cat = rng.choice(len(CATEGORIES), size=when.size, p=CATEGORY_P)
    mean, sigma = COST_PER_INCIDENT[0], 0.9
    cost = rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, when.size)
    anonymous = rng.random(when.size) < UNATTRIBUTED
    ids = hris.column("employee_id").to_numpy(zero_copy_only=False).astype(str)
    dept = hris.column("department").to_numpy(zero_copy_only=False).astype(str)
    table = pa.table(
        {
            "incident_id": _io.prefixed_ids("INC", np.arange(1, when.size + 1), 7),
            "date": _io.dates(when),
            "department": pa.array(dept[who]),
            "employee_id": pa.array(ids[who], pa.string(), mask=anonymous),
            "category": pa.array(np.array(CATEGORIES)[cat]),
            "cost": _io.floats(cost),
        }
    )
    n_post = int(post.sum())
    truth = {
        "att": -float(prevented.sum()) / n_post,
        "att_expected": -RELATIVE_DROP * float(rate[post].mean()),
        "relative_drop": RELATIVE_DROP,
        "expected_without_per_month": float(rate[post].mean()),
        "unit": "incidents per month (company-wide)",
        "months_pre": int((~post).sum()),
        "months_post": n_post,
        "by_month": {str(m): {"y0": int(a), "y1": int(b)} for m, a, b in zip(months, y0, y, strict=True)},
    }
    return table, truth


def _people_at(rng: np.random.Generator, hris: pa.Table, when: NDArray[np.int64]) -> NDArray[np.int64]:
    """For each incident, someone employed all that month (front-line roles weigh more)."""
    hire = pc.cast(hris.column("hire_date"), pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    leave = pc.fill_null(pc.cast(hris.column("exit_date"), pa.int32()), 10**7)
    leave_d = leave.to_numpy(zero_copy_only=False).astype(np.int64)
    role = hris.column("role").to_numpy(zero_copy_only=False).astype(str)
    weight = np.array([ROLE_WEIGHT.get(r, 0.7) for r in np.unique(role)])[
        np.unique(role, return_inverse=True)[1]
    ]
    out = np.zeros(when.size, dtype=np.int64)
    month = when.astype("datetime64[D]").astype("datetime64[M]")
    for m in np.unique(month):  # one draw per month (<= 48), not per incident
        sel = np.flatnonzero(month == m)
        d0 = int(m.astype("datetime64[D]").astype(np.int64))
        d1 = int((m + 1).astype("datetime64[D]").astype(np.int64)) - 1
        ok = np.flatnonzero((hire <= d0) & (leave_d >= d1))  # employed the whole month
        w = weight[ok] / weight[ok].sum()
        out[sel] = ok[rng.choice(ok.size, size=sel.size, p=w)]
    return out


def ledger_lines(n_people: int) -> pa.Table:
    """Compliance cost lines beyond the licences and seats already in ``costs/ledger.csv`` (finance.py)."""
    lines = [
        ("2023-12-15", "needs_assessment", "Compliance risk review and incident analysis", 7_500.0),
        ("2024-02-20", "design_development", "Localised scenarios for the code of conduct course", 12_000.0),
        ("2024-02-28", "delivery", "Roll-out communications and manager briefings", 4_500.0),
        ("2025-02-27", "delivery", "Annual refresher communications", 2_500.0),
        ("2024-06-30", "facilitators", "Compliance office Q&A sessions", 1.5 * n_people),
        ("2025-12-15", "evaluation", "Incident trend evaluation", 9_000.0),
    ]
    sub = sum(x[3] for x in lines)
    lines.append(("2025-12-31", "overhead", "L&D overhead allocation (8 %)", 0.08 * sub))
    n = len(lines)
    cols: dict[str, pa.Array] = {
        "program_id": pa.array(["compliance"] * n),
        "line_id": pa.array([f"CO-{1001 + i}" for i in range(n)]),
        "date": _io.dates(np.array([day(x[0]) for x in lines], dtype=np.int64)),
        "category": pa.array([x[1] for x in lines]),
        "description": pa.array([x[2] for x in lines]),
        "amount": _io.floats(np.array([x[3] for x in lines])),
        "currency": pa.array(["USD"] * n),
        "modality": pa.array([None] * n, pa.string()),
        "arm": pa.array([None] * n, pa.string()),
    }
    return pa.table({c: cols[c] for c in dict.fromkeys([*LEDGER_COLUMNS, "arm"])})


def _days(column: pa.ChunkedArray, missing: int) -> NDArray[np.int64]:
    days = pc.fill_null(pc.cast(column, pa.int32()), missing).to_numpy(zero_copy_only=False)
    return np.asarray(days, dtype=np.int64)


def workforce_from_hris(hris: pa.Table) -> Workforce:
    """The HRIS table as a :class:`Workforce` (what the LMS generator reads: head count, hire and exit days)."""
    n = hris.num_rows
    dept_names, dept = np.unique(
        hris.column("department").to_numpy(zero_copy_only=False).astype(str), return_inverse=True
    )
    zeros = np.zeros(n, dtype=np.int64)
    text = {
        c: hris.column(c).to_numpy(zero_copy_only=False).astype(str)
        for c in ("employee_id", "email", "full_name", "role", "location")
    }
    return Workforce(
        employee_id=text["employee_id"],
        email=text["email"],
        full_name=text["full_name"],
        dept=dept.astype(np.int64),
        dept_names=dept_names,
        dept_kind=np.zeros(dept_names.size, dtype=np.int64),
        team=zeros,
        role=text["role"],
        is_manager=np.zeros(n, dtype=bool),
        location=text["location"],
        manager=zeros - 1,
        hire_day=_days(hris.column("hire_date"), 0),
        exit_day=_days(hris.column("exit_date"), -1),
        loaded_salary=pc.fill_null(hris.column("loaded_salary"), 0.0)
        .to_numpy(zero_copy_only=False)
        .astype(float),
        standard_hours=pc.fill_null(hris.column("standard_hours"), np.nan)
        .to_numpy(zero_copy_only=False)
        .astype(float),
        motivation=np.zeros(n),
    )


def participant_time(tables: Mapping[str, pa.Table], seed: int) -> tuple[float, float]:
    """Hours and cost of employees' compliance learning time in the LMS events ``simulate`` writes
    (hours x loaded_salary / standard_hours, 2,080 when unknown), regenerated from the same streams."""
    w = workforce_from_hris(tables["hris/employees.csv"])
    seconds = np.zeros(w.n)
    for program, ev in background_chunks(seed, w):
        if program != "compliance":
            continue
        people = ev.learner < w.n
        leave = np.where(people, w.exit_day[np.where(people, ev.learner, 0)], -1)
        keep = (leave < 0) | (ev.ts < (leave + 1) * 86_400)  # as EventBook.table: nothing after an exit
        seconds += time_by_learner(ev.take(np.flatnonzero(keep)), w.n)
    hours = seconds / 3600.0
    return float(hours.sum()), float((hours * w.hourly_cost()).sum())


def compliance_spec(seed: int, window_months: int) -> str:
    """``program-compliance.toml``: observational, primary KPI ``incidents`` (decrease), incidents_avoided."""
    v, lo, hi = COST_PER_INCIDENT
    return f"""# Program spec written by `learnroi simulate` (seed {seed}); it runs as is on the simulated company.
[program]
id = "compliance"
name = "Annual compliance"
audience = "all employees"
target_behaviour = "Employees follow the code of conduct and handle personal data by the rules"
design = "observational"
primary_kpi = "incidents"
start = {EFFECT_START}
horizon_months = {HORIZON}
evaluation_window_months = {window_months}
currency = "USD"

[[kpis]]
business_kpi = "incidents"
learning_kpi = "completion_rate"
unit = "incidents per month"
direction = "decrease"
path = "risk"
monetized = true
rule = "incidents_avoided"
value_per_unit = "cost_per_incident"
per = "person_month"

[assumptions]
reach = {{ value = 1, low = 1, high = 1, unit = "company", source = "incidents is one company-wide monthly count: the effect is already the whole company's" }}
adoption = {{ value = 1.0, low = 1.0, high = 1.0, unit = "share", source = "1: the company-wide series averages over everyone" }}
decay_half_life_months = {{ value = {DECAY[0]}, low = {DECAY[1]}, high = {DECAY[2]}, unit = "months", source = "Compliance office: the annual refresher keeps the effect" }}
discount_rate = {{ value = {DISCOUNT[0]}, low = {DISCOUNT[1]}, high = {DISCOUNT[2]}, unit = "per year", source = "Finance: cost of capital" }}
cost_per_incident = {{ value = {v}, low = {lo}, high = {hi}, unit = "USD per incident", source = "Risk and compliance: mean handling cost in the incident register" }}

[[hypotheses]]
id = "compliance-h1"
kpi = "incidents"
assumed_effect = -0.2
assumed_effect_unit = "relative"
rationale = "Scenario-based training on conduct and data privacy cuts reportable incidents by a fifth"
owner = "Chief Compliance Officer"
status = "piloting"
"""


def simulate_compliance(
    tables: Mapping[str, pa.Table], seed: int
) -> tuple[dict[str, pa.Table], str, dict[str, Any]]:
    """``performance/incidents.csv`` and (under :data:`LEDGER_KEY`) the compliance ledger lines to append to
    ``costs/ledger.csv``; the text of ``program-compliance.toml``; the truth for ``programs.compliance``."""
    table, kpi = incidents(tables, seed)
    extra = ledger_lines(tables["hris/employees.csv"].num_rows)
    ledger = tables.get("costs/ledger.csv")
    existing = 0.0
    if ledger is not None:
        ours = pc.is_in(ledger.column("line_id"), value_set=extra.column("line_id"))
        mine = pc.and_(pc.equal(ledger.column("program_id"), "compliance"), pc.invert(ours))
        existing = float(pc.sum(pc.filter(ledger.column("amount"), mine)).as_py() or 0.0)
    ledger_total = round(existing + float(pc.sum(extra.column("amount")).as_py()), 2)
    hours, time_cost = participant_time(tables, seed)
    window = kpi["months_post"]
    benefit = specs.recurring_benefit(
        -kpi["att"], COST_PER_INCIDENT[0], 1.0, HORIZON, window, DECAY[0], DISCOUNT[0]
    )
    cost = ledger_total + time_cost
    truth = {
        "design": "observational",
        "estimand": "ATT",
        "evaluation_window": [EFFECT_START, str(np.datetime64(LAST_DAY, "D"))],
        "roll_out": ROLL_OUT,
        "history_start": f"{HISTORY_START}-01",
        "kpis": {"incidents": kpi},
        "benefit": benefit,
        "cost": cost,
        "roi_pct": specs.roi_pct(benefit, cost),
        "reach": 1,
        "cost_breakdown": {"ledger": ledger_total, "participant_time": time_cost, "participant_hours": hours},
        "notes": (
            "att = realized change in company-wide incidents per month over the evaluation window (prevented "
            "incidents / post months, from binomial thinning of the no-training counts); att_expected = its "
            "expectation. No comparison group: interrupted time series on the monthly count from "
            f"{HISTORY_START}; the cost includes the ledger lines already in costs/ledger.csv plus these."
        ),
    }
    return {"performance/incidents.csv": table, LEDGER_KEY: extra}, compliance_spec(seed, window), truth


__all__ = ["LEDGER_KEY", "compliance_spec", "simulate_compliance"]
