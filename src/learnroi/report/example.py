"""A hand-made report (one randomized sales program, one onboarding program that is not identified).

Used by the tests, the docs and anyone building a view before the pipeline runs. The ROI figures come
from ``learnroi.roi.compute_roi`` on hand-made effects, ledger and participants' time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from learnroi.attribution.result import Diagnostic, EffectResult, Term
from learnroi.core.program import parse_spec, spec_hash
from learnroi.report.build import build_program_section, build_report_data
from learnroi.report.data import ReportData
from learnroi.roi import EffectInput, compute_roi, forecast_roi

SALES_TOML = """
[program]
id = "sales-skills"
name = "Consultative selling"
audience = "Field sales reps"
design = "randomized"
primary_kpi = "revenue"
horizon_months = 12
evaluation_window_months = 6

[[kpis]]
business_kpi = "revenue"
learning_kpi = "discovery_skill_score"
unit = "USD per rep-month"
path = "sales"
rule = "revenue_margin"
value_per_unit = "contribution_margin"
per = "person_month"

[[kpis]]
business_kpi = "deal_size"
unit = "USD"
path = "sales"
monetized = false

[assumptions]
contribution_margin = { value = 0.32, low = 0.25, high = 0.40, unit = "share", source = "Finance FY26 P&L" }
reach = { value = 412, low = 380, high = 450, unit = "people", source = "HRIS sales headcount" }
adoption = { value = 0.85, low = 0.70, high = 0.95, unit = "share", source = "LMS completion, pilot" }
decay_half_life_months = { value = 9, low = 6, high = 18, unit = "months", source = "Arthur et al. 1998 skill decay" }
discount_rate = { value = 0.08, low = 0.05, high = 0.12, unit = "per year", source = "Treasury WACC" }

[[costs]]
category = "design_development"
amount = 60000
prorate_over_users = 1000
description = "Course design, shared over expected users"

[[costs]]
category = "delivery"
amount = 45000
description = "Virtual workshops"

[[costs]]
category = "platform"
amount = 12000
description = "LMS licences"

[[intangibles]]
name = "Customer satisfaction"
evidence = "NPS up 4 points in trained territories (not monetized)"

[[hypotheses]]
id = "H1"
kpi = "revenue"
assumed_effect = 0.05
rationale = "Better discovery raises deal size"
owner = "VP Sales"
status = "piloting"
"""

ONBOARDING_TOML = """
[program]
id = "onboarding"
name = "New-hire onboarding"
audience = "Operations new hires"
design = "observational"
primary_kpi = "weeks_to_productivity"
horizon_months = 12
evaluation_window_months = 6

[[kpis]]
business_kpi = "weeks_to_productivity"
unit = "weeks"
direction = "decrease"
path = "ramp"
rule = "weeks_to_productivity"
value_per_unit = "monthly_cost_per_hire"
per = "person"

[assumptions]
monthly_cost_per_hire = { value = 10000, low = 8000, high = 12000, unit = "USD per month", source = "HRIS loaded salary" }
reach = { value = 180, low = 150, high = 220, unit = "people", source = "Hiring plan FY26" }

[[costs]]
category = "delivery"
amount = 90000
description = "Onboarding academy"
"""


def _participant_time(n: int, hours: float) -> pd.DataFrame:
    rng = np.random.default_rng(412)
    return pd.DataFrame(
        {
            "employee_id": [f"E{i:06d}" for i in range(n)],
            "hours": np.full(n, hours),
            "hourly_rate": np.round(rng.uniform(38.0, 62.0, n), 2),
        }
    )


def example_inputs() -> dict[str, Any]:
    """The raw inputs of the example: specs, ROI results (from ``learnroi.roi``), effects and KPI tables."""
    sales = parse_spec(SALES_TOML, "sales.toml")
    onb = parse_spec(ONBOARDING_TOML, "onboarding.toml")
    ledger = pd.DataFrame(
        {
            "program_id": ["sales-skills", "onboarding"],
            "category": ["facilitators", "facilitators"],
            "amount": [25000.0, 18000.0],
        }
    )
    sales_effect = EffectResult(
        method="ancova_cuped",
        design="randomized",
        estimand="ITT",
        terms=(Term("revenue", 350.0, 100.0, 412),),
        n=412,
        diagnostics=(
            Diagnostic("srm", 0.61, 0.001, True, "206 vs 206 assigned; p = 0.61"),
            Diagnostic("balance", 0.04, 0.1, True, "max |SMD| 0.04"),
        ),
        contrasts=(Term("naive post - pre", 910.0, 95.0, 412),),
        extra={
            "kpi": "revenue",
            "balance": [
                {"covariate": "tenure_years", "smd_before": 0.03, "smd_after": 0.01},
                {"covariate": "baseline_revenue", "smd_before": 0.04, "smd_after": 0.02},
                {"covariate": "region_west", "smd_before": -0.02, "smd_after": -0.01},
            ],
            "event_study": [
                {"event_time": t, "estimate": e, "conf_low": e - 160.0, "conf_high": e + 160.0}
                for t, e in zip(range(-3, 7), [-20, 15, 0, 120, 260, 330, 360, 380, 370, 390], strict=True)
            ],
        },
    )
    time_frame = _participant_time(412, 2.5)
    sales_roi = compute_roi(
        sales,
        EffectInput.from_effect_result(sales_effect),
        ledger=ledger,
        participant_time=time_frame,
        draws=20_000,
        seed=7,
    )
    sales_forecast = forecast_roi(
        sales,
        "H1",
        baseline=9540.0,
        kpi_sd=2500.0,
        rho=0.5,
        n_available=412,
        ledger=ledger,
        participant_time=time_frame,
        draws=20_000,
        seed=7,
    )
    onb_effect = EffectResult(
        method="did",
        design="observational",
        estimand="ATT",
        terms=(Term("weeks_to_productivity", float("nan"), float("nan"), 180),),
        n=180,
        diagnostics=(Diagnostic("balance", 0.42, 0.1, False, "role mix differs"),),
        contrasts=(Term("naive before - after", -3.1, 0.4, 180),),
        identified=False,
        reasons=(
            "No comparison group: every new hire since 2025-06 took the academy.",
            "Hire cohorts before the program differ in role mix (SMD 0.42).",
        ),
        extra={
            "kpi": "weeks_to_productivity",
            "fix": "Roll the academy out by department waves (`learnroi design`) so that later waves are "
            "the comparison, with 3 months of baseline.",
        },
    )
    onb_roi = compute_roi(
        onb, EffectInput.from_effect_result(onb_effect), ledger=ledger, draws=20_000, seed=7
    )
    forecast = EffectInput(
        kpi="weeks_to_productivity",
        estimate=-1.5,
        std_error=0.5,
        identified=False,
        reasons=("a forecast from an assumed effect, not a measured one",),
        source="forecast",
    )
    onb_alt = compute_roi(onb, forecast, ledger=ledger, basis="forecast", draws=20_000, seed=7)
    return {
        "sales": sales,
        "onboarding": onb,
        "ledger": ledger,
        "participant_time": time_frame,
        "forecast": forecast,
        "sales_effect": sales_effect,
        "sales_roi": sales_roi,
        "sales_forecast": sales_forecast,
        "onb_effect": onb_effect,
        "onb_roi": onb_roi,
        "onb_alt": onb_alt,
    }


def example_report_data(*, with_truth: bool = True, small_cells: bool = True) -> ReportData:
    """Two programs: sales (randomized, identified) and onboarding (not identified, forecast ROI beside it)."""
    x = example_inputs()
    funnel = [
        {"stage": "enrolled", "n": 412},
        {"stage": "started", "n": 389},
        {"stage": "completed", "n": 351},
        {"stage": "assessed", "n": 340},
        {"stage": "applied on the job", "n": 3 if small_cells else 260},
    ]
    competency = [
        {"group": "West", "pre_mean": 61.0, "post_mean": 74.5, "gain": 13.5, "n": 150},
        {"group": "East", "pre_mean": 59.0, "post_mean": 71.0, "gain": 12.0, "n": 187},
        {
            "group": "Central",
            "pre_mean": 60.0,
            "post_mean": 70.0,
            "gain": 10.0,
            "n": 4 if small_cells else 40,
        },
    ]
    cohorts = [
        {"cohort": "2026-01", "n": 140, "mean": 12.1},
        {"cohort": "2026-02", "n": 3 if small_cells else 30, "mean": 9.0},
        {"cohort": "2026-03", "n": 60, "mean": 11.0},
        {"cohort": "2026-04", "n": 209, "mean": 12.9},
    ]
    sales_sec = build_program_section(
        x["sales"],
        roi=x["sales_roi"],
        effects={"revenue": x["sales_effect"]},
        funnel=funnel,
        competency=competency,
        cohorts=cohorts,
        kpis=[
            {"kpi": "revenue", "arm": "treatment", "n": 206, "mean": 10450.0},
            {"kpi": "revenue", "arm": "control", "n": 206, "mean": 10100.0},
        ],
        template={"revenue": {"baseline_x": 9540.0, "post_y": 10450.0}},
        truth={"roi_pct": 75.0, "att": 330.0, "benefit": 410000.0, "cost": 236000.0} if with_truth else None,
        forecast=[x["sales_forecast"]],
    )
    onb_sec = build_program_section(
        x["onboarding"],
        roi=x["onb_roi"],
        alt_roi=x["onb_alt"],
        effects={"weeks_to_productivity": x["onb_effect"]},
        funnel=[{"stage": "enrolled", "n": 180}, {"stage": "completed", "n": 97}],
        template={"weeks_to_productivity": {"baseline_x": 12.0, "post_y": 8.9}},
    )
    return build_report_data(
        [sales_sec, onb_sec],
        spec_hashes={"sales-skills": spec_hash(SALES_TOML), "onboarding": spec_hash(ONBOARDING_TOML)},
        ingest_batches=[
            {"batch_id": 1, "kind": "hris", "file": "hris/employees.csv", "rows_loaded": 5000},
            {"batch_id": 2, "kind": "lms", "file": "lms/events.csv", "rows_loaded": 81234},
        ],
        generated_on=dt.date(2026, 11, 28),
        title="Learning program ROI — example",
    )
