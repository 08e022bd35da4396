"""The workbook's own Monte Carlo (Draws sheet), recalculated by an independent engine (`formulas`), equals
learnroi's valuation and cost model fed the same uniforms, and follows the Inputs sheet.

The reference side is learnroi.roi itself (``Valuation``, ``cost_model``, ``inverse_cdf``: the monthly
schedule summed month by month), the workbook side is Excel formulas (inverse CDFs written out, the benefit
months in closed form). What it would catch: a wrong inverse CDF (the triangular's branch point), the
closed form of S disagreeing with the schedule (window, profile, horizon beyond the window), a cost line
not prorated per draw, static draws that ignore Inputs, and a Summary that does not link the Draws sheet.
Tolerance 1e-6 on ROI points: both sides are double precision on the same uniforms.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from scipy import stats

from learnroi.core.program import ProgramSpec
from learnroi.report import build_program_section, build_report_data, write_xlsx
from learnroi.report.data import AssumptionRow
from learnroi.report.example import example_inputs, example_report_data
from learnroi.report.xlsx_draws import FIRST
from learnroi.report.xlsx_mc import DRAWS_LABEL, N_DRAWS
from learnroi.roi import EffectInput, compute_roi
from learnroi.roi.costs import cost_model
from learnroi.roi.uncertainty import Model, assumption_table, inverse_cdf, point_values
from learnroi.roi.valuation import Valuation

formulas = pytest.importorskip("formulas")

TOL = 1e-6
LOW = f"ROI % 2.5th percentile ({DRAWS_LABEL})"
HIGH = f"ROI % 97.5th percentile ({DRAWS_LABEL})"
SHARE = f"P(ROI > 0) ({DRAWS_LABEL})"


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    return example_inputs()


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    path = write_xlsx(example_report_data(), tmp_path_factory.mktemp("draws") / "model.xlsx")
    return path, formulas.ExcelModel().loads(str(path)).finish()


def _key(path: Path, sheet: str, addr: str) -> str:
    return f"'[{path.name}]{sheet.upper()}'!{addr.replace('$', '')}"


def _find(path: Path, sheet: str, label: str, col: int) -> str:
    for row in openpyxl.load_workbook(path)[sheet].iter_rows():
        if row[0].value == label:
            return str(row[col - 1].coordinate)
    raise AssertionError(f"no row {label!r} on sheet {sheet}")


def _summary(book: tuple[Path, Any], sheet: str, changes: dict[tuple[str, str], float]) -> np.ndarray:
    """(2.5th percentile, 97.5th percentile, P(ROI > 0)) of the Draws sheet after ``changes``."""
    path, model = book
    keys = [_key(path, sheet, _find(path, sheet, label, 4)) for label in (LOW, HIGH, SHARE)]
    sol = model.calculate(inputs={_key(path, s, a): v for (s, a), v in changes.items()}, outputs=keys)
    return np.asarray([float(np.ravel(sol[k].value)[0]) for k in keys])


def _uniforms(path: Path, sheet: str) -> dict[str, np.ndarray]:
    """The pre-drawn uniforms, by input name, read back from the sheet."""
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=FIRST, max_row=FIRST + N_DRAWS))
    out = {}
    for j, head in enumerate(rows[0]):
        if isinstance(head.value, str) and head.value.startswith("u: "):
            out[head.value[3:]] = np.asarray([float(r[j].value) for r in rows[1:]])  # type: ignore[arg-type]
    return out


def _learnroi(
    u: dict[str, np.ndarray], spec: ProgramSpec, effect: EffectInput, horizon: int, **kw: Any
) -> np.ndarray:
    """(2.5th, 97.5th percentile, P(ROI > 0)) from learnroi's valuation and costs fed the same uniforms."""
    valuation = Valuation.for_kpi(spec, effect.kpi, horizon, effect.decay_profile)
    table = assumption_table(spec, valuation.used_assumptions(), None)
    values = point_values(table)
    for name, col in u.items():
        if name != "effect":
            values[name] = inverse_cdf(table[name], col)
    eff = effect.estimate + effect.std_error * stats.norm.ppf(u["effect"])
    roi = Model(valuation, cost_model(spec, kw.get("ledger"), kw.get("participant_time"))).roi(eff, values)
    return np.asarray([*np.percentile(roi, [2.5, 97.5]), np.mean(roi > 0)])


def _with(spec: ProgramSpec, name: str, **update: float) -> ProgramSpec:
    new = spec.assumptions[name].model_copy(update=update)
    return spec.model_copy(update={"assumptions": {**spec.assumptions, name: new}})


def _costs(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"ledger": inputs["ledger"], "participant_time": inputs["participant_time"]}


def test_draws_equal_learnroi_fed_the_same_uniforms(book: tuple[Path, Any], inputs: dict[str, Any]) -> None:
    path, _ = book
    sales = EffectInput.from_effect_result(inputs["sales_effect"])
    u = _uniforms(path, "Draws1")
    assert set(u) == {"effect", "reach", "adoption", "contribution_margin", "decay_half_life_months",
                      "discount_rate"}  # fmt: skip
    got = _summary(book, "Draws1", {})
    want = _learnroi(u, inputs["sales"], sales, 12, **_costs(inputs))
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    # 1,000 draws land near learnroi's own 20,000-draw range (Monte Carlo error only)
    roi = inputs["sales_roi"]
    assert got[0] == pytest.approx(roi.roi_conf_low, abs=15)
    assert got[1] == pytest.approx(roi.roi_conf_high, abs=25)
    # onboarding: a decrease KPI valued once per hire, on its (labelled) forecast effect
    u2 = _uniforms(path, "Draws2")
    got2 = _summary(book, "Draws2", {})
    want2 = _learnroi(u2, inputs["onboarding"], inputs["forecast"], 12, ledger=inputs["ledger"])
    np.testing.assert_allclose(got2, want2, rtol=0, atol=TOL)
    # the cached values (a viewer that does not recalculate) are the same figures
    cached = openpyxl.load_workbook(path, data_only=True)["Draws1"]
    for label, value in zip((LOW, HIGH, SHARE), got, strict=True):
        assert cached[_find(path, "Draws1", label, 4)].value == pytest.approx(value, abs=TOL)
    # the Summary sheet shows the live figures, labelled, beside learnroi's own
    ws = openpyxl.load_workbook(path)["Summary"]
    labels = [str(r[0].value) for r in ws.iter_rows()]
    assert labels.count(LOW.replace("2.5th percentile", "low")) == 2
    assert "ROI range (Monte Carlo, from learnroi)" in labels
    row = labels.index(LOW.replace("2.5th percentile", "low")) + 1
    sol = book[1].calculate(outputs=[_key(path, "Summary", f"B{row}")])
    assert float(np.ravel(sol[_key(path, "Summary", f"B{row}")].value)[0]) == pytest.approx(got[0], abs=TOL)


def test_changing_a_range_on_inputs_moves_the_workbook_range(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    path, _ = book
    base = _summary(book, "Draws1", {})
    margin = _find(path, "Inputs1", "contribution_margin", 4)  # its high
    wider = _summary(book, "Draws1", {("Inputs1", margin): 0.60})
    assert wider[1] > base[1] + 20, "a higher top of the margin range must lift the top of the ROI range"
    assert wider[0] >= base[0]
    spec = _with(inputs["sales"], "contribution_margin", high=0.60)
    sales = EffectInput.from_effect_result(inputs["sales_effect"])
    want = _learnroi(_uniforms(path, "Draws1"), spec, sales, 12, **_costs(inputs))
    np.testing.assert_allclose(wider, want, rtol=0, atol=TOL)
    se = _find(path, "Inputs1", "Effect standard error (Monte Carlo)", 2)
    noisier = _summary(book, "Draws1", {("Inputs1", se): 200.0})
    assert noisier[0] < base[0] - 20
    assert noisier[1] > base[1] + 20
    assert noisier[2] < base[2]


def test_raising_the_horizon_on_inputs_adds_months_everywhere(
    book: tuple[Path, Any], inputs: dict[str, Any]
) -> None:
    """Horizon beyond the window and beyond the first year: the Draws' closed form still equals learnroi."""
    path, _ = book
    from learnroi.roi.rules import PhillipsRules

    horizon = _find(path, "Inputs1", "Horizon used (months; Phillips principle 9 caps at 12)", 2)
    got = _summary(book, "Draws1", {("Inputs1", horizon): 30.0})
    spec = inputs["sales"].model_copy(
        update={"program": inputs["sales"].program.model_copy(update={"horizon_months": 30})}
    )
    sales = EffectInput.from_effect_result(inputs["sales_effect"])
    want = _learnroi(_uniforms(path, "Draws1"), spec, sales, 30, **_costs(inputs))
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    full = compute_roi(spec, sales, **_costs(inputs), rules=PhillipsRules(first_year_only=False), draws=200)
    assert full.horizon_months == 30
    assert got[1] > _summary(book, "Draws1", {})[1]


def test_event_study_profile_in_closed_form(tmp_path: Path, inputs: dict[str, Any]) -> None:
    effect = EffectInput(kpi="revenue", estimate=350.0, std_error=100.0, decay_profile=(0.3, 0.6, 0.9, 1.0))
    roi = compute_roi(inputs["sales"], effect, **_costs(inputs), draws=200)
    path = write_xlsx(
        build_report_data([build_program_section(inputs["sales"], roi=roi)]), tmp_path / "p.xlsx"
    )
    book = (path, formulas.ExcelModel().loads(str(path)).finish())
    u = _uniforms(path, "Draws")
    np.testing.assert_allclose(
        _summary(book, "Draws", {}), _learnroi(u, inputs["sales"], effect, 12, **_costs(inputs)), atol=TOL
    )
    # a horizon shorter than the profile (months beyond H weigh nothing)
    horizon = _find(path, "Inputs", "Horizon used (months; Phillips principle 9 caps at 12)", 2)
    np.testing.assert_allclose(
        _summary(book, "Draws", {("Inputs", horizon): 3.0}),
        _learnroi(u, inputs["sales"], effect, 3, **_costs(inputs)),
        atol=TOL,
    )


@dataclasses.dataclass(frozen=True)
class _UniformRow(AssumptionRow):
    """An assumption row that names its distribution (as the report data will once it carries it)."""

    distribution: str = "uniform"


def test_uniform_assumption_and_no_effect_se(tmp_path: Path, inputs: dict[str, Any]) -> None:
    """A uniform(low, high) assumption; an effect without a standard error is held at its estimate."""
    spec = _with(inputs["sales"], "contribution_margin", distribution="uniform")  # type: ignore[arg-type]
    effect = EffectInput(kpi="revenue", estimate=350.0, std_error=float("nan"))
    roi = compute_roi(spec, effect, **_costs(inputs), draws=200)
    sec = build_program_section(spec, roi=roi)
    rows = tuple(
        _UniformRow(*dataclasses.astuple(a)) if a.name == "contribution_margin" else a
        for a in sec.assumptions
    )
    sec = dataclasses.replace(sec, assumptions=rows)
    path = write_xlsx(build_report_data([sec]), tmp_path / "u.xlsx")
    book = (path, formulas.ExcelModel().loads(str(path)).finish())
    u = _uniforms(path, "Draws")
    assert "effect" not in u
    u["effect"] = np.full(N_DRAWS, 0.5)  # NORM.S.INV(0.5) = 0: the estimate itself
    fixed = EffectInput(kpi="revenue", estimate=350.0, std_error=0.0)
    np.testing.assert_allclose(
        _summary(book, "Draws", {}), _learnroi(u, spec, fixed, 12, **_costs(inputs)), atol=TOL
    )
