"""Money from an effect: the monetization rules and the benefit over time (docs/dev/roi-formulas.md).

benefit = gain x value x N x S, with N = reach x adoption and S = sum_m d(m) (1 + r)^(-m/12) for a
recurring KPI (per person-month), S = 1 for a once-per-person KPI. Every function takes assumption values
as arrays (one per Monte Carlo draw), so the point estimate, the tornado and the simulation share one code
path. Monetization follows Phillips' standard values: profit contribution (revenue x contribution
margin), loaded labour cost (time saved, only when redeployed), cost of quality (incidents), replacement
cost (retention), cost per new hire (weeks to productivity x 12/52 of a monthly cost, contracts §3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from learnroi.core.errors import SpecError
from learnroi.core.expression import parse_expression
from learnroi.core.program import KpiLink, ProgramSpec
from learnroi.core.settings import WEEKS_PER_MONTH
from learnroi.roi import expression, formulas

Array = NDArray[np.float64]
Values = Mapping[str, Array]

REACH, ADOPTION, HALF_LIFE, DISCOUNT = "reach", "adoption", "decay_half_life_months", "discount_rate"
DEFAULTS: dict[str, float] = {ADOPTION: 1.0, HALF_LIFE: math.inf, DISCOUNT: 0.0}
"""Values of the well-known assumptions when the spec leaves them out (no decay, no discounting)."""


@dataclass(frozen=True)
class Valuation:
    """How one monetized KPI link turns an effect into money over the horizon."""

    link: KpiLink
    horizon: int
    window: int
    profile: tuple[float, ...] | None = None

    @classmethod
    def for_kpi(
        cls, spec: ProgramSpec, kpi: str, horizon: int, profile: tuple[float, ...] | None = None
    ) -> Valuation:
        link = spec.kpi(kpi)
        if link is None:
            known = ", ".join(k.business_kpi for k in spec.kpis) or "none"
            raise SpecError(
                f"the effect is on KPI {kpi!r}, which the program spec {spec.id!r} does not list",
                hint=f"Add a [[kpis]] entry for {kpi!r}, or pass an effect on one of: {known}.",
            )
        if not link.monetized:
            monetized = ", ".join(k.business_kpi for k in spec.kpis if k.monetized) or "none"
            raise SpecError(
                f"KPI {kpi!r} is not monetized in program {spec.id!r} (path {link.path!r})",
                hint=f"Compute the ROI on a monetized KPI ({monetized}), or set monetized = true "
                "with a rule if it is a separate causal path.",
            )
        return cls(link=link, horizon=horizon, window=spec.program.evaluation_window_months, profile=profile)

    @property
    def recurring(self) -> bool:
        return self.link.per == "person_month"

    def used_assumptions(self) -> tuple[str, ...]:
        """The assumption names this valuation reads (the ones Monte Carlo and the tornado vary)."""
        names = [REACH, ADOPTION]
        if self.recurring:
            names += [HALF_LIFE, DISCOUNT]
        if self.link.rule == "custom" and self.link.expression:
            _, used = parse_expression(self.link.expression)
            names += sorted(used - {"effect", "gain"})
        elif self.link.value_per_unit:
            names.append(self.link.value_per_unit)
        return tuple(dict.fromkeys(names))

    def gain(self, effect: Array) -> Array:
        """The improvement: the effect, or minus the effect for a KPI that should decrease."""
        return -effect if self.link.direction == "decrease" else effect

    def unit_value(self, values: Values) -> Array:
        """Money per unit of gain (per person and period)."""
        name = self.link.value_per_unit or ""
        v = values[name]
        if self.link.rule == "weeks_to_productivity":
            return v / WEEKS_PER_MONTH  # a monthly cost per hire -> per week: x 12/52
        return v

    def per_person(self, effect: Array, values: Values) -> Array:
        """Money per person and period (month, or once) before reach, decay and discounting."""
        gain = self.gain(effect)
        if self.link.rule == "custom":
            names: dict[str, Array | float] = {**values, "effect": effect, "gain": gain}
            return expression.evaluate(self.link.expression or "0", names)
        return gain * self.unit_value(values)

    def people(self, values: Values) -> Array:
        """N = reach x adoption."""
        return values[REACH] * values[ADOPTION]

    def time_factor(self, values: Values) -> Array:
        """S: the decayed, discounted number of benefit months (1 for a once-per-person benefit)."""
        if not self.recurring:
            return np.ones_like(values[REACH])
        return formulas.time_factor(
            self.horizon, self.window, values[HALF_LIFE], values[DISCOUNT], self.profile
        )

    def benefit(self, effect: Array, values: Values) -> Array:
        """The discounted monetary benefit over the horizon, one value per draw."""
        return self.per_person(effect, values) * self.people(values) * self.time_factor(values)

    def schedule(self, effect: float, values: Values) -> list[dict[str, float]]:
        """Benefit by month at point values: month, decay weight, discount factor, benefit, cumulative."""
        per = float(np.asarray(self.per_person(np.asarray([effect]), values)).ravel()[0])
        people = float(np.asarray(self.people(values)).ravel()[0])
        if not self.recurring:
            b = per * people
            return [{"month": 0, "decay": 1.0, "discount": 1.0, "benefit": b, "cumulative": b}]
        h = float(values[HALF_LIFE].ravel()[0])
        r = float(values[DISCOUNT].ravel()[0])
        months = np.arange(1, self.horizon + 1, dtype=np.int64)
        d = formulas.decay_weights(months, self.window, [h], self.profile)[0]
        q = formulas.discount_weights(months, [r])[0]
        b = per * people * d * q
        cum = np.cumsum(b)
        return [
            {
                "month": int(m),
                "decay": float(d[i]),
                "discount": float(q[i]),
                "benefit": float(b[i]),
                "cumulative": float(cum[i]),
            }
            for i, m in enumerate(months)
        ]
