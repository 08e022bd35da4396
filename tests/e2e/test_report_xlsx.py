"""The Excel ROI model recalculated by an independent engine (the `formulas` package) agrees with
``learnroi.roi.compute_roi`` to the cent, before and after changing each input in the workbook.

What it would catch: a Calculation cell that is a pasted number instead of a formula (changing the input
would not move the ROI), a formula that differs from docs/dev/roi-formulas.md (decay, discounting, the
12/52 weeks rule, proration of shared design costs, the sign of a "decrease" KPI), cached values that
disagree with the formulas, and an Inputs sheet that loses an assumption.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from learnroi.core.program import ProgramSpec
from learnroi.report import build_program_section, build_report_data, write_xlsx
from learnroi.report.example import example_inputs, example_report_data
from learnroi.report.xlsx import sheet_names
from learnroi.roi import EffectInput, compute_roi

formulas = pytest.importorskip("formulas")

CENT = 0.005


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return example_inputs()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = write_xlsx(example_report_data(), tmp_path_factory.mktemp("xlsx") / "model.xlsx")
    model = formulas.ExcelModel().loads(str(path)).finish()
    return path, model


def _key(path: Path, sheet: str, addr: str) -> str:
    return f"'[{path.name}]{sheet.upper()}'!{addr.replace('$', '')}"


def _find(path: Path, sheet: str, label: str, col: int = 2) -> str:
    """The address of the cell in column ``col`` (1-based) on the row whose first cell is ``label``."""
    ws = openpyxl.load_workbook(path)[sheet]
    for row in ws.iter_rows():
        if row[0].value == label:
            return str(row[col - 1].coordinate)
    raise AssertionError(f"no row {label!r} on sheet {sheet}")


def _value(sol: Any, key: str) -> float:
    v = sol[key].value
    return float(v[0][0] if hasattr(v, "__getitem__") else v)


def _recalc(book: tuple[Path, Any], sheet: str, changes: dict[str, float]) -> float:
    path, model = book
    calc = sheet.replace("Inputs", "Calculation")
    roi = _key(path, calc, _find(path, calc, "ROI %"))
    sol = model.calculate(inputs={_key(path, sheet, a): v for a, v in changes.items()}, outputs=[roi])
    return _value(sol, roi)


def _with_assumption(spec: ProgramSpec, name: str, value: float) -> ProgramSpec:
    a = spec.assumptions[name]
    new = a.model_copy(
        update={"value": value, "low": min(a.low or value, value), "high": max(a.high or value, value)}
    )
    return spec.model_copy(update={"assumptions": {**spec.assumptions, name: new}})


def _with_cost(spec: ProgramSpec, i: int, amount: float) -> ProgramSpec:
    costs = list(spec.costs)
    costs[i] = costs[i].model_copy(update={"amount": amount})
    return spec.model_copy(update={"costs": costs})


def test_every_calculation_cell_is_a_formula_over_inputs(book: tuple[Path, Any]) -> None:
    path, _ = book
    wb = openpyxl.load_workbook(path)
    data = example_report_data()
    for p in data.programs:
        inputs, calc = sheet_names(data, p)
        formulas_seen = 0
        refs_inputs = 0
        for row in wb[calc].iter_rows(min_col=2):
            for cell in row:
                if isinstance(cell.value, int | float):
                    pytest.fail(f"{calc}!{cell.coordinate} is a typed number, not a formula")
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    formulas_seen += 1
                    refs_inputs += inputs in cell.value
        assert formulas_seen > 10
        assert refs_inputs > 5, "the Calculation sheet must read the Inputs sheet"
        assert wb[calc]["B4"].value is not None


def test_recalculated_roi_equals_compute_roi_to_the_cent(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    path, model = book
    sol = model.calculate()
    data = example_report_data()
    expected = {"sales-skills": inputs["sales_roi"], "onboarding": inputs["onb_alt"]}
    for p in data.programs:
        _, calc = sheet_names(data, p)
        roi = expected[p.program_id]
        for label, field in (
            ("ROI %", "roi_pct"),
            ("Benefit (discounted, over the horizon)", "benefit"),
            ("Net benefit", "net_benefit"),
            ("Break-even effect (KPI units)", "break_even_effect"),
            ("Payback (months)", "payback_months"),
        ):
            got = _value(sol, _key(path, calc, _find(path, calc, label)))
            assert got == pytest.approx(getattr(roi, field), abs=CENT), (p.program_id, label)
        cost = _value(sol, _key(path, calc, _find(path, calc, "Fully loaded cost")))
        assert cost == pytest.approx(roi.cost, abs=CENT)
    # the Summary sheet links to the Calculation sheets
    summary = [
        _value(sol, _key(path, "Summary", f"B{r[0].row}"))
        for r in openpyxl.load_workbook(path)["Summary"].iter_rows()
        if r[0].value == "ROI %"
    ]
    assert summary == pytest.approx([inputs["sales_roi"].roi_pct, inputs["onb_alt"].roi_pct], abs=CENT)
    # the cached values (what a viewer without recalculation shows) are the same numbers
    ws = openpyxl.load_workbook(path, data_only=True)["Calculation1"]
    cached = ws[_find(path, "Calculation1", "ROI %")].value
    assert cached == pytest.approx(inputs["sales_roi"].roi_pct, abs=CENT)


SALES_CHANGES = [
    ("contribution_margin", 0.27),
    ("reach", 440.0),
    ("adoption", 0.72),
    ("decay_half_life_months", 15.0),
    ("discount_rate", 0.11),
]


@pytest.mark.parametrize(("name", "value"), SALES_CHANGES)
def test_changing_an_assumption_in_excel_moves_roi_like_learnroi(
    book: tuple[Path, Any], inputs: dict[str, Any], name: str, value: float
) -> None:
    path, _ = book
    got = _recalc(book, "Inputs1", {_find(path, "Inputs1", name): value})
    spec = _with_assumption(inputs["sales"], name, value)
    effect = EffectInput.from_effect_result(inputs["sales_effect"])
    want = compute_roi(
        spec, effect, ledger=inputs["ledger"], participant_time=inputs["participant_time"], draws=200
    )
    assert got == pytest.approx(want.roi_pct, abs=CENT)
    assert abs(got - inputs["sales_roi"].roi_pct) > 0.5, "the input must move the ROI"


def test_changing_effect_and_cost_lines_in_excel(book: tuple[Path, Any], inputs: dict[str, Any]) -> None:
    path, _ = book
    kw = {"ledger": inputs["ledger"], "participant_time": inputs["participant_time"], "draws": 200}
    effect_cell = _find(path, "Inputs1", "revenue")
    got = _recalc(book, "Inputs1", {effect_cell: 420.0})
    want = compute_roi(inputs["sales"], EffectInput(kpi="revenue", estimate=420.0, std_error=100.0), **kw)
    assert got == pytest.approx(want.roi_pct, abs=CENT)
    # a plain line (delivery) and a prorated design line (amount x N / users, capped)
    for label, i, amount in (("delivery", 1, 52000.0), ("design_development", 0, 90000.0)):
        got = _recalc(book, "Inputs1", {_find(path, "Inputs1", label): amount})
        want = compute_roi(
            _with_cost(inputs["sales"], i, amount),
            EffectInput.from_effect_result(inputs["sales_effect"]),
            **kw,
        )
        assert got == pytest.approx(want.roi_pct, abs=CENT), label


@pytest.mark.parametrize(("name", "value"), [("monthly_cost_per_hire", 11000.0), ("reach", 200.0)])
def test_once_per_person_decrease_kpi(
    book: tuple[Path, Any], inputs: dict[str, Any], name: str, value: float
) -> None:
    """Onboarding: weeks saved (a decrease is a gain) at monthly cost x 12/52, once per hire."""
    path, _ = book
    got = _recalc(book, "Inputs2", {_find(path, "Inputs2", name): value})
    spec = _with_assumption(inputs["onboarding"], name, value)
    want = compute_roi(spec, inputs["forecast"], ledger=inputs["ledger"], basis="forecast", draws=200)
    assert got == pytest.approx(want.roi_pct, abs=CENT)


def test_not_identified_without_alternative_says_so(tmp_path: Path, inputs: dict[str, Any]) -> None:
    sec = build_program_section(
        inputs["onboarding"], roi=inputs["onb_roi"], effects={"weeks_to_productivity": inputs["onb_effect"]}
    )
    path = write_xlsx(build_report_data([sec]), tmp_path / "ni.xlsx")
    wb = openpyxl.load_workbook(path)
    texts = " ".join(str(c.value) for row in wb["Inputs"].iter_rows() for c in row if c.value is not None)
    assert "NOT IDENTIFIED" in texts
    assert "No comparison group" in texts
    draws = " ".join(str(c.value) for row in wb["Draws"].iter_rows() for c in row if c.value is not None)
    assert "nothing to simulate" in draws
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    roi = sol[_key(path, "Calculation", _find(path, "Calculation", "ROI %"))].value
    assert re.search("not identified", str(roi))


CUSTOM_TOML = """
[program]
id = "service"
name = "Service desk coaching"
audience = "Agents"
design = "randomized"
primary_kpi = "tickets_resolved"
horizon_months = 12
evaluation_window_months = 3

[[kpis]]
business_kpi = "tickets_resolved"
unit = "tickets per agent-month"
path = "service"
rule = "custom"
expression = "gain * minutes_saved / 60 * hourly_cost"

[assumptions]
minutes_saved = { value = 20, low = 10, high = 30, source = "time study" }
hourly_cost = { value = 45, low = 40, high = 50, source = "HRIS" }
reach = { value = 120, source = "headcount" }

[[costs]]
category = "delivery"
amount = 30000
"""


def test_custom_rule_is_carried_as_a_labelled_static_value(tmp_path: Path) -> None:
    """A custom expression cannot live in Excel: its money per unit is a labelled input; ROI still agrees."""
    from learnroi.core.program import parse_spec

    spec = parse_spec(CUSTOM_TOML)
    roi = compute_roi(spec, EffectInput(kpi="tickets_resolved", estimate=6.0, std_error=2.0), draws=200)
    sec = build_program_section(spec, roi=roi)
    path = write_xlsx(build_report_data([sec]), tmp_path / "custom.xlsx")
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    got = _value(sol, _key(path, "Calculation", _find(path, "Calculation", "ROI %")))
    assert got == pytest.approx(roi.roi_pct, abs=CENT)
    assert _find(path, "Inputs", "Value of one KPI unit (custom rule)")


def test_event_study_profile_replaces_the_window(tmp_path: Path, inputs: dict[str, Any]) -> None:
    """An effect that builds up month by month (an event-study profile) is an input column in Excel."""
    effect = EffectInput(kpi="revenue", estimate=350.0, std_error=100.0, decay_profile=(0.3, 0.6, 0.9, 1.0))
    kw = {"ledger": inputs["ledger"], "participant_time": inputs["participant_time"], "draws": 200}
    roi = compute_roi(inputs["sales"], effect, **kw)
    path = write_xlsx(
        build_report_data([build_program_section(inputs["sales"], roi=roi)]), tmp_path / "p.xlsx"
    )
    model = formulas.ExcelModel().loads(str(path)).finish()
    got = _recalc((path, model), "Inputs", {})
    assert got == pytest.approx(roi.roi_pct, abs=CENT)
    changed = _recalc((path, model), "Inputs", {_find(path, "Inputs", "month 2"): 0.9})
    want = compute_roi(
        inputs["sales"],
        EffectInput(kpi="revenue", estimate=350.0, std_error=100.0, decay_profile=(0.3, 0.9, 0.9, 1.0)),
        **kw,
    )
    assert changed == pytest.approx(want.roi_pct, abs=CENT)


@pytest.mark.parametrize("months", [24, 120])
def test_raising_the_horizon_in_excel_adds_months(
    book: tuple[Path, Any], inputs: dict[str, Any], months: int
) -> None:
    """The schedule has a row for the longest horizon a spec allows (120 months), 0 beyond the Inputs
    horizon: raising it on Inputs counts the extra months, as learnroi does with the first-year cap off."""
    from learnroi.roi.rules import PhillipsRules

    path, _ = book
    cell = _find(path, "Inputs1", "Horizon used (months; Phillips principle 9 caps at 12)")
    got = _recalc(book, "Inputs1", {cell: float(months)})
    sales = inputs["sales"]
    spec = sales.model_copy(update={"program": sales.program.model_copy(update={"horizon_months": months})})
    want = compute_roi(
        spec,
        EffectInput.from_effect_result(inputs["sales_effect"]),
        ledger=inputs["ledger"],
        participant_time=inputs["participant_time"],
        rules=PhillipsRules(first_year_only=False),
        draws=200,
    )
    assert want.horizon_months == months
    assert got == pytest.approx(want.roi_pct, abs=CENT)
    assert got > inputs["sales_roi"].roi_pct + 50, "the extra months must add benefit"
