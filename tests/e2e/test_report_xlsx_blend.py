"""The workbook's Blend and Platform sheets recalculated by an independent engine (the `formulas` package)
agree with learnroi: each arm's ROI with ``learnroi.roi.arms.roi_by_arm`` and the platform's ROI with
``learnroi.roi.platform_roi``, to the cent, before and after changing inputs in the workbook.

What it would catch: a Blend cell that is a pasted number (changing the effect, the shared costs or the
value per escalation would not move the ROI), a benefit that uses reach x adoption instead of the people
assigned to the arm, shared costs split by anything but people assigned, a Blend sheet not linked to the
program's Calculation sheet, a best-arm formula that ranks the wrong column, and a platform ROI whose
formula differs from the platform's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from learnroi.core.program import ProgramSpec
from learnroi.report import write_xlsx
from learnroi.report.example_blend import ARMS, arm_rois, example_blend_inputs, example_blend_report_data
from learnroi.roi import platform_roi

formulas = pytest.importorskip("formulas")

CENT = 0.005


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return example_blend_inputs()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = write_xlsx(example_blend_report_data(), tmp_path_factory.mktemp("xlsx") / "blend.xlsx")
    return path, formulas.ExcelModel().loads(str(path)).finish()


def _key(path: Path, sheet: str, addr: str) -> str:
    return f"'[{path.name}]{sheet.upper()}'!{addr.replace('$', '')}"


def _rows(path: Path, sheet: str) -> dict[str, int]:
    """Row number of each label in column A."""
    ws = openpyxl.load_workbook(path)[sheet]
    return {str(r[0].value): r[0].row for r in ws.iter_rows() if r[0].value is not None}


def _col(path: Path, header: str) -> str:
    ws = openpyxl.load_workbook(path)["Blend"]
    for row in ws.iter_rows():
        for c in row:
            if c.value == header:
                return str(c.column_letter)
    raise AssertionError(f"no column {header!r}")


def _value(sol: Any, key: str) -> Any:
    v = sol[key].value
    return v[0][0] if hasattr(v, "__getitem__") and not isinstance(v, str) else v


def _calc(
    book: tuple[Path, Any], changes: dict[tuple[str, str], float], outputs: list[tuple[str, str]]
) -> list[Any]:
    path, model = book
    keys = [_key(path, s, a) for s, a in outputs]
    sol = model.calculate(inputs={_key(path, s, a): v for (s, a), v in changes.items()}, outputs=keys)
    return [_value(sol, k) for k in keys]


def _arm_cells(path: Path, header: str) -> list[tuple[str, str]]:
    rows = _rows(path, "Blend")
    col = _col(path, header)
    return [("Blend", f"{col}{rows[a]}") for a in ARMS]


def _with_assumption(spec: ProgramSpec, name: str, value: float) -> ProgramSpec:
    a = spec.assumptions[name].model_copy(update={"value": value, "low": None, "high": None})
    return spec.model_copy(update={"assumptions": {**spec.assumptions, name: a}})


def _roi(arms: Any) -> list[float]:
    by = {a.arm: a.roi.roi_pct for a in arms}
    return [by[a] for a in ARMS]


def test_blend_sheet_recalculates_to_roi_by_arm(book: tuple[Path, Any], inputs: dict[str, Any]) -> None:
    path, _ = book
    want = {a.arm: a for a in arm_rois(inputs["spec"])}
    roi = _calc(book, {}, _arm_cells(path, "ROI %"))
    cost = _calc(book, {}, _arm_cells(path, "fully loaded cost"))
    benefit = _calc(book, {}, _arm_cells(path, "benefit"))
    for i, a in enumerate(ARMS):
        r = want[a].roi
        assert r is not None
        assert roi[i] == pytest.approx(r.roi_pct, abs=CENT), a
        assert cost[i] == pytest.approx(want[a].cost, abs=CENT), a
        assert benefit[i] == pytest.approx(r.benefit, abs=CENT), a
    rows = _rows(path, "Blend")
    (best,) = _calc(book, {}, [("Blend", f"B{rows['Best-paying arm (highest ROI %)']}")])
    assert best == "blended"
    # the cached values (what a viewer without recalculation shows) are the same numbers
    ws = openpyxl.load_workbook(path, data_only=True)["Blend"]
    cached = [ws[c].value for _, c in _arm_cells(path, "ROI %")]
    assert cached == pytest.approx(_roi(want.values()), abs=CENT)
    assert ws[f"B{rows['Best-paying arm (highest ROI %)']}"].value == "blended"


def test_changing_an_arm_effect_and_the_shared_costs_moves_roi_like_learnroi(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    path, _ = book
    spec = inputs["spec"]
    effect_cells = dict(zip(ARMS, _arm_cells(path, "effect vs control"), strict=True))
    out = _arm_cells(path, "ROI %")
    got = _calc(book, {effect_cells["digital"]: -1.5}, out)
    assert got == pytest.approx(_roi(arm_rois(spec, effects={"digital": -1.5})), abs=CENT)
    rows = _rows(path, "Blend")
    (best,) = _calc(
        book, {effect_cells["digital"]: -1.5}, [("Blend", f"B{rows['Best-paying arm (highest ROI %)']}")]
    )
    assert best == "digital"
    shared = ("Blend", f"B{rows['Shared cost lines (total over the arms)']}")
    got = _calc(book, {shared: 60000.0}, out)
    assert got == pytest.approx(_roi(arm_rois(spec, shared=60000.0)), abs=CENT)
    base = _calc(book, {}, out)
    assert all(abs(g - b) > 0.5 for g, b in zip(got, base, strict=True)), (
        "the shared costs must move every arm"
    )


def test_an_input_on_the_programs_sheet_flows_into_the_blend(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    path, _ = book
    row = _rows(path, "Inputs")["cost_per_escalation"]
    got = _calc(book, {("Inputs", f"B{row}"): 250.0}, _arm_cells(path, "ROI %"))
    want = arm_rois(_with_assumption(inputs["spec"], "cost_per_escalation", 250.0))
    assert got == pytest.approx(_roi(want), abs=CENT)


def test_platform_sheet_recalculates_to_platform_roi(book: tuple[Path, Any], inputs: dict[str, Any]) -> None:
    path, _ = book
    rows = _rows(path, "Platform")
    roi_cell = ("Platform", f"B{rows['ROI %']}")
    (roi,) = _calc(book, {}, [roi_cell])
    assert roi == pytest.approx(inputs["platform"].roi_pct, abs=CENT)
    rate = ("Platform", f"B{rows['Loaded hourly cost of admin staff']}")
    (got,) = _calc(book, {rate: 60.0}, [roi_cell])
    want = platform_roi(
        inputs["platform_costs"],
        inputs["admin_time"],
        [inputs["roi"]],
        hourly_cost=60.0,
        go_live="2026-01",
        draws=200,
    )
    assert got == pytest.approx(want.roi_pct, abs=CENT)
    licence = ("Platform", f"B{rows['licence']}")
    (got,) = _calc(book, {licence: 80000.0}, [roi_cell])
    costs = inputs["platform_costs"].assign(amount=[80000.0, 12000.0, 18000.0])
    want = platform_roi(
        costs, inputs["admin_time"], [inputs["roi"]], hourly_cost=45.0, go_live="2026-01", draws=200
    )
    assert got == pytest.approx(want.roi_pct, abs=CENT)


def test_roi_per_cohort_and_year_reach_the_cohorts_sheet(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    path, _ = book
    ws = openpyxl.load_workbook(path, data_only=True)["Cohorts"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[0] is not None]
    total = next(r for r in rows if r[0] == "total")
    header = next(r for r in rows if r[0] == "cohort")
    assert total[header.index("roi_pct")] == pytest.approx(inputs["breakdown"].total.roi_pct)
    year = next(r for r in rows if r[0] == 1)
    assert year[5] == pytest.approx(inputs["breakdown"].total.roi_pct)  # cumulative ROI after year 1
