"""The simulated company on disk: the layout of docs/reference/data-layout.md, determinism, specs, truth.

Would catch: a column renamed or reordered against the layout; a file that stops parsing; a seed that no
longer fixes the bytes; specs that do not load; truth ROI numbers that disagree with roi-formulas.md.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import EnvironmentProblem, UsageError
from learnroi.core.program import load_spec
from learnroi.simulate import SimulationSummary, simulate_company

# Columns exactly as docs/reference/data-layout.md lists them (in order).
LAYOUT = {
    "hris/employees.csv": "employee_id email full_name department team_id role location manager_id hire_date "
    "exit_date loaded_salary standard_hours",
    "design/assignments.csv": "program_id employee_id arm stratum cluster_id assigned_date",
    "design/waves.csv": "program_id unit_type unit_id wave start_date",
    "lms/catalog.csv": "program_id course_id module_id module_name modality required sequence pathway_id "
    "duration_minutes",
    "lms/events.csv": "event_id learner_email program_id course_id module_id event_type timestamp score "
    "max_score assessment attempt duration_seconds",
    "performance/kpis.csv": "employee_id period kpi value",
    "costs/ledger.csv": "program_id line_id date category description amount currency modality arm",
    "lms/attendance.csv": "session_id program_id course_id module_id session_date learner_email attended minutes",
    "surveys/estimates.csv": "program_id respondent_id respondent_role subject_id kpi improvement "
    "share_attributed confidence response_date",
}
EMPLOYEES, SEED = 600, 7


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate_company(tmp_path_factory.mktemp("co") / "data", employees=EMPLOYEES, seed=SEED)


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_files_and_columns_follow_the_layout(company: SimulationSummary) -> None:
    out = company.out
    for name, cols in LAYOUT.items():
        with (out / name).open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            assert next(reader) == cols.split(), name
            rows = sum(1 for _ in reader)
        assert rows == company.files[name] > 0, name
    assert (out / "xapi" / "statements.jsonl").exists()
    assert (out / "program-sales-skills.toml").exists()
    assert (out / "program-onboarding.toml").exists()
    truth = json.loads((out / "truth" / "truth.json").read_text(encoding="utf-8"))
    assert truth == company.truth
    assert json.loads(json.dumps(company.to_dict()))["files"] == company.files


def test_values_have_the_documented_types(company: SimulationSummary) -> None:
    out = company.out
    hris = pd.read_csv(out / "hris/employees.csv", dtype=str, keep_default_na=False)
    assert hris["employee_id"].is_unique
    assert hris["email"].str.fullmatch(r"[a-z0-9.]+@[a-z.-]+").all()
    assert hris["department"].nunique() >= 30
    assert (hris["manager_id"] == "").sum() == 1  # one person at the top
    assert set(hris["manager_id"]) - {""} <= set(hris["employee_id"])
    pd.to_datetime(hris["hire_date"], format="%Y-%m-%d")
    exits = hris.loc[hris["exit_date"] != "", "exit_date"]
    assert 0 < len(exits) < len(hris)
    assert (pd.to_datetime(exits) > pd.to_datetime(hris.loc[exits.index, "hire_date"])).all()
    ev = pd.read_csv(out / "lms/events.csv", dtype=str, keep_default_na=False)
    assert ev["event_id"].is_unique
    assert set(ev["event_type"]) == {
        *("enrolled", "launched", "completed", "attempted", "passed", "failed"),
        *("posted", "coached", "attended"),
    }
    ts = pd.to_datetime(ev["timestamp"], format="%Y-%m-%dT%H:%M:%S%z")
    assert str(ts.dt.tz) == "UTC"
    att = ev[ev["event_type"] == "attempted"]
    assert (att["score"] != "").all()
    assert (att["attempt"].astype(int) >= 1).all()
    assert set(att["assessment"]) <= {"pre", "post", "module_pre", "module_post", ""}
    assert (ev.loc[ev["event_type"] != "attempted", "score"] == "").all()
    lower = ev["learner_email"].str.strip().str.lower()
    exit_of = lower.map(hris.set_index("email")["exit_date"]).fillna("")
    left = exit_of != ""
    assert (ts[left].dt.date <= pd.to_datetime(exit_of[left]).dt.date).all(), "no learning after leaving"
    assert (lower != ev["learner_email"]).any(), "the LMS spells some emails differently from the HRIS"
    assert not set(lower) <= set(hris["email"]), "contractors are in the LMS but not in the HRIS"
    cat = pd.read_csv(out / "lms/catalog.csv")
    assert set(cat["modality"]) <= {"digital", "virtual", "classroom", "social", "on_the_job"}
    assert {"digital", "virtual", "classroom", "social"} <= set(cat["modality"])
    kpis = pd.read_csv(out / "performance/kpis.csv", dtype={"value": float})
    assert {
        "revenue",
        "deal_size",
        "win_rate",
        "deals",
        "errors",
        "throughput",
        "weeks_to_productivity",
        "escalations",
        "csat",
    } == set(kpis["kpi"])
    assert kpis["value"].isna().any()
    assert not kpis.duplicated(["employee_id", "period", "kpi"]).any()
    assert (pd.to_datetime(kpis["period"]).dt.day == 1).all()
    ledger = pd.read_csv(out / "costs/ledger.csv")
    from learnroi.core.options import CostCategory, choices

    assert set(ledger["category"]) <= set(choices(CostCategory))
    assert not ledger.duplicated(["program_id", "line_id"]).any()
    sv = pd.read_csv(out / "surveys/estimates.csv")
    assert set(sv["respondent_role"]) == {"participant", "manager"}
    assert sv["share_attributed"].between(0, 1).all()
    assert sv["confidence"].between(0, 1).all()


def test_same_seed_same_bytes_other_seed_other_bytes(company: SimulationSummary, tmp_path: Path) -> None:
    again = simulate_company(tmp_path / "again", employees=EMPLOYEES, seed=SEED)
    assert _digest(again.out) == _digest(company.out)
    other = simulate_company(tmp_path / "other", employees=EMPLOYEES, seed=SEED + 1, xapi=False)
    assert _digest(other.out)["hris/employees.csv"] != _digest(company.out)["hris/employees.csv"]
    assert "xapi/statements.jsonl" not in other.files


def test_specs_load_and_match_the_design(company: SimulationSummary) -> None:
    out = company.out
    sales = load_spec(out / "program-sales-skills.toml")
    onb = load_spec(out / "program-onboarding.toml")
    assert sales.program.design == "randomized"
    assert onb.program.design == "staggered"
    rev, wtp = sales.kpi("revenue"), onb.kpi("weeks_to_productivity")
    assert rev is not None
    assert rev.rule == "revenue_margin"
    assert rev.per == "person_month"
    assert rev.monetized
    assert wtp is not None
    assert wtp.direction == "decrease"
    assert wtp.per == "person"
    for name in ("deal_size", "win_rate"):
        k = sales.kpi(name)
        assert k is not None
        assert not k.monetized
        assert k.path == rev.path
    assign = pd.read_csv(out / "design/assignments.csv")
    assert sales.assumptions["reach"].value == (assign["arm"] == "treatment").sum()
    assert onb.assumptions["reach"].value == company.truth["programs"]["onboarding"]["reach"]
    assert onb.assumptions["monthly_cost_per_hire"].value == 10_000
    for spec in (sales, onb):
        for name in ("reach", "adoption", "decay_half_life_months", "discount_rate"):
            a = spec.assumptions[name]
            assert a.low is not None
            assert a.high is not None
            assert a.source
    # stratified 1:1 randomization: arms differ by at most one rep in every department
    assign = assign[assign["program_id"] == "sales-skills"]
    counts = assign.groupby("stratum")["arm"].value_counts().unstack(fill_value=0)
    assert (abs(counts["treatment"] - counts["control"]) <= 1).all()
    waves = pd.read_csv(out / "design/waves.csv")
    assert set(waves["wave"]) == {0, 1, 2, 3, 4}
    assert waves.loc[waves["wave"] == 0, "start_date"].isna().all()


def _recurring(gain: float, value: float, n: float, h_: int, w_: int, half: float, r: float) -> float:
    m = np.arange(1, h_ + 1)
    d = np.where(m <= w_, 1.0, 0.5 ** ((m - w_) / half))
    return float((gain * value * n * d * (1 + r) ** (-m / 12)).sum())


def test_truth_money_follows_roi_formulas(company: SimulationSummary) -> None:
    """Recompute benefit, cost and ROI from the specs, the ledger and the LMS, as roi-formulas.md says."""
    out = company.out
    t = company.truth["programs"]
    ledger = pd.read_csv(out / "costs/ledger.csv")
    hris = pd.read_csv(out / "hris/employees.csv")
    ev = pd.read_csv(out / "lms/events.csv")
    ev["email"] = ev["learner_email"].str.strip().str.lower()
    hourly = hris.set_index("email")["loaded_salary"] / hris.set_index("email")["standard_hours"].fillna(
        2080.0
    )
    sales = load_spec(out / "program-sales-skills.toml")
    onb = load_spec(out / "program-onboarding.toml")
    for pid, spec in (("sales-skills", sales), ("onboarding", onb)):
        e = ev[(ev["program_id"] == pid) & ev["email"].isin(hourly.index)]
        time_cost = float((e["duration_seconds"].fillna(0) / 3600 * e["email"].map(hourly)).sum())
        cost = float(ledger.loc[ledger["program_id"] == pid, "amount"].sum()) + time_cost
        assert t[pid]["cost"] == pytest.approx(cost, rel=1e-9)
        a = spec.assumptions
        n = a["reach"].value * a["adoption"].value
        if pid == "sales-skills":
            att = t[pid]["kpis"]["revenue"]["att"]
            benefit = _recurring(
                att,
                a["contribution_margin"].value,
                n,
                spec.program.horizon_months,
                spec.program.evaluation_window_months,
                a["decay_half_life_months"].value,
                a["discount_rate"].value,
            )
        else:
            att = t[pid]["kpis"]["weeks_to_productivity"]["att"]
            benefit = -att * a["monthly_cost_per_hire"].value * 12 / 52 * n
        assert t[pid]["benefit"] == pytest.approx(benefit, rel=1e-12)
        assert t[pid]["roi_pct"] == pytest.approx((benefit - cost) / cost * 100, rel=1e-12)
    assert t["sales-skills"]["estimand"] == "ITT"
    assert t["onboarding"]["estimand"] == "ATT"
    assert (
        t["onboarding"]["kpis"]["weeks_to_productivity"]["att"]
        < 0
        < t["sales-skills"]["kpis"]["revenue"]["att"]
    )


def test_summary_and_bad_arguments(company: SimulationSummary, tmp_path: Path) -> None:
    assert "sales-skills" in company.summary()
    assert company.tidy()["rows"].sum() == sum(company.files.values())
    with pytest.raises(UsageError, match="between"):
        simulate_company(tmp_path / "x", employees=10)
    (tmp_path / "file").write_text("x")
    with pytest.raises(EnvironmentProblem, match="cannot write"):  # a folder under a file: even root fails
        simulate_company(tmp_path / "file" / "sub", employees=EMPLOYEES)
    with pytest.raises(UsageError, match="not a folder"):
        simulate_company(tmp_path / "file", employees=EMPLOYEES)
