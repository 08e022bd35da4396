"""Forecast ROI before a pilot: the ROI a hypothesis's assumed effect would give, the break-even effect
and the smallest effect the planned pilot could detect, side by side.

The ROI is :func:`~learnroi.roi.compute.compute_roi` with ``basis="forecast"`` (Phillips' forecast ROI,
*The ROI Methodology*, ch. on pre-program forecasting): the assumed effect is either fixed or drawn from
a triangular(low, assumed, high) range, together with the spec's assumption ranges. The range enters
compute_roi as a fine quantile grid of that triangular (``EffectInput.draws``, resampled by its Monte
Carlo), so no Monte Carlo code is duplicated. The MDE is :func:`learnroi.design.power.plan_power`'s
(two-sample t-test with CUPED, Cohen 1988; Deng et al. 2013). Comparing MDE with the break-even effect
answers the CFO's pre-pilot question: can this pilot tell a paying programme from a losing one?
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from learnroi.core.errors import SpecError, UsageError
from learnroi.core.program import Hypothesis, ProgramSpec
from learnroi.roi.compute import compute_roi
from learnroi.roi.effect import EffectInput
from learnroi.roi.result import TIDY_COLUMNS, RoiResult, _clean, tidy_row
from learnroi.roi.rules import PhillipsRules

if TYPE_CHECKING:
    from learnroi.design.power import KpiKind, PowerResult

GRID = 10_000
"""Quantiles of the assumed-effect range handed to compute_roi (its Monte Carlo resamples them)."""
FORECAST_LABEL = "FORECAST (a hypothesis's assumed effect; not measured)"


@dataclass(frozen=True)
class ForecastResult:
    """Forecast ROI of one hypothesis with the break-even effect and the pilot's MDE beside it.

    Effects (``effect``, ``break_even_effect``, ``mde``) are in the KPI's unit; the ``*_relative``
    fields divide them by ``baseline``. ``can_detect_break_even`` is None when there is no break-even
    effect or no MDE to compare.
    """

    program: str
    kpi: str
    hypothesis_id: str
    assumed_effect: float
    assumed_effect_unit: str
    effect_range: tuple[float, float] | None
    baseline: float
    effect: float
    roi: RoiResult
    break_even_effect: float | None
    break_even_relative: float | None
    mde: float | None
    mde_relative: float | None
    n_available: int | None
    n_source: str
    power_at_assumed: float | None
    power_at_break_even: float | None
    n_required_break_even: int | None
    can_detect_break_even: bool | None
    verdict: str
    advice: tuple[str, ...] = ()
    power_method: str = ""
    notes: tuple[str, ...] = ()
    basis: str = "forecast"
    power: dict[str, Any] = field(default_factory=dict)
    """The :class:`~learnroi.design.power.PowerResult` behind the MDE, as a dict."""

    @property
    def roi_pct(self) -> float | None:
        return self.roi.roi_pct

    def tidy(self) -> pd.DataFrame:
        """The forecast's headline numbers as the project's tidy table (method says "forecast")."""
        r = self.roi
        method = f"forecast ({self.hypothesis_id})"
        rows: list[dict[str, Any]] = [
            tidy_row("roi_pct", r.roi_pct, r.draws, method, r.roi_std, r.roi_conf_low, r.roi_conf_high),
            tidy_row("p_roi_positive", r.p_roi_positive, r.draws, method),
            tidy_row("benefit", r.benefit, r.draws, method),
            tidy_row("cost", r.cost, r.draws, method),
            tidy_row("net_benefit", r.net_benefit, r.draws, method),
            tidy_row("assumed_effect", self.effect, None, method),
            tidy_row("break_even_effect", self.break_even_effect, None, method),
            tidy_row("mde", self.mde, self.n_available, f"{method}; {self.power_method}"),
            tidy_row("power_at_assumed", self.power_at_assumed, self.n_available, method),
            tidy_row("power_at_break_even", self.power_at_break_even, self.n_available, method),
            tidy_row("n_required_break_even", self.n_required_break_even, None, method),
        ]
        out = pd.DataFrame(rows, columns=TIDY_COLUMNS).astype({"estimate": float, "std_error": float})
        out["estimate"] = out["estimate"].where(np.isfinite(out["estimate"]))  # an infinite MDE -> NaN
        return out

    def summary(self) -> str:
        r = self.roi
        cur = r.currency
        rng = ""
        if self.effect_range is not None:
            rng = f" (range {_fmt_effect(self.effect_range[0], self.assumed_effect_unit)} to "
            rng += f"{_fmt_effect(self.effect_range[1], self.assumed_effect_unit)})"
        lines = [
            f"FORECAST ROI of {self.program} on {self.kpi} — basis: {FORECAST_LABEL}",
            f"Hypothesis {self.hypothesis_id!r}: assumed effect "
            f"{_fmt_effect(self.assumed_effect, self.assumed_effect_unit)}{rng} = {self.effect:,.4g} per unit "
            f"on a baseline of {self.baseline:,.6g}",
        ]
        if r.roi_pct is not None and r.p_roi_positive is not None:
            lines.append(
                f"Forecast ROI {r.roi_pct:,.0f} % ({r.level:.0%} interval {r.roi_conf_low:,.0f} % to "
                f"{r.roi_conf_high:,.0f} %); P(ROI > 0) = {r.p_roi_positive:.0%}; forecast benefit "
                f"{cur} {r.benefit or 0:,.0f} vs fully loaded cost {cur} {r.cost:,.0f}"
            )
        lines.append(
            f"Break-even effect {_num(self.break_even_effect)}{_rel(self.break_even_relative)}; "
            f"pilot MDE {_num(self.mde)}{_rel(self.mde_relative)} with n = {self.n_available} "
            f"({self.n_source})"
        )
        lines.append(f"Verdict: {self.verdict}")
        if self.advice:
            lines.append("What a pilot able to detect the break-even effect would need:")
        lines += [f"  - {a}" for a in self.advice]
        lines += [f"  note: {n}" for n in (*self.notes, *r.notes)]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the forecast fields, the nested forecast RoiResult and the power plan."""
        out: dict[str, Any] = {
            k: _clean(getattr(self, k)) for k in self.__dataclass_fields__ if k not in ("roi", "power")
        }
        out["effect_range"] = list(self.effect_range) if self.effect_range else None
        out["advice"] = list(self.advice)
        out["notes"] = list(self.notes)
        out["roi"] = self.roi.to_dict()
        out["power"] = _clean(dict(self.power))
        return out


def forecast_roi(
    spec: ProgramSpec,
    hypothesis: str | Hypothesis,
    *,
    baseline: float,
    kpi_sd: float | None,
    rho: float = 0.0,
    n_available: int | None = None,
    effect_range: tuple[float, float] | None = None,
    ledger: Any | None = None,
    participant_time: Any | None = None,
    kind: KpiKind = "mean",
    allocation: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    icc: float = 0.0,
    cluster_size: float = 1.0,
    draws: int = 100_000,
    seed: int = 0,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen, so a shared default is safe
    level: float = 0.95,
) -> ForecastResult:
    """Forecast ROI of ``hypothesis`` (an id of ``spec.hypotheses`` or a Hypothesis) before a pilot.

    ``baseline``: the KPI's pre-program mean per person and period (turns a relative effect into units);
    ``effect_range``: (low, high) of the assumed effect in the hypothesis's unit (e.g. (0.05, 0.10)),
    drawn triangular(low, assumed, high); ``kpi_sd`` and ``rho`` (pre/post correlation): the KPI's
    person-level standard deviation and CUPED correlation for the MDE; ``n_available``: people in the
    pilot (both arms; default the spec's ``reach``). ``allocation`` defaults to ``[pilot] allocation``.
    """
    hyp = _hypothesis(spec, hypothesis)
    if not (math.isfinite(baseline)):
        raise UsageError(
            f"baseline must be a finite number; got {baseline}",
            hint="Pass the KPI's pre-program mean per person-month (from its history).",
        )
    point = EffectInput.from_hypothesis(hyp, baseline=baseline)
    scale = baseline if hyp.assumed_effect_unit == "relative" else 1.0
    eff = point
    notes: list[str] = []
    if effect_range is not None:
        grid = _triangular_grid(hyp, effect_range) * scale
        eff = EffectInput(**{**point.__dict__, "draws": tuple(float(x) for x in grid)})
        notes.append(
            f"assumed effect drawn triangular({effect_range[0]:g}, {hyp.assumed_effect:g}, "
            f"{effect_range[1]:g}) {hyp.assumed_effect_unit}"
        )
    roi = compute_roi(
        spec,
        eff,
        ledger=ledger,
        participant_time=participant_time,
        basis="forecast",
        draws=draws,
        seed=seed,
        rules=rules,
        level=level,
    )
    n, n_source = _n_available(n_available, roi)
    alloc = allocation if allocation is not None else (spec.pilot.allocation if spec.pilot else 0.5)
    plan = _Plan(kind, baseline, kpi_sd, rho, icc, cluster_size, alloc, alpha, power, n)
    be = roi.break_even_effect
    at_be = plan.run(hyp.kpi, abs(be), notes) if be is not None and be != 0 else None
    at_assumed = plan.run(hyp.kpi, abs(point.estimate), notes) if point.estimate != 0 else None
    ref = at_be or at_assumed
    mde = ref.mde_available if ref is not None else None
    mde = mde if mde is None or math.isfinite(mde) else math.inf
    no_variance = plan.sd is None and plan.kind == "mean"
    unreachable = be is not None and be != 0 and at_be is None and not no_variance
    can = None if be is None or mde is None or unreachable else bool(mde <= abs(be))
    verdict = _verdict(be, mde, can, n, at_be, point.estimate)
    if unreachable:
        verdict = f"the break-even effect {abs(be or 0.0):,.4g} is beyond what this KPI can move: the "
        verdict += "program cannot pay for itself on this KPI, whatever the pilot shows"
    return ForecastResult(
        program=spec.id,
        kpi=hyp.kpi,
        hypothesis_id=hyp.id,
        assumed_effect=float(hyp.assumed_effect),
        assumed_effect_unit=hyp.assumed_effect_unit,
        effect_range=(float(effect_range[0]), float(effect_range[1])) if effect_range else None,
        baseline=float(baseline),
        effect=float(point.estimate),
        roi=roi,
        break_even_effect=be,
        break_even_relative=_ratio(be, baseline),
        mde=mde,
        mde_relative=_ratio(mde, baseline),
        n_available=n,
        n_source=n_source,
        power_at_assumed=at_assumed.power_available if at_assumed else None,
        power_at_break_even=at_be.power_available if at_be else None,
        n_required_break_even=at_be.n_required if at_be else None,
        can_detect_break_even=can,
        verdict=verdict,
        advice=tuple(at_be.advice) if at_be and not can else (),
        power_method=ref.method if ref else "",
        notes=tuple(notes),
        power=ref.to_dict() if ref else {},
    )


@dataclass(frozen=True)
class _Plan:
    kind: KpiKind
    baseline: float
    sd: float | None
    rho: float
    icc: float
    cluster_size: float
    allocation: float
    alpha: float
    power: float
    n: int | None

    def run(self, kpi: str, effect: float, notes: list[str]) -> PowerResult | None:
        # imported here: the design package's __init__ loads the store (and DuckDB), which importing
        # learnroi.roi must not do
        from learnroi.design.power import plan_power

        if self.sd is None and self.kind == "mean":  # e.g. one company-wide series: no people to sample
            note = f"no person-level variance for {kpi!r}: the smallest detectable effect of a pilot is not computed"
            if note not in notes:
                notes.append(note)
            return None
        try:
            return plan_power(
                kpi=kpi,
                kind=self.kind,
                effect=effect,
                baseline=self.baseline,
                sd=self.sd,
                rho=self.rho,
                icc=self.icc,
                cluster_size=self.cluster_size,
                allocation=self.allocation,
                alpha=self.alpha,
                power=self.power,
                n_available=self.n,
            )
        except SpecError as err:
            if self.kind != "proportion" or "proportion" not in err.message:
                raise
            notes.append(f"an effect of {effect:,.4g} is beyond what a proportion KPI can move")
            return None


def _hypothesis(spec: ProgramSpec, hypothesis: str | Hypothesis) -> Hypothesis:
    if isinstance(hypothesis, Hypothesis):
        return hypothesis
    for h in spec.hypotheses:
        if h.id == hypothesis:
            return h
    known = ", ".join(h.id for h in spec.hypotheses) or "none"
    raise SpecError(
        f"program {spec.id!r} has no hypothesis {hypothesis!r}",
        where=f"program {spec.id} [[hypotheses]]",
        hint=f"Use one of: {known}; or add a [[hypotheses]] entry with its assumed effect.",
    )


def _triangular_grid(hyp: Hypothesis, rng: tuple[float, float]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Mid-point quantiles of triangular(low, assumed, high): a deterministic stand-in for its draws."""
    lo, hi = float(rng[0]), float(rng[1])
    mode = float(hyp.assumed_effect)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo <= mode <= hi):
        raise UsageError(
            f"effect_range {rng} must contain the assumed effect {mode:g} ({hyp.assumed_effect_unit})",
            hint="Give (low, high) in the hypothesis's unit, e.g. (0.05, 0.10) for 5-10 %.",
        )
    q = (np.arange(GRID) + 0.5) / GRID
    if hi == lo:
        return np.full(GRID, lo)
    c = (mode - lo) / (hi - lo)
    return np.asarray(stats.triang.ppf(q, c, loc=lo, scale=hi - lo), dtype=float)


def _n_available(n: int | None, roi: RoiResult) -> tuple[int | None, str]:
    if n is not None:
        if n < 4:
            raise UsageError(
                f"n_available must be at least 4 people; got {n}",
                hint="Pass the number of people the pilot can enrol (both arms).",
            )
        return int(n), "given"
    reach = next((a for a in roi.assumptions if a["name"] == "reach"), None)
    if reach is None:
        return None, "unknown"
    return round(float(reach["value"])), "the spec's reach assumption"


def _verdict(
    be: float | None,
    mde: float | None,
    can: bool | None,
    n: int | None,
    at_be: PowerResult | None,
    assumed: float,
) -> str:
    if be is None:
        return "no effect breaks even: the benefit does not grow with the effect (check the KPI's value)"
    side = "above" if abs(assumed) >= abs(be) else "BELOW"
    tail = f"; the assumed effect {abs(assumed):,.4g} is {side} break-even"
    if mde is None:
        return (
            f"no MDE: pass n_available (people in the pilot) to compare with break-even {abs(be):,.4g}{tail}"
        )
    if math.isinf(mde):
        return f"it cannot: {n} people are too few to detect any effect; add people or a longer window{tail}"
    if can:
        return (
            f"the pilot can detect the break-even effect: MDE {mde:,.4g} <= break-even {abs(be):,.4g}{tail}"
        )
    need = f" (about {at_be.n_required:,} people would detect it)" if at_be else ""
    return f"it cannot: MDE {mde:,.4g} > break-even {abs(be):,.4g}; add people or a longer window{need}{tail}"


def _ratio(x: float | None, base: float) -> float | None:
    if x is None or base == 0 or not math.isfinite(x):
        return None
    return x / base


def _fmt_effect(x: float, unit: str) -> str:
    return f"{x:.1%}" if unit == "relative" else f"{x:,.4g} {unit}"


def _num(x: float | None) -> str:
    return "n/a" if x is None else ("none (too few people)" if math.isinf(x) else f"{x:,.4g}")


def _rel(x: float | None) -> str:
    return "" if x is None else f" ({x:.1%} of baseline)"


__all__ = ["ForecastResult", "forecast_roi"]
