"""Retention per arm from the store (learnroi.pipeline.retention) against hand computations and the simulator.

Hand store: ten people in two arms, exits and censoring chosen so the Kaplan-Meier values are worked out
below by hand (product-limit, Greenwood's formula); one person not in the HRIS and one who left before
assignment are dropped. Recovery: the simulated ``service-blend`` pilot over R = 200 seeded companies
(validation-targets.md §5, whole-pipeline R >= 200): per arm the Kaplan-Meier exit difference's 95% interval
covers the truth's ``exit_12m`` in 0.95 +/- 2.576 sqrt(0.95 x 0.05 / 200) = [91.0 %, 99.0 %] of companies,
and the bias is within max(0.1 mean SE, 3 MC SE).

Would catch: time measured from launch instead of assignment or in days/30 instead of calendar months
(the hand times), an exit on the last day before the anniversary left out, censored stayers counted as
stayers to the horizon (hand KM exit share 0.7 vs naive 0.6 in control), the exit scale's sign or interval
flipped (hand store); a miscalibrated standard error (recovery: half the Greenwood SE covers about 68 %).
The planted retention effects (1 to 4 points against an SE near 11 points with ~37 agents per arm) are too
small for the recovery test to tell a wrong horizon or sign apart: the hand store checks those.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from learnroi.attribution.survival import cox_hazard_ratio
from learnroi.core.program import ProgramSpec, parse_spec
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.pipeline.retention import (
    analyze_frame,
    analyze_retention,
    calendar_months,
    data_end,
    retention_frame,
)
from learnroi.report import build_program_section, build_report_data
from learnroi.report.example_blend import example_blend_inputs
from learnroi.report.html import render_html
from learnroi.report.view_blend import retention_rows
from learnroi.simulate import simulate_tables
from learnroi.store import Store

SPEC = """
[program]
id = "ret-pilot"
name = "Retention pilot"
audience = "support"
design = "{design}"
primary_kpi = "escalations"
start = 2024-01-01
horizon_months = 12

[[kpis]]
business_kpi = "escalations"
unit = "per month"
direction = "decrease"
path = "escalations"
monetized = false
{extra}
"""
RETENTION_LINK = """
[[kpis]]
business_kpi = "exits"
unit = "leavers"
direction = "decrease"
path = "retention"
monetized = true
rule = "retention"
value_per_unit = "replacement_cost"

[assumptions]
replacement_cost = { value = 20000, unit = "USD", source = "HR" }
"""

# (employee, arm, assigned, exit); time = calendar months from assignment to the day after the exit
PEOPLE = [
    ("c1", "control", "2024-01-01", "2024-03-31"),  # t = 3, exit
    ("c2", "control", "2024-01-01", "2024-06-30"),  # t = 6, exit
    ("c3", "control", "2024-01-01", None),  # followed to the data end: 12 (cut at the horizon)
    ("c4", "control", "2024-01-01", "2024-09-30"),  # t = 9, exit
    ("c5", "control", "2024-07-01", None),  # assigned later: censored at 6 months (data end 2024-12-31)
    ("t1", "training", "2024-01-01", "2024-01-15"),  # t = 15/31, exit
    ("t2", "training", "2024-01-01", None),  # 12, censored at the horizon
    ("t3", "training", "2024-01-01", None),  # 12
    ("t4", "training", "2024-01-01", "2024-12-31"),  # t = 12 exactly: left before the anniversary
    ("t5", "training", "2024-01-01", "2024-05-15"),  # t = 4 + 15/31, exit
    ("gone", "training", "2024-01-01", "2023-11-30"),  # left before assignment: dropped
]
NOT_IN_HRIS = "ghost"

# Kaplan-Meier by hand. control: at-risk 5,4,2 at t = 3, 6 (c5 censored at 6 is still at risk), 9:
# S(12) = 4/5 x 3/4 x 1/2 = 0.3; Greenwood var = S^2 (1/(5x4) + 1/(4x3) + 1/(2x1)) = 0.09 x 0.63333.
# training: at-risk 5,4,3 at t = 0.48, 4.48, 12: S(12) = 4/5 x 3/4 x 2/3 = 0.4; var = 0.16 x (1/20 + 1/12 + 1/6).
KM = {"control": (0.3, 0.09 * (1 / 20 + 1 / 12 + 1 / 2)), "training": (0.4, 0.16 * (1 / 20 + 1 / 12 + 1 / 6))}
HAND_TIME = {"c1": 3, "c2": 6, "c3": 12, "c4": 9, "c5": 6, "t1": 15 / 31, "t2": 12, "t3": 12, "t4": 12,
             "t5": 4 + 15 / 31}  # fmt: skip
HAND_EVENT = {"c1": 1, "c2": 1, "c3": 0, "c4": 1, "c5": 0, "t1": 1, "t2": 0, "t3": 0, "t4": 1, "t5": 1}


def _date(s: str | None) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(s)


def _tables() -> dict[str, pa.Table]:
    ids = [p[0] for p in PEOPLE]
    employees = pa.table(
        {
            "employee_id": ids,
            "role": ["support"] * len(ids),
            "hire_date": [dt.date(2023, 1, 1)] * len(ids),
            "exit_date": pa.array([_date(p[3]) for p in PEOPLE], pa.date32()),
        }
    )
    assignments = pa.table(
        {
            "program_id": ["ret-pilot"] * (len(ids) + 1),
            "employee_id": [*ids, NOT_IN_HRIS],
            "arm": [p[1] for p in PEOPLE] + ["training"],
            "assigned_date": pa.array([_date(p[2]) for p in PEOPLE] + [dt.date(2024, 1, 1)], pa.date32()),
        }
    )
    return {"hris/employees.csv": employees, "design/assignments.csv": assignments}


@pytest.fixture
def store() -> Iterator[Store]:
    with store_from_tables(_tables()) as s:
        yield s


def _spec(design: str = "randomized", extra: str = "") -> ProgramSpec:
    return parse_spec(SPEC.format(design=design, extra=extra))


def test_calendar_months_by_hand() -> None:
    start = ["2024-06-01", "2024-06-01", "2024-01-31", "2024-01-01", "2024-03-15"]
    end = ["2025-06-01", "2024-06-16", "2024-02-29", "2024-01-01", "2024-04-30"]
    want = [12.0, 15 / 30, 1.0, 0.0, 1 + 15 / 30]  # Mar 15 + 1 month = Apr 15; Apr 15 -> 30 is 15 of 30 days
    np.testing.assert_allclose(calendar_months(start, end), want, rtol=0, atol=1e-12)


def test_hand_store_kaplan_meier(store: Store) -> None:
    assert data_end(store) == dt.date(2024, 12, 31)  # the latest HRIS date's month end
    res = analyze_retention(store, _spec(), months=12)
    assert res is not None
    assert res.identified
    people = store.con.execute(
        "SELECT a.employee_id, a.arm, a.assigned_date, e.exit_date, e.employee_id IS NOT NULL AS in_hris "
        "FROM assignments a LEFT JOIN employees e USING (employee_id)"
    ).df()
    frame, notes = retention_frame(people, data_end=dt.date(2024, 12, 31), months=12)
    got = frame.set_index("employee_id")
    assert sorted(got.index) == sorted(HAND_TIME)
    np.testing.assert_allclose(got.loc[list(HAND_TIME), "time"], list(HAND_TIME.values()), atol=1e-12)
    assert got.loc[list(HAND_EVENT), "event"].tolist() == list(HAND_EVENT.values())
    assert any("not in the HRIS" in n for n in notes)
    assert any("before their assignment" in n for n in notes)

    t = res.tidy().set_index("arm")
    assert t.index.tolist() == ["control", "training"]
    for arm, (s, var) in KM.items():
        assert t.loc[arm, "exit_share"] == pytest.approx(1 - s, abs=1e-12)
        half = 1.959963984540054 * math.sqrt(var)
        assert t.loc[arm, "exit_conf_low"] == pytest.approx(1 - min(1.0, s + half), abs=1e-9)
    assert t.loc["control", "censored_before_horizon"] == 1
    assert t.loc["training", "exits"] == 3
    se = math.sqrt(KM["control"][1] + KM["training"][1])
    row = t.loc["training"]
    assert row["difference"] == pytest.approx(0.6 - 0.7, abs=1e-12)  # exit share training - control
    assert row["std_error"] == pytest.approx(se, rel=1e-9)
    assert row["conf_low"] == pytest.approx(-0.1 - 1.959963984540054 * se, rel=1e-9)
    # the hazard ratio is the Cox fit on the hand times (wiring: times, events and arms reach it intact)
    ids = list(HAND_TIME)
    cox = cox_hazard_ratio(
        [HAND_TIME[i] for i in ids], [HAND_EVENT[i] for i in ids],
        ["control" if i.startswith("c") else "training" for i in ids], reference="control",
    )  # fmt: skip
    assert row["hazard_ratio"] == pytest.approx(cox.estimate, rel=1e-9)
    assert res.proportion is None  # c5 is censored before the horizon
    notes_text = " ".join(res.all_notes())
    assert "censored" in notes_text
    assert "proportional-hazards" in notes_text
    assert "not monetized" in notes_text
    d = res.to_dict()
    assert d["arms"][0]["difference"] is None
    assert d["data_end"] == "2024-12-31"


def test_as_of_and_proportion(store: Store) -> None:
    """With the data end a year later everyone is followed to the horizon: KM = the plain proportions."""
    res = analyze_retention(store, _spec(), months=12, as_of=dt.date(2025, 12, 31))
    assert res is not None
    assert res.proportion is not None
    t = res.tidy().set_index("arm")
    # control: c1, c2, c4 left within 12 months of 5; training: t1, t4, t5 of 5
    assert t.loc["control", "exit_share"] == pytest.approx(3 / 5)
    assert t.loc["training", "exit_share"] == pytest.approx(3 / 5)
    assert res.proportion.estimate == pytest.approx(t.loc["training", "difference"], abs=1e-12)
    six = analyze_retention(store, _spec(), months=6, as_of=dt.date(2025, 12, 31))
    assert six is not None
    assert six.tidy().set_index("arm").loc["control", "exit_share"] == pytest.approx(2 / 5)  # c1, c2


def test_not_randomized_and_monetized(store: Store) -> None:
    assert analyze_retention(store, _spec(design="observational")) is None
    res = analyze_retention(store, _spec(extra=RETENTION_LINK))
    assert res is not None
    assert res.monetized_by == "exits"
    assert any("computed like the other KPIs" in n for n in res.all_notes())


def _simulated_frame(seed: int) -> tuple[pd.DataFrame, dict[str, float]]:
    """The retention frame of ``service-blend`` straight from the simulated tables (no store: fast)."""
    c = simulate_tables(1000, seed, extras=False)
    emp = c.tables["hris/employees.csv"].select(["employee_id", "exit_date"]).to_pandas()
    asg = c.tables["design/assignments.csv"].to_pandas()
    people = asg[asg["program_id"] == "service-blend"].merge(emp, on="employee_id", how="left")
    frame, _ = retention_frame(people, data_end=dt.date(2025, 12, 31), months=12)
    truth = c.truth["programs"]["service-blend"]["arms"]
    return frame, {a: float(v["exit_12m"]) for a, v in truth.items()}


@pytest.mark.slow
def test_simulated_exit_difference_covers_the_truth() -> None:
    """R = 200 companies (seeds 1000-1199): coverage in [91.0 %, 99.0 %] and bias within the §5 rule."""
    r = 200
    hits: dict[str, list[bool]] = {}
    errs: dict[str, list[tuple[float, float]]] = {}
    for seed in range(1000, 1000 + r):
        frame, truth = _simulated_frame(seed)
        res = analyze_frame(frame, program="service-blend", months=12, end=dt.date(2025, 12, 31))
        for row in res.tidy().to_dict(orient="records"):
            if row["arm"] == "control":
                continue
            want = truth[row["arm"]]
            hits.setdefault(row["arm"], []).append(row["conf_low"] <= want <= row["conf_high"])
            errs.setdefault(row["arm"], []).append((row["difference"] - want, row["std_error"]))
    half = 2.576 * math.sqrt(0.95 * 0.05 / r)
    assert sorted(hits) == ["blended", "classroom", "digital"]
    for arm, h in hits.items():
        assert 0.95 - half <= np.mean(h) <= 0.95 + half, (arm, np.mean(h))
        e = np.array(errs[arm])
        mc_se = e[:, 0].std(ddof=1) / math.sqrt(r)
        assert abs(e[:, 0].mean()) <= max(0.1 * e[:, 1].mean(), 3 * mc_se), arm


def test_report_retention_block(store: Store) -> None:
    """The blend panel's retention table: hand KM numbers formatted, small arms suppressed, HTML rendered."""
    res = analyze_retention(store, _spec(), months=12)
    x = example_blend_inputs()
    shown = build_program_section(x["spec"], roi=x["roi"], retention=res, min_cell=3)
    assert shown.retention is not None
    assert shown.retention.months == 12
    rows = {r["arm"]: r["cells"] for r in retention_rows(shown)}
    assert list(rows) == ["control", "training"]
    assert rows["control"][2].startswith("70.0% (")  # 1 - S(12) = 1 - 0.3
    assert rows["control"][3] == "reference"
    assert rows["training"][3].startswith("-10.0 pts (")  # 0.6 - 0.7
    html = render_html(build_report_data([shown]))
    assert 'data-table="retention"' in html
    assert "leaving within 12 months of assignment" in html
    hidden = build_program_section(x["spec"], roi=x["roi"], retention=res.to_dict(), min_cell=10)
    assert hidden.retention is not None
    assert all(r["suppressed"] for r in retention_rows(hidden))  # 5 people per arm < 10
    assert all(r.get("exit_share") is None for r in hidden.retention.arms)
    plain = build_program_section(x["spec"], roi=x["roi"])
    assert plain.retention is None
    assert 'data-table="retention"' not in render_html(build_report_data([plain]))
