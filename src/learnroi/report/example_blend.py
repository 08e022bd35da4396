"""A hand-made blended program (four arms) with every optional report block, for tests and docs.

The per-arm ROI is ``learnroi.roi.arms.roi_by_arm`` (contract §4): the arm's effect, ``N`` = the people
assigned to the arm, cost = the arm's own ledger lines + the shared lines x ``n_a / sum_b n_b`` + the
arm's learners' time. Survey summaries, content effectiveness, notes, the
cohort/year breakdown and the platform's ROI are small hand-made frames with round numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from learnroi.core.program import ProgramSpec, parse_spec, spec_hash
from learnroi.report.build import build_program_section, build_report_data
from learnroi.report.data import ReportData
from learnroi.roi import EffectInput, compute_roi, platform_roi, roi_by_cohort
from learnroi.roi.arms import ArmRoi, roi_by_arm

BLEND_TOML = """
[program]
id = "service-blend"
name = "Customer conversations (blended)"
audience = "Support agents"
design = "randomized"
primary_kpi = "escalations"
horizon_months = 12
evaluation_window_months = 6

[[kpis]]
business_kpi = "escalations"
unit = "escalations per agent-month"
direction = "decrease"
path = "service"
rule = "incidents_avoided"
value_per_unit = "cost_per_escalation"
per = "person_month"

[assumptions]
cost_per_escalation = { value = 180, low = 140, high = 230, unit = "USD", source = "Support ops cost model" }
reach = { value = 360, unit = "people", source = "agents assigned to a training arm" }
decay_half_life_months = { value = 9, low = 6, high = 18, unit = "months", source = "Arthur et al. 1998" }
discount_rate = { value = 0.08, unit = "per year", source = "Treasury WACC" }
"""

ARMS = ("digital", "blended", "classroom")
N = {"control": 120, "digital": 120, "blended": 120, "classroom": 120}
EFFECT = {"digital": -0.20, "blended": -0.60, "classroom": -0.55}
SE = {"digital": 0.10, "blended": 0.11, "classroom": 0.12}
CRIT = 2.35
"""The Dunnett-type simultaneous critical value used for the hand-made intervals (three arms vs control)."""
ARM_LINES = {"digital": 4000.0, "blended": 30000.0, "classroom": 95000.0}
SHARED = 36000.0
HOURS = {"digital": 4.0, "blended": 9.0, "classroom": 22.0}
RATE = 40.0
DRAWS = 4000


def participant_time() -> pd.DataFrame:
    """One row per assigned learner of the three arms: hours in the LMS, loaded hourly rate, arm."""
    frames = [
        pd.DataFrame(
            {
                "employee_id": [f"{a[:2].upper()}{i:04d}" for i in range(N[a])],
                "hours": np.full(N[a], HOURS[a]),
                "hourly_rate": np.full(N[a], RATE),
                "arm": a,
            }
        )
        for a in ARMS
    ]
    return pd.concat(frames, ignore_index=True)


def ledger(shared: float = SHARED) -> pd.DataFrame:
    """The program's ledger: one line per arm (``arm`` set) and one shared line (no arm)."""
    return pd.DataFrame(
        {
            "program_id": "service-blend",
            "category": ["delivery"] * len(ARMS) + ["design_development"],
            "description": [f"arm {a}" for a in ARMS] + ["shared content and coordination"],
            "amount": [ARM_LINES[a] for a in ARMS] + [shared],
            "arm": [*ARMS, None],
        }
    )


def arm_effects(effects: dict[str, float] | None = None) -> dict[str, EffectInput]:
    eff = {**EFFECT, **(effects or {})}
    return {
        a: EffectInput(kpi="escalations", estimate=eff[a], std_error=SE[a], n=N[a] + N["control"])
        for a in ARMS
    }


def arm_rois(
    spec: ProgramSpec, *, effects: dict[str, float] | None = None, shared: float = SHARED
) -> tuple[ArmRoi, ...]:
    """``learnroi.roi.roi_by_arm`` on the example (the reference the workbook's Blend sheet is tested against)."""
    return roi_by_arm(
        spec,
        arm_effects(effects),
        n=N,
        ledger=ledger(shared),
        participant_time=participant_time(),
        draws=DRAWS,
        seed=11,
    )


def arms_frame(spec: ProgramSpec) -> pd.DataFrame:
    """The per-arm frame of contract §5, control first, with the cost parts."""
    rows: list[dict[str, Any]] = [{"program_id": spec.id, "arm": "control", "n": N["control"]}]
    for a in arm_rois(spec):
        r = a.roi
        assert r is not None
        rows.append(
            {
                "program_id": spec.id,
                "arm": a.arm,
                "n": a.n,
                "effect": EFFECT[a.arm],
                "std_error": SE[a.arm],
                "conf_low": EFFECT[a.arm] - CRIT * SE[a.arm],
                "conf_high": EFFECT[a.arm] + CRIT * SE[a.arm],
                "p_adjusted": {"digital": 0.12, "blended": 0.0001, "classroom": 0.0004}[a.arm],
                "cost": a.cost,
                "cost_per_learner": a.cost_per_learner,
                "benefit": r.benefit,
                "roi_pct": r.roi_pct,
                "roi_conf_low": r.roi_conf_low,
                "roi_conf_high": r.roi_conf_high,
                "p_roi_positive": r.p_roi_positive,
                "cost_arm": ARM_LINES[a.arm],
                "cost_shared": SHARED * a.share,
                "cost_participant_time": r.cost_breakdown.get("participant_time", 0.0),
            }
        )
    return pd.DataFrame(rows)


CONTENT = [
    # module, modality, reach, drop_off, check_gain, median_minutes
    ("sb-core-1", "digital", 300, 0.10, 0.20, 18.0),
    ("sb-core-2", "digital", 330, 0.45, 0.01, 25.0),
    ("sb-core-3", "digital", 290, 0.20, 0.15, 20.0),
    ("sb-virtual-1", "virtual", 110, 0.30, 0.10, 55.0),
    ("sb-class-1", "classroom", 115, 0.05, 0.18, 240.0),
    ("sb-social-1", "social", 3, 0.60, 0.00, 12.0),
]
LEARNERS = 360


def content_frame() -> pd.DataFrame:
    """Content effectiveness in the long ``KpiTable`` shape (one row per module and KPI); update priority
    = reach share x drop-off x (1 - gain / max gain) over the shown modules (contract §4)."""
    max_gain = max(g for _, _, n, _, g, _ in CONTENT if n >= 5)
    rows = []
    for m, mod, n, drop, gain, minutes in CONTENT:
        prio = n / LEARNERS * drop * (1 - gain / max_gain)
        for kpi, v in (
            ("reach", n),
            ("drop_off", drop),
            ("module_check_gain", gain),
            ("median_minutes", minutes),
            ("update_priority", prio),
        ):
            rows.append(
                {
                    "program_id": "service-blend",
                    "module_id": m,
                    "modality": mod,
                    "kpi": kpi,
                    "value": v,
                    "n": n,
                }
            )
    return pd.DataFrame(rows)


def surveys() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reaction (one row) and application (30/60/90 days, manager-rated) summaries."""
    reaction = pd.DataFrame(
        [
            {
                "program_id": "service-blend",
                "invited": 360,
                "responses": 225,
                "satisfaction": 4.1,
                "relevance": 3.9,
                "intent_to_apply": 4.0,
            }
        ]
    )
    application = pd.DataFrame(
        {
            "program_id": "service-blend",
            "days_after": [30, 60, 90],
            "rater_role": "manager",
            "invited": [360, 360, 360],
            "responses": [216, 198, 180],
            "behaviour_score": [3.4, 3.6, 3.7],
        }
    )
    return reaction, application


def notes() -> pd.DataFrame:
    """Seven qualitative notes: four supporting, two contradicting, one neutral."""
    stances = ["supports", "contradicts", "supports", "neutral", "supports", "contradicts", "supports"]
    text = [
        "Agents use the de-escalation script on calls.",
        "Night shift says the role plays do not match their calls.",
        "Fewer handovers to tier 2 in the team I lead.",
        "Customers mention shorter waits; unclear if training.",
        "Coaching circles keep the habit alive.",
        "Two agents dropped the digital module: too long.",
        "Sponsor sees the script in call reviews.",
    ]
    return pd.DataFrame(
        {
            "evidence_id": [f"N{i}" for i in range(1, 8)],
            "program_id": "service-blend",
            "kpi": "escalations",
            "author_id": [f"E{i:05d}" for i in range(7)],
            "author_role": [
                "manager",
                "participant",
                "manager",
                "customer",
                "participant",
                "analyst",
                "sponsor",
            ],
            "source_type": "observation",
            "recorded_date": [f"2026-0{m}-10" for m in (3, 3, 4, 4, 5, 5, 6)],
            "stance": stances,
            "note": text,
        }
    )


def example_blend_inputs() -> dict[str, Any]:
    """Every input of the blended example (spec, arm frame, program ROI, breakdown, platform...)."""
    spec = parse_spec(BLEND_TOML, "service-blend.toml")
    arms = arms_frame(spec)
    pooled = EffectInput(kpi="escalations", estimate=-0.45, std_error=0.08, n=480)
    time = participant_time().drop(columns="arm")
    roi = compute_roi(spec, pooled, ledger=ledger(), participant_time=time, draws=DRAWS, seed=11)
    breakdown = roi_by_cohort(
        spec,
        {
            "2026-Q1": EffectInput(kpi="escalations", estimate=-0.50, std_error=0.10),
            "2026-Q2": EffectInput(kpi="escalations", estimate=-0.40, std_error=0.12),
        },
        reach={"2026-Q1": 200.0, "2026-Q2": 160.0},
        ledger=ledger(),
        participant_time=time,
        draws=DRAWS,
        seed=11,
    )
    months = pd.period_range("2025-07", "2026-06", freq="M").astype(str)
    admin = pd.DataFrame(
        {"period": months, "admin_hours": [120, 124, 118, 122, 121, 119, 80, 84, 78, 82, 79, 81]}
    )
    platform_costs = pd.DataFrame(
        {"category": ["licence", "administration", "integration"], "amount": [60000.0, 12000.0, 18000.0]}
    )
    platform = platform_roi(
        platform_costs, admin, [roi], hourly_cost=45.0, go_live="2026-01", draws=DRAWS, seed=3
    )
    reaction, application = surveys()
    return {
        "spec": spec,
        "arms": arms,
        "roi": roi,
        "pooled": pooled,
        "participant_time": time,
        "breakdown": breakdown,
        "platform": platform,
        "platform_costs": platform_costs,
        "admin_time": admin,
        "content": content_frame(),
        "reaction": reaction,
        "application": application,
        "notes": notes(),
    }


def example_blend_report_data() -> ReportData:
    """One blended program with every optional block, and the platform's ROI."""
    x = example_blend_inputs()
    section = build_program_section(
        x["spec"],
        roi=x["roi"],
        funnel=[
            {"stage": "enrolled", "n": 360},
            {"stage": "started", "n": 340},
            {"stage": "completed", "n": 290},
        ],
        arms=x["arms"],
        content=x["content"],
        reaction=x["reaction"],
        application=x["application"],
        qualitative=x["notes"],
        roi_cohorts=x["breakdown"],
        effects={
            "escalations": {
                "method": "multiarm (pooled: any arm vs control)",
                "design": "randomized",
                "estimand": "ITT",
                "estimate": -0.45,
                "std_error": 0.08,
                "conf_low": -0.45 - 1.96 * 0.08,
                "conf_high": -0.45 + 1.96 * 0.08,
                "n": 480,
            }
        },
    )
    return build_report_data(
        [section],
        spec_hashes={"service-blend": spec_hash(BLEND_TOML)},
        generated_on=dt.date(2026, 11, 28),
        title="Learning program ROI — blended example",
        platform=x["platform"],
    )
