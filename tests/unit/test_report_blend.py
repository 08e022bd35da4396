"""The blended-learning blocks of the report, from hand-built inputs with hand-computed numbers.

What it would catch: an arm, module, cohort or survey cell under the small-cell minimum that is shown or
ranked; a best-paying arm chosen among suppressed or losing arms; an update priority or ranking that is not
reach share x drop-off x (1 - gain / max gain); a response rate that is not responses / invitations; a
chain of evidence that ignores the surveys it was given (or claims them when suppressed); qualitative notes
that change the money or leak author ids; and a program without these inputs that renders differently.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from markupsafe import escape

from learnroi.report import build_program_section, build_report_data
from learnroi.report.blend import (
    application_table,
    arms_table,
    best_arm,
    cohort_roi_table,
    content_table,
    modality_table,
    qualitative_table,
    reaction_table,
    stance_counts,
    treated_arms,
)
from learnroi.report.data import ReportData
from learnroi.report.example import example_report_data
from learnroi.report.example_blend import example_blend_inputs, example_blend_report_data
from learnroi.report.html import render_html
from learnroi.report.view_blend import best_arm_sentence

PID = "service-blend"


@pytest.fixture(scope="module")
def blend() -> ReportData:
    return example_blend_report_data()


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return example_blend_inputs()


def _arms(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"program_id": PID, **r} for r in rows])


def test_arms_suppress_small_arms_and_pick_the_best_paying_shown_arm() -> None:
    frame = _arms(
        [
            {"arm": "digital", "n": 40, "effect": -0.1, "roi_pct": 12.0, "p_roi_positive": 0.6},
            {"arm": "pilot-x", "n": 3, "effect": -0.9, "roi_pct": 900.0, "p_roi_positive": 1.0},
            {"arm": "control", "n": 41},
            {"arm": "blended", "n": 40, "effect": -0.5, "roi_pct": 48.0, "p_roi_positive": 0.93},
        ]
    )
    t = arms_table(frame, PID, min_cell=5)
    assert next(r["arm"] for r in t) == "control"  # the reference first
    small = next(r for r in t if r["arm"] == "pilot-x")
    assert small["suppressed"]
    assert small["n"] is None
    assert small["roi_pct"] is None
    assert [r["arm"] for r in treated_arms(t)] == ["digital", "blended"]
    best = best_arm(t)
    assert best is not None
    assert best["arm"] == "blended"
    losing = arms_table(frame.assign(roi_pct=-5.0), PID, min_cell=5)
    assert best_arm(losing) is None
    # another program's rows are dropped
    assert arms_table(frame.assign(program_id="other"), PID, min_cell=5) == ()


def test_content_ranking_is_the_contract_priority_and_skips_small_cells(blend: ReportData) -> None:
    p = blend.program(PID)
    shown = [r for r in p.content if not r["suppressed"]]
    # hand computation: reach share x drop-off x (1 - gain / max gain), 360 learners, max gain 0.20
    expected = {
        "sb-core-1": 300 / 360 * 0.10 * (1 - 0.20 / 0.20),
        "sb-core-2": 330 / 360 * 0.45 * (1 - 0.01 / 0.20),
        "sb-core-3": 290 / 360 * 0.20 * (1 - 0.15 / 0.20),
        "sb-virtual-1": 110 / 360 * 0.30 * (1 - 0.10 / 0.20),
        "sb-class-1": 115 / 360 * 0.05 * (1 - 0.18 / 0.20),
    }
    assert {r["module_id"]: r["priority"] for r in shown} == pytest.approx(expected)
    order = sorted(expected, key=lambda m: -expected[m])
    assert [r["module_id"] for r in shown] == order
    assert [r["rank"] for r in shown] == [1, 2, 3, 4, 5]
    social = next(r for r in p.content if r["module_id"] == "sb-social-1")  # 3 learners
    assert social["suppressed"]
    assert social["rank"] is None
    assert social["reach"] is None


def test_content_from_the_metrics_layers_wide_ranking_keeps_its_ranks() -> None:
    modules = pd.DataFrame(
        {
            "program_id": [PID] * 3,
            "rank": pd.array([1, 2, None], dtype="Int64"),
            "course_id": ["c"] * 3,
            "module_id": ["m2", "m1", "m3"],
            "modality": ["digital", "virtual", "social"],
            "reach": [50.0, 40.0, float("nan")],
            "drop_off": [0.5, 0.2, float("nan")],
            "module_check_gain": [0.0, 0.1, float("nan")],
            "update_priority": [0.3, 0.1, float("nan")],
            "not_ranked": pd.array([None, None, "small_cell"], dtype="string"),
        }
    )
    modalities = pd.DataFrame(
        {
            "program_id": [PID] * 3,
            "modality": ["digital", "virtual", "social"],
            "reach": [50.0, 30.0, float("nan")],
        }
    )
    content = SimpleNamespace(modules=modules, modalities=modalities, table=pd.DataFrame())
    t = content_table(content, PID, min_cell=5)
    assert [(r["module_id"], r["rank"], r["suppressed"]) for r in t] == [
        ("m2", 1, False),
        ("m1", 2, False),
        ("m3", None, True),
    ]
    mix = modality_table(modalities, t, PID, min_cell=5)
    # the small social cell, and the next-smallest one with it (no recovery by subtraction)
    assert [(r["modality"], r["suppressed"]) for r in mix] == [
        ("digital", False),
        ("virtual", True),
        ("social", True),
    ]


def test_modality_mix_from_the_content_table(blend: ReportData) -> None:
    mix = {r["modality"]: r for r in blend.program(PID).modality}
    assert set(mix) == {"digital", "virtual", "classroom"}  # the suppressed social module is left out
    minutes = {"digital": 300 * 18 + 330 * 25 + 290 * 20, "virtual": 110 * 55, "classroom": 115 * 240}
    total = sum(minutes.values())
    for m, r in mix.items():
        assert r["learning_time_share"] == pytest.approx(minutes[m] / total)
    assert mix["digital"]["modules"] == 3
    assert mix["digital"]["mean_drop_off"] == pytest.approx((0.10 + 0.45 + 0.20) / 3)


def test_surveys_feed_levels_1_and_3(blend: ReportData) -> None:
    p = blend.program(PID)
    (reaction,) = p.reaction
    assert reaction["response_rate"] == pytest.approx(225 / 360)
    l1, _, l3 = p.evidence[:3]
    assert l1.has_data
    assert l3.has_data
    assert "mean satisfaction 4.10 / 5" in l1.evidence
    assert "225 respondents of 360 invited" in l1.strength
    assert "respondents may differ" in l1.strength
    assert [r["days_after"] for r in p.application] == [30, 60, 90]
    assert "3.40 at 30 days (n=216, 60% responded)" in l3.evidence
    assert "3.70 at 90 days (n=180, 50% responded)" in l3.evidence
    assert l3.strength.startswith("weak — manager ratings, no comparison group")


def test_survey_summaries_in_the_metrics_shape_and_suppressed_cells() -> None:
    """``learnroi.metrics.surveys.SurveySummary.table``: one row per item, suppressed below min_cell."""
    rows = [
        {"program_id": PID, "survey": "reaction", "days_after": pd.NA, "item": item, "invited": 40,
         "responded": 30, "response_rate": 0.75, "n": 30, "mean": m, "suppressed": False}
        for item, m in (("satisfaction", 3.8), ("relevance", 4.2), ("intent_to_apply", 3.5))
    ]  # fmt: skip
    summary = SimpleNamespace(table=pd.DataFrame(rows))
    (r,) = reaction_table(summary, PID, min_cell=5)
    assert (r["satisfaction"], r["relevance"], r["responses"], r["response_rate"]) == (3.8, 4.2, 30, 0.75)
    few = pd.DataFrame(rows).assign(
        responded=pd.NA, response_rate=float("nan"), mean=float("nan"), suppressed=True
    )
    t = reaction_table(SimpleNamespace(table=few), PID, min_cell=5)
    assert t[0]["suppressed"]
    app = pd.DataFrame(
        {"program_id": PID, "survey": "application", "days_after": [30, 60], "item": "behaviour_score",
         "invited": [40, 40], "responded": [20, pd.NA], "response_rate": [0.5, float("nan")], "n": [20, pd.NA],
         "mean": [3.5, float("nan")], "suppressed": [False, True]}
    )  # fmt: skip
    t3 = application_table(SimpleNamespace(table=app), PID, min_cell=5)
    assert [(r["days_after"], r["suppressed"]) for r in t3] == [(30, False), (60, True)]
    sec = _plain_section(reaction=SimpleNamespace(table=few), application=SimpleNamespace(table=app))
    assert not sec.evidence[0].has_data
    assert sec.evidence[0].evidence.startswith("suppressed")
    assert sec.evidence[2].has_data
    assert "3.50 at 30 days" in sec.evidence[2].evidence
    assert "60 days" not in sec.evidence[2].evidence  # the suppressed wave is not described


def _plain_section(**kw: Any) -> Any:
    from learnroi.report.example import example_inputs

    x = example_inputs()
    spec = x["sales"].model_copy(update={"program": x["sales"].program.model_copy(update={"id": PID})})
    return build_program_section(spec, roi=x["sales_roi"], effects={"revenue": x["sales_effect"]}, **kw)


def test_qualitative_notes_are_grouped_counted_and_never_monetized(inputs: dict[str, Any]) -> None:
    notes = qualitative_table(inputs["notes"], PID)
    assert stance_counts(notes) == {"supports": 4, "contradicts": 2, "neutral": 1}
    assert [r["stance"] for r in notes] == ["supports"] * 4 + ["contradicts"] * 2 + ["neutral"]
    assert all("author_id" not in r for r in notes)  # a note names a role, not a person
    with_notes = _plain_section(qualitative=inputs["notes"].assign(program_id=PID))
    without = _plain_section()
    assert with_notes.roi == without.roi
    assert with_notes.costs == without.costs
    assert len(with_notes.qualitative) == 7
    html = render_html(build_report_data([with_notes]), vega_js="")
    counts = dict(re.findall(r'data-stance="(\w+)" data-count="(\d+)"', html))
    assert counts == {"supports": "4", "contradicts": "2", "neutral": "1"}
    assert "never converted to money" in html


def test_cohort_roi_suppresses_small_cohorts_with_a_complement_and_keeps_the_total() -> None:
    frame = pd.DataFrame(
        {
            "cohort": ["a", "b", "c", "total"],
            "reach": [3.0, 40.0, 60.0, 103.0],
            "roi_pct": [10.0, 20.0, 30.0, 25.0],
            "benefit": [1.0, 2.0, 3.0, 6.0],
        }
    )
    t = {r["cohort"]: r for r in cohort_roi_table(frame, PID, min_cell=5)}
    assert t["a"]["suppressed"]
    assert t["a"]["roi_pct"] is None
    assert t["b"]["suppressed"], "the next-smallest cohort hides the small one from subtraction"
    assert not t["c"]["suppressed"]
    assert t["c"]["roi_pct"] == 30.0
    assert not t["total"]["suppressed"]
    assert t["total"]["roi_pct"] == 25.0


def test_breakdown_and_years_reach_the_section(blend: ReportData, inputs: dict[str, Any]) -> None:
    p = blend.program(PID)
    b = inputs["breakdown"]
    assert [r["cohort"] for r in p.roi_cohorts] == ["2026-Q1", "2026-Q2", "total"]
    assert p.roi_cohorts[-1]["roi_pct"] == pytest.approx(b.total.roi_pct)
    (year,) = p.roi_years
    assert year["cumulative_roi_pct"] == pytest.approx(b.total.roi_pct)


def test_platform_and_best_arm_reach_every_view(blend: ReportData, inputs: dict[str, Any]) -> None:
    v = blend.platform
    res = inputs["platform"]
    assert v is not None
    assert (v.roi_pct, v.platform_cost, v.admin_benefit) == (
        res.roi_pct,
        res.platform_cost,
        res.admin_benefit,
    )
    hours_saved = 120.67 - 80.67  # mean monthly admin hours before vs after go-live (hand-made frame)
    assert v.admin_benefit == pytest.approx(hours_saved * 45.0 * 12, rel=1e-3)  # at $45, 12 months
    p = blend.program(PID)
    rois = {r["arm"]: r["roi_pct"] for r in treated_arms(p.arms)}
    assert max(rois, key=lambda a: rois[a]) == "blended"
    sentence = best_arm_sentence(p)
    assert sentence is not None
    assert sentence.startswith("Best-paying arm: blended")
    html = render_html(blend, vega_js="")
    assert 'data-tile="blend"' in html
    assert 'data-tile="platform"' in html
    assert "Observational association (not randomized)" in html
    assert str(escape(sentence)) in html
    twin = json.loads(re.search(r'id="report-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert twin["platform"]["roi_pct"] == pytest.approx(res.roi_pct)
    assert [a["arm"] for a in twin["programs"][0]["arms"]] == ["control", "digital", "blended", "classroom"]


def test_programs_without_the_new_inputs_render_as_before() -> None:
    data = example_report_data()
    for p in data.programs:
        assert (p.arms, p.content, p.modality, p.reaction, p.application, p.qualitative) == ((),) * 6
        assert (p.roi_cohorts, p.roi_years) == ((), ())
    assert data.platform is None
    html = render_html(data, vega_js="")
    for tile in ("blend", "qualitative", "platform"):
        assert f'data-tile="{tile}"' not in html
