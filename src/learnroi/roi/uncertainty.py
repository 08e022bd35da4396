"""Honest uncertainty: seeded Monte Carlo over the effect's sampling distribution and the assumption
ranges, one-at-a-time sensitivity (tornado), scenario bands and the break-even effect.

The effect is drawn from N(estimate, SE) or resampled from bootstrap draws; each assumption with a range
is drawn from a triangular(low, value, high) (or uniform) distribution, independently, as in the
Monte Carlo ROI of marketing-mix models. Assumptions the spec's ``[[correlations]]`` tie together are
drawn jointly by a Gaussian copula (Nelsen 2006, §5.3.1; Iman & Conover 1982): correlated normals
(Cholesky) -> uniforms -> each assumption's own inverse CDF, so every marginal is unchanged. All draws
are vectorized (one numpy array per input).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special, stats

from learnroi.core.correlation import correlation_matrix
from learnroi.core.errors import SpecError
from learnroi.core.program import Assumption, Correlation, ProgramSpec
from learnroi.roi import formulas
from learnroi.roi.costs import CostModel
from learnroi.roi.effect import EffectInput
from learnroi.roi.valuation import DEFAULTS, REACH, Valuation

Array = NDArray[np.float64]
Values = dict[str, Array]
EFFECT = "effect"


@dataclass(frozen=True)
class Model:
    """Benefit and cost as functions of the effect and the assumption values (arrays)."""

    valuation: Valuation
    costs: CostModel

    def evaluate(self, effect: Array, values: Mapping[str, Array]) -> tuple[Array, Array]:
        benefit = self.valuation.benefit(effect, values)
        cost = self.costs.total(self.valuation.people(values))
        return np.asarray(benefit, dtype=float), np.asarray(cost, dtype=float)

    def roi(self, effect: Array, values: Mapping[str, Array]) -> Array:
        b, c = self.evaluate(effect, values)
        return formulas.roi_pct(b, c)


def assumption_table(
    spec: ProgramSpec, used: tuple[str, ...], reach: Assumption | None
) -> dict[str, Assumption]:
    """The assumptions the valuation reads, with defaults for absent well-known ones."""
    table: dict[str, Assumption] = {}
    for name in used:
        a = spec.assumptions.get(name)
        if a is None and name == REACH:
            a = reach
        if a is None and name in DEFAULTS:
            a = Assumption(value=DEFAULTS[name], source="learnroi default (docs/dev/roi-formulas.md)")
        if a is None:
            raise SpecError(
                f"program {spec.id!r} needs assumption {name!r} to compute the benefit",
                where=f"program {spec.id} [assumptions]",
                hint=f"Add [assumptions.{name}] with value, low, high and source"
                + (" (how many people the program reaches)." if name == REACH else "."),
            )
        table[name] = a
    return table


def point_values(table: Mapping[str, Assumption]) -> Values:
    return {k: np.asarray([a.value], dtype=float) for k, a in table.items()}


def ranged(table: Mapping[str, Assumption]) -> list[tuple[str, float, float]]:
    """(name, low, high) of every assumption with a genuine range."""
    out = []
    for k, a in table.items():
        lo = a.value if a.low is None else a.low
        hi = a.value if a.high is None else a.high
        if hi > lo:
            out.append((k, float(lo), float(hi)))
    return out


def sample_values(table: Mapping[str, Assumption], rng: np.random.Generator, draws: int) -> Values:
    """One array of ``draws`` values per assumption (constant when it has no range)."""
    out: Values = {}
    for name, a in table.items():
        lo = a.value if a.low is None else a.low
        hi = a.value if a.high is None else a.high
        if hi <= lo:
            out[name] = np.full(draws, float(a.value))
        elif a.distribution == "uniform":
            out[name] = rng.uniform(lo, hi, size=draws)
        else:
            out[name] = rng.triangular(lo, a.value, hi, size=draws)
    return out


def applied_correlations(
    correlations: Sequence[Correlation], table: Mapping[str, Assumption], kpi: str
) -> tuple[tuple[Correlation, ...], tuple[str, ...]]:
    """The correlations between assumptions this valuation reads, and a note for each (applied or not)."""
    applied = tuple(c for c in correlations if c.a in table and c.b in table)
    notes = [
        f"correlation {c.a}~{c.b} (rho {c.rho:g}) not applied: the {kpi} benefit does not use "
        + " or ".join(n for n in (c.a, c.b) if n not in table)
        for c in correlations
        if c not in applied
    ]
    if applied:
        pairs = "; ".join(
            f"{c.a}~{c.b} rho {c.rho:g} (Spearman {spearman_of(c.rho):.2f}; {c.source})" for c in applied
        )
        notes.insert(0, f"assumptions drawn jointly by a Gaussian copula, marginals unchanged: {pairs}")
    return applied, tuple(notes)


def spearman_of(rho: float) -> float:
    """Spearman's rank correlation of a Gaussian copula with normal correlation rho: 6/pi asin(rho/2)
    (Kruskal 1958)."""
    return float(6 / np.pi * np.arcsin(rho / 2))


def inverse_cdf(a: Assumption, u: Array) -> Array:
    """The assumption's quantile function at ``u`` in [0, 1]: uniform or triangular(low, value, high)."""
    lo = float(a.value if a.low is None else a.low)
    hi = float(a.value if a.high is None else a.high)
    if hi <= lo:
        return np.full(u.shape, float(a.value))
    if a.distribution == "uniform":
        return np.asarray(lo + (hi - lo) * u, dtype=float)
    mode = float(a.value)
    split = (mode - lo) / (hi - lo)  # F(mode)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
    return np.where(u <= split, left, right)


def sample_correlated(
    table: Mapping[str, Assumption],
    correlations: Sequence[Correlation],
    rng: np.random.Generator,
    draws: int,
) -> Values:
    """Like :func:`sample_values`, with the assumptions named in ``correlations`` drawn by a Gaussian copula.

    The others are drawn independently first (as :func:`sample_values` does), then one (draws x k) block
    of standard normals times the Cholesky factor's transpose, Phi(.) to uniforms, and each assumption's
    :func:`inverse_cdf`. Without correlations this is :func:`sample_values` itself (same random stream).
    """
    correlations = [c for c in correlations if c.a in table and c.b in table]
    linked = [n for n in table if any(n in (c.a, c.b) for c in correlations)]
    if not linked:
        return sample_values(table, rng, draws)
    out = sample_values({k: a for k, a in table.items() if k not in linked}, rng, draws)
    _, corr = correlation_matrix([(c.a, c.b, c.rho) for c in correlations], linked)
    chol = np.linalg.cholesky(corr)
    # Z = E L^T; einsum, not @: a BLAS call wakes OpenBLAS's threads, which then spin and slow the rest
    z = np.einsum("nk,jk->nj", rng.standard_normal((draws, len(linked))), chol)
    u = special.ndtr(z)
    for j, name in enumerate(linked):
        out[name] = inverse_cdf(table[name], u[:, j])
    return {k: out[k] for k in table}


def sample_effect(effect: EffectInput, estimate: float, rng: np.random.Generator, draws: int) -> Array:
    """The effect's sampling distribution: bootstrap draws resampled, else N(estimate, SE)."""
    if effect.draws:
        return rng.choice(np.asarray(effect.draws, dtype=float), size=draws, replace=True)
    if effect.std_error > 0:  # False for NaN (unknown): the effect is then held fixed
        return rng.normal(estimate, effect.std_error, size=draws)
    return np.full(draws, estimate)


def effect_range(effect: EffectInput, estimate: float, level: float) -> tuple[float, float] | None:
    """The effect's confidence interval (tornado and scenarios), or None for a fixed effect."""
    if effect.draws:
        lo, hi = np.quantile(np.asarray(effect.draws, dtype=float), [(1 - level) / 2, (1 + level) / 2])
        return (float(lo), float(hi)) if hi > lo else None
    if effect.std_error > 0:
        z = float(stats.norm.ppf((1 + level) / 2))
        return estimate - z * effect.std_error, estimate + z * effect.std_error
    return None


def tornado(
    model: Model,
    estimate: float,
    base: Mapping[str, Array],
    inputs: list[tuple[str, float, float]],
) -> list[dict[str, Any]]:
    """ROI with one input at its low and at its high end, the others at their values; widest swing first."""
    bars: list[dict[str, Any]] = []
    for name, lo, hi in inputs:
        at: list[float] = []
        for v in (lo, hi):
            vals = dict(base)
            eff = np.asarray([estimate])
            if name == EFFECT:
                eff = np.asarray([v])
            else:
                vals[name] = np.asarray([v])
            at.append(float(model.roi(eff, vals)[0]))
        bars.append({"name": name, "low": lo, "high": hi, "roi_at_low": at[0], "roi_at_high": at[1]})
    bars.sort(key=lambda b: -abs(float(b["roi_at_high"]) - float(b["roi_at_low"])))
    return bars


def scenario(
    model: Model, estimate: float, base: Mapping[str, Array], bars: list[dict[str, Any]], side: int
) -> tuple[float, dict[str, float]]:
    """Every input at its ROI-lowering end (side = -1), at its value (0) or its ROI-raising end (+1)."""
    vals = dict(base)
    eff = estimate
    chosen: dict[str, float] = {}
    for b in bars:
        if side == 0:
            continue
        low_is_worse = b["roi_at_low"] <= b["roi_at_high"]
        v = b["low"] if (low_is_worse == (side < 0)) else b["high"]
        chosen[b["name"]] = v
        if b["name"] == EFFECT:
            eff = v
        else:
            vals[b["name"]] = np.asarray([v])
    chosen.setdefault(EFFECT, eff)
    for k, arr in vals.items():
        chosen.setdefault(k, float(arr[0]))
    return eff, chosen


def break_even_effect(model: Model, base: Mapping[str, Array]) -> float | None:
    """The effect (in the KPI's unit) at which benefit = cost, other inputs at their values."""
    cost = float(model.evaluate(np.asarray([0.0]), base)[1][0])

    def gap(e: float) -> float:
        return float(model.evaluate(np.asarray([e]), base)[0][0]) - cost

    g0, g1 = gap(0.0), gap(1.0)
    slope = g1 - g0
    if slope != 0 and np.isfinite(slope):
        e = -g0 / slope
        if abs(gap(e)) <= 1e-6 * max(1.0, cost):
            return float(e)
    return _bracketed_root(gap)


def _bracketed_root(f: Callable[[float], float]) -> float | None:
    for sign in (1.0, -1.0):
        lo, x = 0.0, 1e-6
        while x < 1e12:
            a, b = f(sign * lo), f(sign * x)
            if np.isfinite(a) and np.isfinite(b) and a * b <= 0:
                return float(optimize.brentq(f, min(sign * lo, sign * x), max(sign * lo, sign * x)))
            lo, x = x, x * 10
    return None
