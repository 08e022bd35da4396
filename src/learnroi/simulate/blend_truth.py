"""The ``service-blend`` truth with money (contract §4) and its design and KPI tables.

Per arm ``a`` (docs/dev/blended-contract.md §4, docs/dev/roi-formulas.md): benefit = the recurring benefit of
the arm's true ITT on escalations with ``N = n_a`` (agents assigned to the arm); cost = the ledger lines with
``arm = a`` + the shared lines (no arm) x ``n_a / sum_b n_b`` (non-control arms) + the participants' time of
the arm's learners (LMS hours x loaded salary / standard hours). The pooled program: the unit-weighted mean
of the arms' effects (what the any-arm-vs-control difference in means estimates), ``N`` = all assigned to
a training arm, cost = the whole ledger + all participants' time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from learnroi.simulate import _io, specs
from learnroi.simulate._calendar import MONTH_START_DAYS, day
from learnroi.simulate.blend import ARMS, ASSIGNED, PROGRAM, WINDOW, BlendPilot
from learnroi.simulate.blend_events import CHECK_GAIN, WEAK_DROP, WEAKEST_MODULE
from learnroi.simulate.people import Workforce

_DECIMALS = {"escalations": 0, "csat": 2}


def blend_assignments(w: Workforce, b: BlendPilot) -> pa.Table:
    el = b.eligible
    ids = b.agents[el]
    return pa.table(
        {
            "program_id": pa.array(np.full(ids.size, PROGRAM)),
            "employee_id": pa.array(w.employee_id[ids]),
            "arm": pa.array(np.array(ARMS)[b.arm[el]]),
            "stratum": pa.array(w.dept_names[w.dept[ids]]),
            "cluster_id": _io.prefixed_ids("T", w.team[ids], 5),
            "assigned_date": _io.dates(np.full(ids.size, day(ASSIGNED))),
        }
    )


def blend_kpi_tables(w: Workforce, b: BlendPilot) -> list[pa.Table]:
    """``escalations`` and ``csat`` per support agent-month (rows where a value exists)."""
    out = []
    for kpi in ("escalations", "csat"):
        v = b.kpi[kpi]
        r, m = np.nonzero(~np.isnan(v))
        out.append(
            pa.table(
                {
                    "employee_id": pa.array(w.employee_id[b.agents[r]]),
                    "period": _io.dates(MONTH_START_DAYS[m]),
                    "kpi": pa.array(np.full(r.size, kpi)),
                    "value": _io.floats(v[r, m], _DECIMALS[kpi]),
                }
            )
        )
    return out


def _ledger_by_arm(ledger: pa.Table) -> dict[str, float]:
    prog = np.array(ledger.column("program_id").to_pylist())
    arm = np.array([a or "" for a in ledger.column("arm").to_pylist()])
    amt = ledger.column("amount").to_numpy(zero_copy_only=False)
    sel = prog == PROGRAM
    return {a: float(np.round(amt[sel & (arm == a)].sum(), 2)) for a in ("", *ARMS[1:])}


def blend_program_truth(
    b: BlendPilot, w: Workforce, ledger: pa.Table, seconds: NDArray[np.float64]
) -> dict[str, Any]:
    """``truth.json`` -> ``programs.service-blend``."""
    t = b.truth()
    hourly = w.hourly_cost()
    by_arm = _ledger_by_arm(ledger)
    n = {name: int(t["arms"][name]["n"]) for name in ARMS[1:]}
    n_all = sum(n.values())
    for a, name in enumerate(ARMS[1:], start=1):
        people = b.agents[b.arm == a]
        hours = float(seconds[people].sum() / 3600.0)
        time_cost = float((seconds[people] / 3600.0 * hourly[people]).sum())
        shared = by_arm[""] * n[name] / n_all if n_all else 0.0
        cost = by_arm[name] + shared + time_cost
        arm_t = t["arms"][name]
        arm_t.update(specs.blend_money(arm_t["kpis"]["escalations"]["att"], n[name], cost))
        arm_t["cost_breakdown"] = {
            "arm_ledger": by_arm[name],
            "shared_ledger_share": shared,
            "participant_time": time_cost,
            "participant_hours": hours,
        }
    ledger_total = float(np.round(sum(by_arm.values()), 2))
    learners = b.agents[b.arm > 0]
    time_all = float((seconds[learners] / 3600.0 * hourly[learners]).sum())
    lo, hi = WINDOW
    start = str(MONTH_START_DAYS[lo].astype("datetime64[D]"))
    end = str((MONTH_START_DAYS[hi] - 1).astype("datetime64[D]"))
    return {
        "design": "randomized",
        "estimand": "ITT",
        "evaluation_window": [start, end],
        "kpis": t["kpis"],
        **specs.blend_money(t["kpis"]["escalations"]["att"], n_all, ledger_total + time_all),
        "reach": n_all,
        "cost_breakdown": {
            "ledger": ledger_total,
            "shared_ledger": by_arm[""],
            "participant_time": time_all,
            "participant_hours": float(seconds[learners].sum() / 3600.0),
        },
        "arms": t["arms"],
        "exit_12m_control": t["exit_12m_control"],
        "weakest_module": WEAKEST_MODULE,
        "weakest_module_planted": {
            "abandon_share": WEAK_DROP,
            "module_check_gain": CHECK_GAIN[WEAKEST_MODULE],
            "why": "required digital module in sb-core: every learner reaches it, many abandon it, the "
            "knowledge check barely moves",
        },
        "notes": (
            "arms.<a>.kpis.<kpi>.att = sample ITT of arm a against control: mean over randomized agents "
            "(>= 1 observed window month) of their mean Y(a) - Y(control) over observed window months; the "
            "per-person difference in means of window KPIs between arm a and control is unbiased for it. "
            "kpis.<kpi>.att (pooled) = the arms' effects weighted by their share of treated units. exit_12m = "
            "P(exit within 12 months of assignment | a) - P(... | control) over randomized agents, from all "
            "four potential exits. Costs: contract §4 (shared ledger lines split by n_a / sum n)."
        ),
    }
