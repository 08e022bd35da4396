"""The simulated blended program ``service-blend`` (docs/dev/blended-contract.md §2, §4).

Would catch: a weakest module that is not the one the truth names (a module-check gain or drop-off that
another module beats); a roster that disagrees with the ``attended`` events (an attendance without a
booking, a no-show that was logged as attended, minutes that are not the session's); xAPI statements of the
new verbs that break the vendored xAPI schema or lose the session type; arm cost lines that do not add up to
the truth's per-arm costs by the contract's allocation rule; a spec that does not load; an unbalanced
stratified randomization; KPI files that are not the pilot's potential outcomes under the actual arm.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pandas as pd
import pytest

from learnroi.core.program import load_spec, parse_spec
from learnroi.simulate import CompanyTables, SimulationSummary, simulate_company, simulate_tables
from learnroi.simulate.blend import ARMS, simulate_blend
from learnroi.simulate.company import OUTPUTS
from learnroi.simulate.people import build_workforce

SCHEMA = Path(__file__).parents[1] / "data" / "xapi" / "edo-xrs-statement-1.0.2.schema.json"
SEED = 5


@pytest.fixture(scope="module")
def company() -> CompanyTables:
    return simulate_tables(employees=3000, seed=SEED)


def _frame(company: CompanyTables, name: str) -> pd.DataFrame:
    out: pd.DataFrame = company[name].to_pandas()
    return out


def _events(company: CompanyTables) -> pd.DataFrame:
    ev = _frame(company, "lms/events.csv")
    ev = ev[ev["program_id"] == "service-blend"].copy()
    ev["email"] = ev["learner_email"].str.strip().str.lower()
    return ev


def test_weakest_module_has_the_lowest_gain_and_the_highest_drop_off(company: CompanyTables) -> None:
    """Content effectiveness computed by hand from the events (contract §4): reach, drop-off, check gain."""
    ev = _events(company)
    truth = company.truth["programs"]["service-blend"]
    weakest = truth["weakest_module"]
    cat = _frame(company, "lms/catalog.csv")
    row = cat[(cat["program_id"] == "service-blend") & (cat["module_id"] == weakest)].iloc[0]
    assert row["course_id"] == "sb-core"
    assert row["modality"] == "digital"
    assert bool(row["required"])

    content = cat[(cat["program_id"] == "service-blend") & cat["module_id"].notna()]
    mods = ev[ev["module_id"].notna()]
    started = mods.groupby("module_id")["email"].nunique()
    done = mods[mods["event_type"] == "completed"].groupby("module_id")["email"].nunique()
    drop = 1 - done.reindex(started.index, fill_value=0) / started
    checks = mods[
        (mods["event_type"] == "attempted") & mods["assessment"].isin(["module_pre", "module_post"])
    ]
    share = checks.assign(s=checks["score"] / checks["max_score"])
    wide = share.pivot_table(index=["email", "module_id"], columns="assessment", values="s", aggfunc="first")
    wide = wide.dropna()
    gain = (wide["module_post"] - wide["module_pre"]).groupby("module_id").mean()
    assert (checks["max_score"] == 10).all()
    assert set(gain.index) == set(content.loc[content["module_id"].isin(gain.index), "module_id"])

    assert gain.idxmin() == weakest
    assert gain[weakest] < 0.05 < gain.drop(weakest).min()
    assert drop.idxmax() == weakest
    assert drop[weakest] > 0.3
    reach = started / started.max()
    # in every arm's pathway: reached by more learners than any arm's own module
    assert reach[weakest] > 0.8
    arm_modules = content.loc[content["course_id"] != "sb-core", "module_id"]
    assert reach[weakest] > reach.reindex(arm_modules).max()
    priority = reach * drop * (1 - gain.reindex(reach.index) / gain.max())
    assert priority.dropna().idxmax() == weakest
    # module checks come in pairs around the module: post only after the module is completed
    post = checks[checks["assessment"] == "module_post"]
    comp = mods[mods["event_type"] == "completed"].groupby(["email", "module_id"])["timestamp"].min()
    first_post = post.groupby(["email", "module_id"])["timestamp"].min()
    assert (first_post > comp.reindex(first_post.index)).all()


def test_roster_matches_the_attended_events(company: CompanyTables) -> None:
    roster = _frame(company, "lms/attendance.csv")
    ev = _events(company)
    assert not roster.duplicated(["session_id", "learner_email"]).any()
    assert set(roster["module_id"]) == {"sb-c-day1", "sb-c-day2"}
    assert roster["attended"].dtype == bool
    assert 0.02 < (~roster["attended"]).mean() < 0.3  # some no-shows
    came = roster[roster["attended"]]
    att = ev[ev["event_type"] == "attended"].copy()
    att["date"] = pd.to_datetime(att["timestamp"]).dt.date
    key = ["email", "module_id", "date"]
    left = came.assign(email=came["learner_email"], date=came["session_date"])[[*key, "minutes"]]
    both = left.merge(att[[*key, "duration_seconds"]], on=key, how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    assert np.allclose(both["minutes"] * 60, both["duration_seconds"])
    # a no-show has no attended event at that session
    miss = roster[~roster["attended"]].assign(
        email=lambda f: f["learner_email"], date=lambda f: f["session_date"]
    )
    assert miss[key].merge(att[key], on=key).empty
    # sessions are weekly: day 1 on Tuesdays, day 2 on Thursdays
    dow = pd.to_datetime(roster["session_date"]).dt.day_of_week
    assert (dow[roster["module_id"] == "sb-c-day1"] == 1).all()
    assert (dow[roster["module_id"] == "sb-c-day2"] == 3).all()
    # only the classroom arm books classroom sessions
    assign = _frame(company, "design/assignments.csv")
    hris = _frame(company, "hris/employees.csv").set_index("email")["employee_id"]
    arm = assign[assign["program_id"] == "service-blend"].set_index("employee_id")["arm"]
    assert set(arm.reindex(roster["learner_email"].map(hris))) == {"classroom"}


def test_social_and_arm_events_follow_the_arms(company: CompanyTables) -> None:
    ev = _events(company)
    assign = _frame(company, "design/assignments.csv")
    hris = _frame(company, "hris/employees.csv").set_index("email")["employee_id"]
    arm = assign[assign["program_id"] == "service-blend"].set_index("employee_id")["arm"]
    ev["arm"] = arm.reindex(ev["email"].map(hris)).to_numpy()
    assert "control" not in set(ev["arm"])
    by_type = ev.groupby("event_type")["arm"].agg(set)
    assert by_type["posted"] == {"blended"}
    assert by_type["coached"] == {"blended"}
    assert by_type["attended"] == {"classroom"}
    courses = ev.groupby("arm")["course_id"].agg(set)
    for name in ARMS[1:]:
        assert courses[name] == {"sb-core", f"sb-{name}"}
    cat = _frame(company, "lms/catalog.csv")
    cat = cat[cat["program_id"] == "service-blend"]
    assert cat["modality"].notna().all()
    assert set(cat["pathway_id"]) == {"sb-core", "digital", "blended", "classroom"}
    assert (cat["pathway_id"] == cat["course_id"].str.removeprefix("sb-").replace("core", "sb-core")).all()


def test_design_and_kpis_are_the_pilots_potential_outcomes(company: CompanyTables) -> None:
    w = build_workforce(np.random.default_rng([SEED, 1]), 3000)
    b, w2 = simulate_blend(np.random.default_rng([SEED, 30]), w)
    assert (
        company.truth["programs"]["service-blend"]["arms"]["blended"]["kpis"]
        == b.truth()["arms"]["blended"]["kpis"]
    )
    assign = _frame(company, "design/assignments.csv")
    a = assign[assign["program_id"] == "service-blend"]
    assert set(a["arm"]) == set(ARMS)
    counts = a.groupby("stratum")["arm"].value_counts().unstack(fill_value=0)
    assert (counts.max(axis=1) - counts.min(axis=1) <= 1).all()
    hris = _frame(company, "hris/employees.csv")
    assert set(hris.loc[hris["employee_id"].isin(a["employee_id"]), "role"]) == {"support"}
    kpis = _frame(company, "performance/kpis.csv")
    esc = kpis[kpis["kpi"] == "escalations"]
    assert len(esc) == int((~np.isnan(b.kpi["escalations"])).sum())
    r, m = np.nonzero(~np.isnan(b.kpi["escalations"]))
    assert np.array_equal(esc["value"].to_numpy(), b.kpi["escalations"][r, m])
    assert kpis.loc[kpis["kpi"] == "csat", "value"].between(1, 5).all()
    # the HRIS carries the pilot's exits (the retention effect)
    exits = pd.to_datetime(hris.set_index("employee_id")["exit_date"])
    mine = w2.exit_day[b.agents]
    want = pd.to_datetime(np.where(mine >= 0, mine, 0).astype("datetime64[D]")).where(mine >= 0)
    got = exits.reindex(w2.employee_id[b.agents])
    assert got.isna().to_numpy().tolist() == pd.isna(want).tolist()


def test_ledger_arm_lines_and_truth_money_follow_the_contract(company: CompanyTables) -> None:
    """Per-arm cost = arm lines + shared lines x n_a / sum n + participants' time (contract §4); benefit by
    roi-formulas.md with the arm's effect and N = n_a."""
    t = company.truth["programs"]["service-blend"]
    spec = parse_spec(company.specs["program-service-blend.toml"])
    ledger = _frame(company, "costs/ledger.csv")
    assert ledger.loc[ledger["program_id"] != "service-blend", "arm"].isna().all()
    sb = ledger[ledger["program_id"] == "service-blend"]
    assert set(sb["arm"].dropna()) == set(ARMS[1:])
    assert sb["modality"].notna().sum() > len(sb) / 2
    hris = _frame(company, "hris/employees.csv")
    hourly = (hris["loaded_salary"] / hris["standard_hours"].fillna(2080.0)).set_axis(hris["email"])
    ev = _events(company)
    ev["hours_cost"] = ev["duration_seconds"].fillna(0) / 3600 * ev["email"].map(hourly)
    assign = _frame(company, "design/assignments.csv")
    arm_of = assign[assign["program_id"] == "service-blend"].set_index("employee_id")["arm"]
    ev["arm"] = arm_of.reindex(ev["email"].map(hris.set_index("email")["employee_id"])).to_numpy()
    n = {a: int((arm_of == a).sum()) for a in ARMS[1:]}
    shared = float(sb.loc[sb["arm"].isna(), "amount"].sum())
    a_ = spec.assumptions
    months = np.arange(1, 13)
    d = np.where(months <= 6, 1.0, 0.5 ** ((months - 6) / a_["decay_half_life_months"].value))
    factor = float((d * (1 + a_["discount_rate"].value) ** (-months / 12)).sum())
    total = 0.0
    for a in ARMS[1:]:
        cost = float(sb.loc[sb["arm"] == a, "amount"].sum()) + shared * n[a] / sum(n.values())
        cost += float(ev.loc[ev["arm"] == a, "hours_cost"].sum())
        arm_t = t["arms"][a]
        assert arm_t["n"] == n[a]
        assert arm_t["cost"] == pytest.approx(cost, rel=1e-9)
        att = arm_t["kpis"]["escalations"]["att"]
        benefit = -att * a_["cost_per_escalation"].value * n[a] * factor
        assert arm_t["benefit"] == pytest.approx(benefit, rel=1e-12)
        assert arm_t["roi_pct"] == pytest.approx((benefit - cost) / cost * 100, rel=1e-12)
        total += cost
    assert t["cost"] == pytest.approx(total, rel=1e-9)
    assert a_["reach"].value == sum(n.values()) == t["reach"]
    # the planted ranking: blended pays best; classroom has a similar effect at a much higher cost
    arms: dict[str, Any] = t["arms"]
    assert arms["blended"]["roi_pct"] > arms["digital"]["roi_pct"] > arms["classroom"]["roi_pct"]
    assert arms["classroom"]["cost"] / n["classroom"] > 2.5 * arms["blended"]["cost"] / n["blended"]
    assert arms["digital"]["cost"] / n["digital"] < arms["blended"]["cost"] / n["blended"]
    esc = {a: arms[a]["kpis"]["escalations"]["att"] for a in ARMS[1:]}
    assert esc["blended"] < esc["classroom"] < esc["digital"] < 0
    assert all(arms[a]["exit_12m"] <= 0 for a in ARMS[1:])


def test_spec_loads_and_states_the_design(tmp_path: Path) -> None:
    s = simulate_company(tmp_path / "d", employees=600, seed=2, xapi=False)
    spec = load_spec(s.out / "program-service-blend.toml")
    assert spec.program.design == "randomized"
    assert spec.program.primary_kpi == "escalations"
    esc = spec.kpi("escalations")
    assert esc is not None
    assert esc.monetized
    assert esc.rule == "incidents_avoided"
    assert esc.direction == "decrease"
    csat = spec.kpi("csat")
    assert csat is not None
    assert not csat.monetized
    assert spec.pilot is not None
    assert spec.pilot.strata == ["department"]
    roster = pd.read_csv(s.out / "lms/attendance.csv")
    assert s.files["lms/attendance.csv"] == len(roster) > 0
    assert "service-blend" in s.truth["programs"]


@pytest.fixture(scope="module")
def xapi_company(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate_company(tmp_path_factory.mktemp("x") / "data", employees=1500, seed=4)


def test_xapi_of_the_new_verbs_validates(xapi_company: SimulationSummary) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    schema["properties"]["version"]["pattern"] = r"^1\.0\.\d+$"  # as tests/unit/test_simulate_xapi.py
    v = jsonschema.Draft4Validator(schema)
    frame = pd.read_csv(xapi_company.out / "lms" / "events.csv", dtype=str, keep_default_na=False)
    kind = frame.set_index("event_id")["event_type"]
    verb = "http://adlnet.gov/expapi/verbs/"
    want = {"posted": "commented", "coached": "attended", "attended": "attended"}
    session = {"coached": "coaching", "attended": "classroom"}
    seen: set[str] = set()
    with (xapi_company.out / "xapi" / "statements.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if "/service-blend/" not in line:
                continue
            s = json.loads(line)
            ext = s["context"]["extensions"]
            t = kind[ext["https://learnroi.dev/xapi/event_id"]]
            errors = list(v.iter_errors(s))
            assert not errors, (s["id"], [e.message for e in errors[:3]])
            if t in want:
                seen.add(t)
                assert s["verb"]["id"] == verb + want[t]
                assert ext.get("https://learnroi.dev/xapi/session-type") == session.get(t)
                assert s["result"]["duration"].startswith("PT")
            if ext.get("https://learnroi.dev/xapi/assessment", "").startswith("module_") and "score" in s.get(
                "result", {}
            ):
                sc = s["result"]["score"]
                assert sc["max"] == 10
                assert sc["scaled"] == pytest.approx(sc["raw"] / 10, abs=1e-4)
    assert seen == set(want)


def test_every_table_is_a_listed_output(company: CompanyTables) -> None:
    """A re-run removes stale files it may have written: every table and spec must be in OUTPUTS."""
    assert set(company.tables) | set(company.specs) <= set(OUTPUTS)
    assert {"lms/attendance.csv", "program-service-blend.toml"} <= set(OUTPUTS)
