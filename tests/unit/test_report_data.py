"""The report data: frozen, built from plain inputs, small cells suppressed before any exporter sees them.

What it would catch: an exporter able to change the data another exporter reads, a suppressed cell that
leaks (directly or by subtraction from a shown total), a "not identified" program that still carries an
attributed ROI, cost lines that do not add up to the ROI's fully loaded cost, and inputs given as plain
dicts (``to_dict()``) giving a different report from the result objects.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pandas as pd
import pytest

from learnroi.core.errors import DataError, UsageError
from learnroi.report import build_program_section, build_report_data
from learnroi.report.example import example_inputs, example_report_data
from learnroi.report.tables import suppress


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return example_inputs()


def test_report_data_is_frozen_and_json_ready() -> None:
    data = example_report_data()
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.title = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        data.programs[0].funnel[0]["n"] = 1  # type: ignore[index]
    d = json.loads(json.dumps(data.to_dict(), allow_nan=False))
    assert d["provenance"]["learnroi_version"]
    assert set(d["provenance"]["spec_hashes"]) == {"sales-skills", "onboarding"}
    assert d["programs"][0]["headline"]["roi_pct"] == pytest.approx(data.programs[0].roi.roi_pct)  # type: ignore[union-attr]


def test_small_cells_are_suppressed_everywhere() -> None:
    data = example_report_data(small_cells=True)
    p = data.program("sales-skills")
    applied = next(r for r in p.funnel if r["stage"] == "applied on the job")
    assert applied["n"] is None
    assert applied["suppressed"] is True
    central = next(r for r in p.competency if r["group"] == "Central")
    assert central["pre_mean"] is None
    assert central["gain"] is None
    # cohorts partition a total: the lone small cohort takes the next smallest with it
    hidden = [r["cohort"] for r in p.cohorts if r["suppressed"]]
    assert hidden == ["2026-02", "2026-03"]
    assert all(r["mean"] is None and r["n"] is None for r in p.cohorts if r["suppressed"])
    text = json.dumps(data.to_dict())
    assert '"n": 3,' not in text


def test_complementary_suppression_only_when_needed() -> None:
    df = pd.DataFrame({"g": list("abcd"), "n": [10, 2, 3, 40], "mean": [1.0, 2.0, 3.0, 4.0]})
    out = suppress(df, count_col="n", value_cols=["mean"], min_cell=5, complementary=True)
    assert out["suppressed"].tolist() == [False, True, True, False]  # two small cells protect each other
    assert df["n"].tolist() == [10, 2, 3, 40], "the caller's frame is never modified"
    df2 = pd.DataFrame({"g": list("abc"), "n": [10, 2, 40], "mean": [1.0, 2.0, 3.0]})
    out2 = suppress(df2, count_col="n", value_cols=["mean"], min_cell=5, complementary=True)
    assert out2["suppressed"].tolist() == [True, True, False]


def test_not_identified_has_no_attributed_roi_and_a_labelled_alternative() -> None:
    p = example_report_data().program("onboarding")
    assert not p.identified
    assert p.roi is None
    assert p.alt_roi is not None
    assert p.alt_roi.basis == "forecast"
    assert p.effect.reasons
    assert "waves" in p.effect.fix
    assert p.design_sentence.startswith("Effect not identified")
    assert p.actions[0].verb == "iterate"
    assert all(a.verb != "scale" for a in p.actions)


def test_cost_lines_add_up_to_the_roi_cost(inputs: dict[str, Any]) -> None:
    data = example_report_data()
    for pid, roi in (("sales-skills", inputs["sales_roi"]), ("onboarding", inputs["onb_alt"])):
        p = data.program(pid)
        assert sum(c.amount for c in p.costs) == pytest.approx(roi.cost, abs=1e-6)
    sales = data.program("sales-skills")
    shared = next(c for c in sales.costs if c.prorate_over_users)
    assert shared.gross_amount == 60000.0
    assert shared.amount < shared.gross_amount


def test_plain_dict_inputs_give_the_same_section(inputs: dict[str, Any]) -> None:
    objs = build_program_section(
        inputs["sales"], roi=inputs["sales_roi"], effects={"revenue": inputs["sales_effect"]}
    )
    dicts = build_program_section(
        inputs["sales"],
        roi=json.loads(json.dumps(inputs["sales_roi"].to_dict())),
        effects={"revenue": json.loads(json.dumps(inputs["sales_effect"].to_dict()))},
    )
    assert objs == dicts
    assert objs.roi is not None
    assert objs.roi.roi_pct == pytest.approx(inputs["sales_roi"].roi_pct)
    assert objs.design_sentence == "Randomized pilot, 412 people, 6 months."


def test_truth_is_optional() -> None:
    assert example_report_data(with_truth=True).program("sales-skills").truth is not None
    assert example_report_data(with_truth=False).program("sales-skills").truth is None


def test_errors_say_what_to_do() -> None:
    with pytest.raises(DataError, match="Hint"):
        build_report_data([])
    with pytest.raises(DataError, match="sales-skills"):
        example_report_data().program("nope")


def test_every_format_handles_a_program_with_no_roi_at_all(tmp_path: Any, inputs: dict[str, Any]) -> None:
    """Not identified and no labelled alternative: every format says so and none shows an ROI."""
    from learnroi.report import write_report
    from learnroi.report.html import render_html

    sec = build_program_section(
        inputs["onboarding"], roi=inputs["onb_roi"], effects={"weeks_to_productivity": inputs["onb_effect"]}
    )
    assert sec.headline is None
    data = build_report_data([sec])
    html = render_html(data, vega_js="")
    assert "Effect not identified" in html
    assert 'data-role="roi"' not in html
    files = write_report(data, tmp_path, formats=("pdf", "xlsx"))
    assert set(files) == {"pdf", "xlsx"}
    with pytest.raises(UsageError, match="format"):
        write_report(data, tmp_path, formats=("docx",))


class _KpiTable:
    """The shape of learnroi.metrics' KpiTable: long format in ``.table``, several programs."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table


def test_metrics_kpi_tables_are_read_per_program(inputs: dict[str, Any]) -> None:
    funnel = _KpiTable(
        pd.DataFrame(
            {
                "program_id": ["sales-skills"] * 4 + ["onboarding"],
                "stage": ["enrolled", "launched", "completed", "passed", "enrolled"],
                "stage_order": [0, 1, 2, 3, 0],
                "kpi": "funnel",
                "value": [412.0, 400.0, 300.0, float("nan"), 9.0],
                "n": pd.array([412, 400, 300, pd.NA, 9], dtype="Int64"),
                "suppressed": [False, False, False, True, False],
            }
        )
    )
    comp = _KpiTable(
        pd.DataFrame(
            {
                "program_id": "sales-skills",
                "department": ["Sales-01"] * 3 + ["Sales-02"] * 3,
                "kpi": ["pre_score_mean", "post_score_mean", "competency_gain"] * 2,
                "value": [0.60, 0.72, 0.12, 0.55, 0.70, 0.15],
                "n": pd.array([40, 40, 40, 60, 60, 60], dtype="Int64"),
                "suppressed": False,
            }
        )
    )
    sec = build_program_section(
        inputs["sales"],
        roi=inputs["sales_roi"],
        effects={"revenue": inputs["sales_effect"]},
        funnel=funnel,
        competency=comp,
    )
    assert [r["stage"] for r in sec.funnel] == ["enrolled", "launched", "completed", "passed"]
    assert sec.funnel[3]["n"] is None
    assert {r["group"] for r in sec.competency} == {"Sales-01", "Sales-02"}
    assert sec.drivers[0].value == pytest.approx(300 / 412)
    assert sec.drivers[1].value == pytest.approx((40 * 0.12 + 60 * 0.15) / 100)
    assert "+13.8 points out of 100" in sec.drivers[1].text
    json.dumps(build_report_data([sec]).to_dict(), allow_nan=False)


def test_minimal_section_renders_in_every_format(tmp_path: Any, inputs: dict[str, Any]) -> None:
    """Only a spec and an ROI result: tiles say there are no data instead of failing."""
    from learnroi.report import write_report
    from learnroi.report.html import render_html

    data = build_report_data([build_program_section(inputs["sales"], roi=inputs["sales_roi"])])
    html = render_html(data, vega_js="")
    assert "No funnel data." in html
    assert "No assessment data." in html
    files = write_report(data, tmp_path, formats=("pdf", "xlsx", "pdf"))
    assert sorted(files) == ["pdf", "xlsx"]
