"""``compute_roi``: benefit, fully loaded cost, ROI / BCR / payback / NPV and their uncertainty.

Phillips ROI Methodology (Phillips & Phillips): BCR = benefits / fully loaded costs, ROI % = (BCR - 1)
x 100, payback = costs / monthly benefits; the conservative guiding principles are applied by default
(:class:`~learnroi.roi.rules.PhillipsRules`). Benefits over time follow docs/dev/roi-formulas.md exactly.
When the design did not identify the effect, no ROI is computed (contracts §3).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from learnroi.core.errors import DataError, UsageError
from learnroi.core.options import check_option
from learnroi.core.program import Assumption, Correlation, ProgramSpec
from learnroi.roi import formulas
from learnroi.roi.costs import CostModel, cost_model
from learnroi.roi.effect import Basis, EffectInput
from learnroi.roi.result import RoiResult
from learnroi.roi.rules import PhillipsRules
from learnroi.roi.uncertainty import (
    EFFECT,
    Model,
    applied_correlations,
    assumption_table,
    break_even_effect,
    effect_range,
    point_values,
    ranged,
    sample_correlated,
    sample_effect,
    scenario,
    tornado,
)
from learnroi.roi.valuation import REACH, Valuation

HISTOGRAM_BINS = 40
MIN_DRAWS = 100


def compute_roi(
    spec: ProgramSpec,
    effect: EffectInput,
    *,
    ledger: Any | None = None,
    participant_time: Any | None = None,
    basis: Literal["attributed", "estimates", "forecast"] = "attributed",
    draws: int = 100_000,
    seed: int = 0,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen, so a shared default is safe
    level: float = 0.95,
) -> RoiResult:
    """The ROI of ``spec``'s program from ``effect`` on one of its monetized KPIs.

    ``ledger``: cost lines (data-layout ``costs/ledger.csv`` columns; lines of other programs are ignored).
    ``participant_time``: one row per learner, ``employee_id, hours, hourly_rate``. Frames may be pandas,
    polars or Arrow. ``draws`` Monte Carlo draws with ``numpy.random.default_rng(seed)``; the spec's
    ``[[correlations]]`` between assumptions the valuation reads are drawn by a Gaussian copula (notes say
    which), the effect always independently.
    """
    check_option(basis, Basis, "basis")
    if basis == "attributed" and effect.source != "attributed":
        raise UsageError(
            f"this effect comes from {effect.source}, not from an attribution design",
            hint=f'Pass basis="{effect.source}" so the result is labelled for what it is.',
        )
    if draws < MIN_DRAWS or not 0 < level < 1:
        raise UsageError(
            f"draws must be >= {MIN_DRAWS} and level between 0 and 1; got draws={draws}, level={level}",
            hint="Use the defaults (100,000 draws, level 0.95) unless you have a reason.",
        )
    horizon = rules.horizon(spec.program.horizon_months)
    valuation = Valuation.for_kpi(spec, effect.kpi, horizon, effect.decay_profile)
    costs = cost_model(spec, ledger, participant_time)
    table = assumption_table(spec, valuation.used_assumptions(), _reach_fallback(spec, costs))
    base = point_values(table)
    model = Model(valuation, costs)
    people = float(valuation.people(base)[0])
    cost = float(costs.total(np.asarray([people]))[0])
    notes = list(rules.describe())
    if horizon < spec.program.horizon_months:
        notes.append(f"benefits counted over {horizon} of the spec's {spec.program.horizon_months} months")
    common: dict[str, Any] = {
        "notes": tuple(effect.notes) + tuple(costs.notes),
        "rule_switches": rules.to_dict(),
        "program": spec.id,
        "cost": cost,
        "basis": basis,
        "kpi": effect.kpi,
        "currency": spec.program.currency,
        "horizon_months": horizon,
        "level": level,
        "draws": draws,
        "seed": seed,
        "effect": effect.to_dict(),
        "cost_breakdown": costs.by_category(people),
        "cost_per_learner": cost / (costs.learners or people)
        if cost > 0 and (costs.learners or people) > 0
        else None,
        "learners": float(costs.learners) if costs.learners else people,
        "assumptions": tuple(_assumption_row(k, a) for k, a in table.items()),
        "intangibles": tuple({"name": i.name, "evidence": i.evidence} for i in spec.intangibles),
    }
    if basis == "attributed" and not effect.identified:
        reasons = effect.reasons or ("the design's checks did not support a causal claim",)
        return _not_identified(common, reasons, tuple(notes))
    if not cost > 0:
        raise DataError(
            f"the fully loaded cost of program {spec.id!r} is zero",
            where=f"program {spec.id} costs",
            hint="Pass the cost ledger and participants' time, or add [[costs]] lines to the spec: "
            "ROI is undefined without costs.",
        )
    estimate = _estimate(effect, rules, notes)
    if math.isnan(effect.std_error) and not effect.draws:
        common["notes"] += (
            "the effect has no standard error: the ROI interval reflects the assumptions only",
        )
    correlated, corr_notes = applied_correlations(spec.correlations, table, effect.kpi)
    common["notes"] += corr_notes
    return _identified(model, effect, estimate, base, table, correlated, common, tuple(notes), basis, seed)


def _reach_fallback(spec: ProgramSpec, costs: CostModel) -> Assumption | None:
    if REACH in spec.assumptions or not costs.learners:
        return None
    return Assumption(value=float(costs.learners), source="participant-time frame: distinct learners")


def _estimate(effect: EffectInput, rules: PhillipsRules, notes: list[str]) -> float:
    if math.isfinite(effect.estimate):
        return float(effect.estimate)
    if not rules.no_data_no_improvement:
        raise DataError(
            f"the {effect.kpi} effect has no value",
            hint="Estimate the effect first, or keep the 'no data means no improvement' rule on (zero).",
        )
    notes.append(f"no {effect.kpi} effect available: counted as no improvement (principle 6)")
    return 0.0


def _not_identified(common: dict[str, Any], reasons: tuple[str, ...], notes: tuple[str, ...]) -> RoiResult:
    return RoiResult(
        identified=False,
        benefit=None,
        net_benefit=None,
        roi_pct=None,
        roi_conf_low=None,
        roi_conf_high=None,
        p_roi_positive=None,
        bcr=None,
        payback_months=None,
        npv=None,
        break_even_effect=None,
        reasons=tuple(reasons),
        rules=notes,
        **common,
    )


def _identified(
    model: Model,
    effect: EffectInput,
    estimate: float,
    base: dict[str, np.ndarray[Any, np.dtype[np.float64]]],
    table: dict[str, Assumption],
    correlated: tuple[Correlation, ...],
    common: dict[str, Any],
    notes: tuple[str, ...],
    basis: str,
    seed: int,
) -> RoiResult:
    level: float = common["level"]
    draws: int = common["draws"]
    cost: float = common["cost"]
    b, _ = model.evaluate(np.asarray([estimate]), base)
    benefit = float(b[0])
    rng = np.random.default_rng(seed)
    eff_draws = sample_effect(effect, estimate, rng, draws)
    bd, cd = model.evaluate(eff_draws, sample_correlated(table, correlated, rng, draws))
    roi_draws = formulas.roi_pct(bd, cd)
    finite = roi_draws[np.isfinite(roi_draws)]
    lo, hi = np.quantile(finite, [(1 - level) / 2, (1 + level) / 2])
    counts, edges = _histogram(finite)
    inputs = ranged(table)
    eff_rng = effect_range(effect, estimate, level)
    if eff_rng is not None:
        inputs.insert(0, (EFFECT, *eff_rng))
    bars = tornado(model, estimate, base, inputs)
    scen = []
    for name, side in (("conservative", -1), ("expected", 0), ("optimistic", 1)):
        eff, chosen = scenario(model, estimate, base, bars, side)
        vals = {k: np.asarray([v]) for k, v in chosen.items() if k != EFFECT}
        sb, sc = (float(x[0]) for x in model.evaluate(np.asarray([eff]), vals))
        scen.append(
            {
                "name": name,
                "benefit": sb,
                "cost": sc,
                "net_benefit": sb - sc,
                "roi_pct": float(formulas.roi_pct(sb, sc)),
                "bcr": sb / sc,
                "npv": sb - sc,
                "inputs": chosen,
            }
        )
    reasons = tuple(effect.reasons) if basis != "attributed" else ()
    schedule = tuple(model.valuation.schedule(estimate, base))
    return RoiResult(
        identified=basis == "attributed" and effect.identified,
        benefit=benefit,
        net_benefit=benefit - cost,
        roi_pct=float(formulas.roi_pct(benefit, cost)),
        roi_conf_low=float(lo),
        roi_conf_high=float(hi),
        p_roi_positive=float(np.mean(roi_draws > 0)),
        bcr=float(formulas.bcr(benefit, cost)),
        payback_months=formulas.payback_months(benefit, cost, common["horizon_months"]),
        npv=benefit - cost,
        break_even_effect=break_even_effect(model, base),
        reasons=reasons,
        rules=notes,
        schedule=schedule,
        benefit_by_year=_by_year(schedule),
        tornado=tuple(bars),
        scenarios=tuple(scen),
        histogram={"edges": [float(e) for e in edges], "counts": [float(c) for c in counts]},
        roi_std=float(np.std(finite)),
        net_benefit_draws=_frozen(bd - cd),
        **common,
    )


def _frozen(x: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    out = np.array(x, dtype=float)
    out.flags.writeable = False
    return out


def _histogram(x: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[Any, Any]:
    """Counts of simulated ROI in equal bins; a (nearly) constant ROI gets one bin of width 1 point."""
    lo, hi = float(x.min()), float(x.max())
    if hi - lo <= 1e-9 * max(1.0, abs(lo)):
        return np.histogram(x, bins=1, range=(lo - 0.5, hi + 0.5))
    return np.histogram(x, bins=HISTOGRAM_BINS)


def _by_year(schedule: tuple[dict[str, float], ...]) -> tuple[dict[str, float], ...]:
    """Discounted benefit per program year (month 0, a once-per-person benefit, is year 1)."""
    years: dict[int, float] = {}
    for row in schedule:
        y = max(int(row["month"]) - 1, 0) // 12 + 1
        years[y] = years.get(y, 0.0) + row["benefit"]
    return tuple({"year": float(y), "benefit": b} for y, b in sorted(years.items()))


def _assumption_row(name: str, a: Assumption) -> dict[str, Any]:
    return {
        "name": name,
        "value": a.value,
        "low": a.value if a.low is None else a.low,
        "high": a.value if a.high is None else a.high,
        "unit": a.unit,
        "source": a.source,
        "distribution": a.distribution,
    }


__all__ = ["compute_roi"]
