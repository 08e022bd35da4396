"""The workbook's ROI model evaluated in Python: the cached values written beside its live formulas.

It implements docs/dev/roi-formulas.md term by term, exactly as the Calculation sheet does, so that a
viewer that does not recalculate shows the same numbers as Excel. It is not the ROI estimate
(``learnroi.roi`` is); the workbook test recalculates the sheet with an independent engine and compares
it with ``learnroi.roi.compute_roi``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from learnroi.core.settings import WEEKS_PER_MONTH
from learnroi.report.data import CostItem, KpiModel, ProgramSection

REACH = "reach"
ADOPTION = "adoption"
HALF_LIFE = "decay_half_life_months"
DISCOUNT = "discount_rate"


@dataclass(frozen=True)
class ModelInputs:
    """What the Inputs sheet holds: assumption values, the monetized links, cost lines, horizon, window."""

    assumptions: Mapping[str, float]
    links: tuple[KpiModel, ...]
    costs: tuple[CostItem, ...]
    horizon: int
    window: int
    fallback_reach: float = 0.0
    profile: tuple[float, ...] | None = None

    @classmethod
    def of(cls, p: ProgramSection) -> ModelInputs:
        return cls(
            assumptions={a.name: a.value for a in p.assumptions},
            links=p.kpis_model,
            costs=p.costs,
            horizon=p.horizon_months,
            window=p.window_months,
            fallback_reach=float(p.learners or p.effect.n or 0),
            profile=p.kpis_model[0].decay_profile if p.kpis_model else None,
        )


@dataclass(frozen=True)
class ModelValues:
    reach: float
    adoption: float
    people: float
    values: tuple[float, ...]
    factors: tuple[float, ...]
    """Benefit per unit of effect, per link (sign included: a decrease is a gain)."""
    benefits: tuple[float, ...]
    cost_charged: tuple[float, ...]
    benefit: float
    cost: float
    net_benefit: float
    roi_pct: float
    bcr: float
    payback_months: float | None
    npv: float
    break_even_effect: float | None
    factor_s: float = 1.0
    """S: decayed, discounted benefit months (1 for a once-per-person benefit)."""
    decay: tuple[float, ...] = field(default=())
    discount: tuple[float, ...] = field(default=())


def value_per_unit(rule: str, assumption: float) -> float:
    """Money per KPI unit (roi-formulas.md): weeks at a monthly cost, a margin, or the assumption itself."""
    if rule == "weeks_to_productivity":
        return assumption / WEEKS_PER_MONTH
    return assumption


def decay_factors(
    horizon: int, window: int, half_life: float | None, profile: tuple[float, ...] | None = None
) -> np.ndarray:
    """d(m): 1 in the window then halving every ``half_life`` months; an event-study ``profile`` of K
    multipliers replaces the window (d(m) = profile[m-1] for m <= K, then profile[K-1] x 0.5^((m-K)/h))."""
    m = np.arange(1, horizon + 1, dtype=float)
    h = half_life if half_life else np.inf
    if profile:
        p = np.asarray(profile, dtype=float)
        k = len(p)
        head = p[np.minimum(m.astype(int), k) - 1]
        return np.asarray(head * 0.5 ** (np.maximum(m - k, 0.0) / h))
    return np.asarray(0.5 ** (np.maximum(m - window, 0.0) / h))


def discount_factors(horizon: int, rate: float) -> np.ndarray:
    m = np.arange(1, horizon + 1, dtype=float)
    return (1.0 + rate) ** (-m / 12.0)


def charged(c: CostItem, people: float) -> float:
    """A line's charge: prorated design/acquisition lines bear ``amount × N / users``, capped at the amount."""
    if c.prorate_over_users and c.gross_amount is not None:
        return min(c.gross_amount, c.gross_amount * people / c.prorate_over_users)
    return c.amount


def evaluate(inp: ModelInputs) -> ModelValues:
    a = inp.assumptions
    reach = float(a.get(REACH, inp.fallback_reach))
    adoption = float(a.get(ADOPTION, 1.0))
    people = reach * adoption
    d = decay_factors(inp.horizon, inp.window, a.get(HALF_LIFE), inp.profile)
    disc = discount_factors(inp.horizon, float(a.get(DISCOUNT, 0.0)))
    recurring = float(np.sum(d * disc))
    values, factors, benefits = [], [], []
    for k in inp.links:
        if k.unit_value is not None:
            v = k.unit_value
        else:
            v = value_per_unit(k.rule, float(a.get(k.value_assumption or "", 0.0)))
        sign = -1.0 if k.direction == "decrease" else 1.0
        f = sign * v * people * (recurring if k.per == "person_month" else 1.0)
        values.append(v)
        factors.append(f)
        benefits.append(f * (k.effect or 0.0))
    costs = tuple(charged(c, people) for c in inp.costs)
    benefit, cost = float(sum(benefits)), float(sum(costs))
    be = None
    if factors and factors[0]:
        be = (cost - (benefit - benefits[0])) / factors[0]
    return ModelValues(
        reach=reach,
        adoption=adoption,
        people=people,
        values=tuple(values),
        factors=tuple(factors),
        benefits=tuple(benefits),
        cost_charged=costs,
        benefit=benefit,
        cost=cost,
        net_benefit=benefit - cost,
        roi_pct=(benefit - cost) / cost * 100 if cost else float("nan"),
        bcr=benefit / cost if cost else float("nan"),
        payback_months=cost / (benefit / inp.horizon) if benefit > 0 else None,
        npv=benefit - cost,
        break_even_effect=be,
        factor_s=recurring if inp.links and inp.links[0].per == "person_month" else 1.0,
        decay=tuple(float(x) for x in d),
        discount=tuple(float(x) for x in disc),
    )
