"""The simulator's extra files: surveys (Levels 1 and 3, invitations, observations), compliance incidents
and the learning platform's cost and admin time.

Would catch: non-response that is random (or missing), survey scores unrelated to the learning gain,
application ratings not made by the HRIS manager, a compliance program left without surveys (or surveyed
from other completers than its written LMS events show, or with scores unrelated to its quiz results),
other programs' survey rows that change when the compliance surveys are added, notes that break the plain CSV writer or carry names,
an incident drop of the wrong size or at the wrong month, a compliance spec that does not validate or a
truth ROI that disagrees with docs/dev/roi-formulas.md, admin hours whose before/after saving (as
learnroi.roi.platform reads it) misses the planted one, and any output that changes between runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from learnroi.attribution.its import its
from learnroi.core.program import parse_spec
from learnroi.roi.platform import admin_saving, platform_roi
from learnroi.simulate import simulate_company, simulate_tables
from learnroi.simulate import surveys as survey_module
from learnroi.simulate._io import write_csv
from learnroi.simulate.compliance import LEDGER_KEY, simulate_compliance
from learnroi.simulate.lms import background_chunks
from learnroi.simulate.platform import TASKS, simulate_platform
from learnroi.simulate.surveys import survey_tables
from learnroi.simulate.tables import CompanyTables, build

SEED = 11


@pytest.fixture(scope="module")
def company() -> CompanyTables:
    return simulate_tables(employees=1000, seed=SEED)


@pytest.fixture(scope="module")
def surveys(company: CompanyTables) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    files, truth = survey_tables(company.tables, SEED)
    return {k: v.to_pandas() for k, v in files.items()}, truth


def _gain_by_hand(company: CompanyTables) -> pd.DataFrame:
    """Per program and employee: first post attempt - pre score, from the raw LMS events."""
    ev = company["lms/events.csv"].to_pandas()
    hris = company["hris/employees.csv"].to_pandas()
    ev["employee_id"] = ev.learner_email.str.strip().str.lower().map(hris.set_index("email").employee_id)
    att = ev[ev.event_type.eq("attempted") & ev.employee_id.notna()].sort_values("timestamp")
    pre = att[att.assessment.eq("pre")].groupby(["program_id", "employee_id"]).score.first()
    post = (
        att[att.assessment.eq("post") & att.attempt.eq(1)]
        .groupby(["program_id", "employee_id"])
        .score.first()
    )
    return (post - pre).dropna().rename("gain").reset_index()


def test_surveys_cover_every_assessed_program(
    company: CompanyTables, surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]]
) -> None:
    files, truth = surveys
    ev = company["lms/events.csv"].to_pandas()
    assessed = set(ev.program_id[ev.assessment.isin(["pre", "post"])])
    assert {"sales-skills", "onboarding"} <= assessed
    surveyed = assessed | {"compliance"}  # quiz-assessed: its events are not in simulate_tables
    assert set(truth) == surveyed
    for name in ("surveys/reaction.csv", "surveys/application.csv", "surveys/invitations.csv"):
        assert set(files[name].program_id) == surveyed, name


def test_response_rates_and_informative_non_response(
    surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]],
) -> None:
    files, truth = surveys
    inv, rea, app = (
        files["surveys/invitations.csv"],
        files["surveys/reaction.csv"],
        files["surveys/application.csv"],
    )
    pooled = (len(rea) + len(app)) / len(inv)  # every program, both surveys: n > 1,000
    assert 0.55 <= pooled <= 0.70, pooled
    for survey, answers in (("reaction", rea), ("application", app)):
        for prog, t in truth.items():
            n_inv = int((inv.survey.eq(survey) & inv.program_id.eq(prog)).sum())
            n_ans = int(answers.program_id.eq(prog).sum())
            s = t[survey]
            assert (s["invited"], s["responded"]) == (n_inv, n_ans)
            p = s["expected_response_rate"]
            assert 0.55 <= p <= 0.70, (prog, survey, p)
            assert abs(n_ans / n_inv - p) < 4 * np.sqrt(p * (1 - p) / n_inv), (prog, survey)
    for prog, t in truth.items():
        # respondents' mean (by hand from the file) overstates the mean of everyone invited
        by_hand = rea.satisfaction[rea.program_id.eq(prog)].mean()
        assert by_hand == pytest.approx(t["reaction"]["mean_satisfaction_respondents"])
        assert by_hand > t["reaction"]["mean_satisfaction_invited"], prog
        assert (
            app.behaviour_score[app.program_id.eq(prog)].mean() > t["application"]["mean_behaviour_invited"]
        )
        assert t["application"]["mean_behaviour_change"] > 0
    assert rea[["satisfaction", "relevance", "intent_to_apply"]].stack().between(1, 5).all()


def test_scores_correlate_with_the_learning_gain(
    company: CompanyTables, surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]]
) -> None:
    files, _ = surveys
    gain = _gain_by_hand(company)
    pre_post = {k: v[v.program_id.ne("compliance")] for k, v in files.items()}  # compliance: quizzes below
    app = pre_post["surveys/application.csv"].merge(
        gain, left_on=["program_id", "subject_id"], right_on=["program_id", "employee_id"]
    )
    rea = pre_post["surveys/reaction.csv"].merge(
        gain, left_on=["program_id", "respondent_id"], right_on=["program_id", "employee_id"]
    )
    assert len(app) == len(pre_post["surveys/application.csv"])  # every rated subject has a gain
    for prog, g in app.groupby("program_id"):
        r = float(np.corrcoef(g.behaviour_score, g.gain)[0, 1])
        assert r > 0.3, (prog, r)  # ~0.55 planted; > 0.3 is far beyond chance at n > 100
    r_all = float(np.corrcoef(rea.satisfaction, rea.gain)[0, 1])
    assert r_all > 2.5 / np.sqrt(len(rea)), r_all  # positive at 2.5 standard errors (~0.4 planted)


def test_application_rated_by_the_manager_after_completion(
    company: CompanyTables, surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]]
) -> None:
    files, _ = surveys
    app, inv = files["surveys/application.csv"], files["surveys/invitations.csv"]
    manager = company["hris/employees.csv"].to_pandas().set_index("employee_id").manager_id
    assert (app.rater_id == app.subject_id.map(manager)).all()
    assert set(app.rater_role) == {"manager"}
    assert set(app.days_after) == {30, 60, 90}
    key = ["program_id", "employee_id", "days_after"]
    both = app.rename(columns={"subject_id": "employee_id"}).merge(inv[inv.survey.eq("application")], on=key)
    assert len(both) == len(app)
    assert (both.response_date >= both.invited_date).all()
    assert (pd.to_datetime(both.response_date) <= pd.Timestamp("2025-12-31")).all()
    assert not inv.duplicated(["program_id", "survey", "employee_id", "days_after"]).any()
    assert inv.days_after[inv.survey.eq("reaction")].isna().all()


def test_observations(
    company: CompanyTables, surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]]
) -> None:
    obs = surveys[0]["surveys/observations.csv"]
    assert obs.evidence_id.is_unique
    for prog, g in obs.groupby("program_id"):
        share = g.stance.value_counts(normalize=True)
        assert 24 <= len(g) <= 40, prog
        assert share.get("supports", 0) > 0.5, prog
        assert share.get("contradicts", 0) > 0, prog
    names = {w for n in company["hris/employees.csv"].column("full_name").to_pylist() for w in n.split()}
    words = {w.strip(".:;") for note in obs.note for w in note.split()}
    assert not names & words, names & words
    assert set(obs.author_role) <= {"manager", "participant", "sponsor", "analyst", "customer"}
    assert obs.author_id.isna().equals(obs.author_role.eq("customer"))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same company written by ``simulate_company``: its LMS events include the compliance volume."""
    out = tmp_path_factory.mktemp("sim-extras")
    simulate_company(out, employees=1000, seed=SEED, xapi=False)
    return out


def _quiz_by_hand(out: Path) -> pd.DataFrame:
    """Per employee, from the written compliance events: mean first-attempt quiz score and the day both
    quizzes were first passed (completers only)."""
    ev = pd.read_csv(out / "lms/events.csv", dtype={"assessment": str})
    ev = ev[ev.program_id.eq("compliance")]
    hris = pd.read_csv(out / "hris/employees.csv")
    ev = ev.assign(
        employee_id=ev.learner_email.str.strip().str.lower().map(hris.set_index("email").employee_id),
        ts=pd.to_datetime(ev.timestamp, utc=True),
    ).dropna(subset=["employee_id"])  # contractors have no HRIS row
    att = ev[ev.event_type.eq("attempted") & ev.score.notna()].sort_values("ts", kind="stable")
    quizzes = set(att.module_id)
    first = att.groupby(["employee_id", "module_id"]).score.first().groupby("employee_id").mean()
    passed = ev[ev.event_type.eq("passed") & ev.module_id.isin(quizzes)]
    first_pass = passed.groupby(["employee_id", "module_id"]).ts.min().unstack()
    done = first_pass.dropna().max(axis=1).dt.strftime("%Y-%m-%d")  # every quiz passed
    return pd.DataFrame({"quiz_score": first.reindex(done.index), "done": done})


def test_compliance_surveys_follow_the_written_quiz_results(written: Path) -> None:
    quiz = _quiz_by_hand(written)
    assert len(quiz) > 500
    inv = pd.read_csv(written / "surveys/invitations.csv")
    inv = inv[inv.program_id.eq("compliance")]
    react_inv = inv[inv.survey.eq("reaction")].set_index("employee_id").invited_date
    assert react_inv.sort_index().to_dict() == quiz.done.sort_index().to_dict()  # invited on completion
    app_inv = inv[inv.survey.eq("application")]
    assert set(app_inv.days_after) == {30, 60, 90}
    lag = pd.to_datetime(app_inv.invited_date) - pd.to_datetime(app_inv.employee_id.map(quiz.done))
    assert (lag.dt.days == app_inv.days_after).all()  # the manager is asked 30/60/90 days after
    rea = pd.read_csv(written / "surveys/reaction.csv")
    app = pd.read_csv(written / "surveys/application.csv")
    rea, app = rea[rea.program_id.eq("compliance")], app[app.program_id.eq("compliance")]
    for answers, who, col in ((rea, "respondent_id", "satisfaction"), (app, "subject_id", "behaviour_score")):
        rate = len(answers) / int(inv.survey.eq("application" if who == "subject_id" else "reaction").sum())
        assert 0.55 <= rate <= 0.70, (col, rate)
        r = float(np.corrcoef(answers[col], answers[who].map(quiz.quiz_score))[0, 1])
        assert r > 0.3, (col, r)  # ~0.5 planted on the invited; > 0.3 is far beyond chance at n > 500
    truth = json.loads((written / "truth/truth.json").read_text())["surveys"]["compliance"]
    assert truth["mean_quiz_score"] == pytest.approx(quiz.quiz_score.mean())
    assert truth["completers"] == len(quiz)
    # informative non-response: respondents (by hand from the file) are more satisfied than all invited
    assert rea.satisfaction.mean() > truth["reaction"]["mean_satisfaction_invited"] + 0.1
    assert app.behaviour_score.mean() > truth["application"]["mean_behaviour_invited"]


def test_adding_compliance_leaves_the_other_surveys_unchanged(
    company: CompanyTables,
    surveys: tuple[dict[str, pd.DataFrame], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(survey_module, "QUIZ_PROGRAMS", ())
    without, truth = survey_tables(company.tables, SEED)
    assert "compliance" not in truth
    for name, table in without.items():
        full = surveys[0][name]
        full = full[full.program_id.ne("compliance")].reset_index(drop=True)
        pd.testing.assert_frame_equal(table.to_pandas(), full, check_exact=True)


def _monthly(incidents: pa.Table) -> pd.Series:
    d = pd.to_datetime(incidents.column("date").to_pandas())
    return d.dt.to_period("M").value_counts().sort_index()


def test_compliance_incidents_drop_by_the_planted_amount() -> None:
    company = simulate_tables(employees=5000, seed=SEED)
    files, _, truth = simulate_compliance(company.tables, SEED)
    kpi = truth["kpis"]["incidents"]
    counts = _monthly(files["performance/incidents.csv"])
    assert str(counts.index[0]) == "2022-01"
    assert str(counts.index[-1]) == "2025-12"
    assert len(counts) == 48
    assert counts.astype(int).to_dict() == {pd.Period(m): v["y1"] for m, v in kpi["by_month"].items()}
    post = counts.index >= pd.Period("2024-04")
    # hand computation: extend the pre-period linear trend, compare the post months with it
    t = np.arange(len(counts), dtype=float)
    slope, icept = np.polyfit(t[~post], counts[~post].to_numpy(dtype=float), 1)
    gap = float((counts[post].to_numpy() - (icept + slope * t[post])).mean())
    resid = counts[~post].to_numpy() - (icept + slope * t[~post])
    se = float(resid.std(ddof=2)) * np.sqrt(
        1 / post.sum()
        + 1 / (~post).sum()
        + (t[post].mean() - t[~post].mean()) ** 2 / ((t[~post] - t[~post].mean()) ** 2).sum()
    )
    assert abs(gap - kpi["att"]) < 3 * se, (gap, kpi["att"], se)
    assert kpi["att"] == pytest.approx(-0.25 * kpi["expected_without_per_month"], rel=0.15)
    y0 = sum(v["y0"] for m, v in kpi["by_month"].items() if m >= "2024-04")
    assert -kpi["att"] * kpi["months_post"] == pytest.approx(y0 - counts[post].sum())


@pytest.mark.slow
def test_its_on_the_simulated_incidents_is_calibrated_over_seeds() -> None:
    """The chooser's interrupted time series (seasonal terms, AR(1) GLS, bootstrap-t) on the simulated
    incident register, over 40 seeded registers: mean error small against the SE and coverage near 95 %
    (40 replications: a loose binomial band, >= 85 %; one seed alone can sit 3 SE out, e.g. seed 11)."""
    company = simulate_tables(employees=5000, seed=1, extras=False)
    errors, ses, covered = [], [], []
    for seed in range(40):
        files, _, truth = simulate_compliance(company.tables, seed)
        att = truth["kpis"]["incidents"]["att"]
        counts = _monthly(files["performance/incidents.csv"])
        frame = pd.DataFrame({"period": counts.index.to_timestamp(), "value": counts.to_numpy(dtype=float)})
        res = its(frame, outcome="value", period="period", start="2024-04-01", seed=seed)
        assert res.extra["seasonal_harmonics"] == 2  # 27 months before the start: seasonality adjusted
        lo, hi = res.conf_int()
        errors.append(res.estimate - att)
        ses.append(res.std_error)
        covered.append(lo <= att <= hi)
    assert abs(float(np.mean(errors))) < 0.5 * float(np.mean(ses)), (np.mean(errors), np.mean(ses))
    assert np.mean(covered) >= 0.85, np.mean(covered)


def test_compliance_spec_cost_and_roi(company: CompanyTables) -> None:
    files, spec_text, truth = simulate_compliance(company.tables, SEED)
    spec = parse_spec(spec_text)
    link = spec.kpi("incidents")
    assert spec.program.design == "observational"
    assert spec.program.primary_kpi == "incidents"
    assert link is not None
    assert link.rule == "incidents_avoided"
    assert link.direction == "decrease"
    assert link.per == "person_month"
    assert link.value_per_unit in spec.assumptions
    assert spec.program.evaluation_window_months == truth["kpis"]["incidents"]["months_post"] == 21
    # the roll-out month is the first compliance month in the LMS (the spec starts the month after)
    _, book, w = build(1000, SEED)
    first = min(int(ev.ts.min()) for prog, ev in background_chunks(SEED, w) if prog == "compliance")
    assert str(np.datetime64(first, "s"))[:7] == truth["roll_out"] == "2024-03"
    assert str(spec.program.start) == "2024-04-01"
    # participants' time = what simulate_company's event book adds up for the compliance events
    for prog, ev in background_chunks(SEED, w):
        book.table(prog, ev)
    hours = book.seconds["compliance"] / 3600.0
    assert truth["cost_breakdown"]["participant_time"] == pytest.approx(
        float((hours * w.hourly_cost()).sum())
    )
    ledger = company["costs/ledger.csv"].to_pandas()
    extra = files[LEDGER_KEY]
    assert extra.column_names[-1] == "arm"
    assert extra.column("arm").null_count == extra.num_rows
    ours = ledger.line_id.isin(extra.column("line_id").to_pylist())
    assert ours.sum() == extra.num_rows  # simulate_tables appended them once; finance's lines are others
    ledger_total = ledger.amount[ledger.program_id.eq("compliance") & ~ours].sum() + sum(
        extra.column("amount").to_pylist()
    )
    assert truth["cost_breakdown"]["ledger"] == pytest.approx(ledger_total)
    # docs/dev/roi-formulas.md: 12 months (window 21 >= 12: no decay), reach 1, cost per incident 4,000
    gain, value, r = -truth["kpis"]["incidents"]["att"], spec.assumptions["cost_per_incident"].value, 0.08
    benefit = sum(gain * value * 1.0 * (1 + r) ** (-m / 12) for m in range(1, 13))
    cost = ledger_total + truth["cost_breakdown"]["participant_time"]
    assert truth["benefit"] == pytest.approx(benefit)
    assert truth["cost"] == pytest.approx(cost)
    assert truth["roi_pct"] == pytest.approx((benefit - cost) / cost * 100)
    inc = (
        files["performance/incidents.csv"]
        .to_pandas()
        .merge(
            company["hris/employees.csv"].to_pandas(), on="employee_id", how="left", suffixes=("", "_hris")
        )
    )
    named = inc[inc.employee_id.notna()]
    assert (named.department == named.department_hris).all()
    assert (pd.to_datetime(named.hire_date) <= pd.to_datetime(named.date)).all()
    assert (named.exit_date.isna() | (pd.to_datetime(named.exit_date) >= pd.to_datetime(named.date))).all()


def test_platform_saving_as_the_analysis_reads_it(company: CompanyTables) -> None:
    files, truth = simulate_platform(company.tables, SEED)
    admin = files["costs/admin_time.csv"].to_pandas()
    assert len(admin) == 24 * len(TASKS)
    assert not admin.duplicated(["period", "team", "task"]).any()
    planted = sum(base * share for _, _, base, share in TASKS)  # 1,000 employees: scale 1
    assert truth["hours_saved_per_month"] == pytest.approx(planted)
    saving = admin_saving(admin.rename(columns={"hours": "admin_hours"}), truth["go_live"])
    assert saving.hours_saved == pytest.approx(truth["hours_saved_realized"])
    assert abs(saving.hours_saved - planted) < 3 * saving.std_error
    costs = files["costs/platform.csv"].to_pandas()
    assert set(costs.category) == {"licence", "administration", "integration", "hosting", "support"}
    assert str(costs.date[costs.category.eq("licence")].min()) == truth["go_live"]
    res = platform_roi(costs, admin.rename(columns={"hours": "admin_hours"}), [], hourly_cost=52.0,
                       go_live=truth["go_live"], draws=200)  # fmt: skip
    assert res.platform_cost == pytest.approx(truth["total_cost"]) == costs.amount.sum()


def _all(company: CompanyTables, seed: int) -> dict[str, pa.Table]:
    s, _ = survey_tables(company.tables, seed)
    c, spec, _ = simulate_compliance(company.tables, seed)
    p, _ = simulate_platform(company.tables, seed)
    return {**s, **c, **p, "spec": pa.table({"text": [spec]})}


def test_deterministic_and_plain_csv(company: CompanyTables, tmp_path: Path) -> None:
    a, b = _all(company, SEED), _all(company, SEED)
    assert a.keys() == b.keys()
    assert all(a[k].equals(b[k]) for k in a)
    other = _all(company, SEED + 1)
    assert not other["surveys/reaction.csv"].equals(a["surveys/reaction.csv"])
    assert not other["performance/incidents.csv"].equals(a["performance/incidents.csv"])
    for name, table in a.items():  # quoting_style="none" refuses commas and quotes: the notes are plain
        if name != "spec":
            assert write_csv(tmp_path / name.replace("+", "_"), table) == table.num_rows
