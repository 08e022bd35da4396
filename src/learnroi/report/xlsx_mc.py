"""What the workbook's Draws sheet simulates, in numpy: which inputs it draws, its uniforms, and the cached
values of its summary (so a viewer that does not recalculate shows the same figures as Excel).

Not learnroi's Monte Carlo (``learnroi.roi.uncertainty`` is, with 100,000 draws by default): a
1,000-draw simulation that lives in the workbook and follows its Inputs sheet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from learnroi.core.settings import WEEKS_PER_MONTH
from learnroi.report.data import ProgramSection
from learnroi.report.model import ADOPTION, DISCOUNT, HALF_LIFE, REACH, ModelInputs, evaluate

N_DRAWS = 1_000
"""Draws of the workbook's own Monte Carlo (1,000 keep a `formulas` load + recalculation under 5 s)."""
SEED = 0
LEVEL = 0.95
DRAWS_LABEL = f"workbook simulation ({N_DRAWS:,} draws)"


@dataclass(frozen=True)
class Drawn:
    """One input the Draws sheet draws: ``kind`` triangular(low, value, high), uniform(low, high), or
    normal (the effect: value + low x NORM.S.INV(u), ``low`` holding the standard error)."""

    name: str
    value: float
    low: float
    high: float
    kind: str


def drawn_inputs(p: ProgramSection) -> list[Drawn]:
    """The effect (with a standard error) and each ranged assumption the workbook's ROI reads."""
    k = p.kpis_model[0] if p.kpis_model else None
    if k is None or k.effect is None:
        return []
    out: list[Drawn] = []
    if k.std_error is not None and k.std_error > 0:
        out.append(Drawn("effect", k.effect, k.std_error, k.std_error, "normal"))
    used = [REACH, ADOPTION]
    if k.unit_value is None and k.value_assumption:
        used.append(k.value_assumption)
    if k.per == "person_month":
        used += [HALF_LIFE, DISCOUNT]
    for a in p.assumptions:
        if a.name in used and a.low is not None and a.high is not None and a.high > a.low:
            kind = str(getattr(a, "distribution", "triangular"))
            out.append(Drawn(a.name, a.value, a.low, a.high, kind))
    return out


def uniforms(n_inputs: int, draws: int = N_DRAWS, seed: int = SEED) -> np.ndarray:
    """The pre-drawn uniforms, one column per drawn input, kept off 0 and 1 (NORM.S.INV stays finite)."""
    u = np.random.default_rng(seed).random((draws, n_inputs))
    return np.asarray(np.clip(u, 1e-12, 1 - 1e-12), dtype=float)


def quantile(x: Drawn, u: np.ndarray) -> np.ndarray:
    """The input at the uniforms ``u``: the inverse CDF the sheet writes out."""
    c, a, b = x.value, x.low, x.high
    if x.kind == "normal":
        return np.asarray(c + a * special.ndtri(u))
    if x.kind == "uniform":
        return np.asarray(a + (b - a) * u)
    left = a + np.sqrt(u * (b - a) * (c - a))
    right = b - np.sqrt((1 - u) * (b - a) * (b - c))
    return np.asarray(np.where(u <= (c - a) / (b - a), left, right))


def simulate(p: ProgramSection) -> tuple[float, float, float] | None:
    """(low, high, P(ROI > 0)) of the Draws sheet at the report's inputs, or None when it draws nothing."""
    xs = drawn_inputs(p)
    if not xs:
        return None
    k = p.kpis_model[0]
    v = evaluate(ModelInputs.of(p))
    u = uniforms(len(xs))
    d = {x.name: quantile(x, u[:, j]) for j, x in enumerate(xs)}
    point = {a.name: a.value for a in p.assumptions}
    people = d.get(REACH, v.reach) * d.get(ADOPTION, v.adoption)
    value: np.ndarray | float = v.values[0]
    if k.value_assumption in d:
        value = d[k.value_assumption] / (WEEKS_PER_MONTH if k.rule == "weeks_to_productivity" else 1.0)
    s: np.ndarray | float = 1.0
    if k.per == "person_month":
        m = np.arange(1, p.horizon_months + 1, dtype=float)
        h = np.asarray(d.get(HALF_LIFE, point.get(HALF_LIFE, np.inf)), dtype=float).reshape(-1, 1)
        r = np.asarray(d.get(DISCOUNT, point.get(DISCOUNT, 0.0)), dtype=float).reshape(-1, 1)
        if k.decay_profile:
            prof = np.asarray(k.decay_profile, dtype=float)
            kk = len(prof)
            decay = prof[np.minimum(m.astype(int), kk) - 1] * 0.5 ** (np.maximum(m - kk, 0.0) / h)
        else:
            decay = 0.5 ** (np.maximum(m - p.window_months, 0.0) / h)
        s = np.sum(decay * (1 + r) ** (-m / 12), axis=1)
    sign = -1.0 if k.direction == "decrease" else 1.0
    benefit = sign * d.get("effect", k.effect or 0.0) * value * people * s
    cost: np.ndarray | float = 0.0
    for c in p.costs:
        if c.prorate_over_users:
            amount = c.gross_amount if c.gross_amount else c.amount
            cost = cost + amount * np.minimum(people / c.prorate_over_users, 1.0)
        else:
            cost = cost + c.amount
    roi = (benefit - cost) / cost * 100
    lo, hi = np.percentile(roi, [(1 - LEVEL) / 2 * 100, (1 + LEVEL) / 2 * 100])
    return float(lo), float(hi), float(np.mean(roi > 0))
