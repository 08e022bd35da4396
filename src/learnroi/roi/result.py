"""The ROI result: one frozen object with the contract fields of ``roi --json`` (contracts §1) and the
tables behind them (cost breakdown, benefit schedule, tornado, scenarios, histogram, assumptions, rules).

``tidy()`` gives the snake_case table ``term, estimate, std_error, conf_low, conf_high, p_value, n,
method``; ``summary()`` is for people; ``to_dict()`` is for the API and ``roi --json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

TIDY_COLUMNS = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "n", "method"]
CONTRACT_FIELDS = (
    "program",
    "identified",
    "benefit",
    "cost",
    "net_benefit",
    "roi_pct",
    "roi_conf_low",
    "roi_conf_high",
    "p_roi_positive",
    "bcr",
    "payback_months",
    "npv",
    "break_even_effect",
    "basis",
)
"""The fields of ``roi --json`` (contracts §1), in order."""
BASIS_LABELS = {
    "attributed": "attributed effect",
    "estimates": "ESTIMATE-BASED (participants' and managers' estimates; least credible)",
    "forecast": "FORECAST (a hypothesis's assumed effect; not measured)",
}


@dataclass(frozen=True)
class RoiResult:
    """The ROI of one program on one KPI, with its uncertainty and everything it rests on.

    ``identified`` is True only for an attributed effect the design identified. When the design refused
    (basis "attributed"), no benefit or ROI is computed: those fields are None and ``reasons`` say why.
    Estimate-based and forecast results carry ``identified = False`` and their ``basis`` as a label.
    """

    program: str
    identified: bool
    benefit: float | None
    cost: float
    net_benefit: float | None
    roi_pct: float | None
    roi_conf_low: float | None
    roi_conf_high: float | None
    p_roi_positive: float | None
    bcr: float | None
    payback_months: float | None
    npv: float | None
    break_even_effect: float | None
    basis: str
    kpi: str = ""
    currency: str = "USD"
    horizon_months: int = 12
    level: float = 0.95
    draws: int = 0
    seed: int = 0
    effect: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    cost_per_learner: float | None = None
    learners: float | None = None
    schedule: tuple[dict[str, float], ...] = ()
    """Benefit by month: month, decay weight, discount factor, benefit (discounted), cumulative."""
    benefit_by_year: tuple[dict[str, float], ...] = ()
    tornado: tuple[dict[str, Any], ...] = ()
    scenarios: tuple[dict[str, Any], ...] = ()
    histogram: dict[str, list[float]] = field(default_factory=dict)
    assumptions: tuple[dict[str, Any], ...] = ()
    rules: tuple[str, ...] = ()
    """The Phillips rules, each stated on or OFF, and what they changed (e.g. the horizon cap)."""
    rule_switches: dict[str, bool] = field(default_factory=dict)
    """The :class:`~learnroi.roi.rules.PhillipsRules` switches used, by name."""
    notes: tuple[str, ...] = ()
    """How the inputs were built (ledger lines used, non-respondents counted as zero...)."""
    intangibles: tuple[dict[str, str], ...] = ()
    roi_std: float | None = None
    net_benefit_draws: NDArray[np.float64] | None = field(default=None, compare=False, repr=False)
    """The simulated net benefit (benefit - cost), one value per Monte Carlo draw (read-only; not in
    ``to_dict``): lets the platform roll-up (:mod:`learnroi.roi.platform`) combine programs' uncertainty."""

    @property
    def computed(self) -> bool:
        """Whether an ROI was computed (False when the attributed effect is not identified)."""
        return self.roi_pct is not None

    def tidy(self) -> pd.DataFrame:
        """The headline numbers as the project's tidy table (ROI % carries its Monte Carlo interval)."""
        method = f"roi ({self.basis})"
        rows: list[dict[str, Any]] = []
        for term in (
            "benefit",
            "cost",
            "net_benefit",
            "roi_pct",
            "bcr",
            "npv",
            "payback_months",
            "break_even_effect",
        ):
            if term == "roi_pct":
                rows.append(
                    tidy_row(
                        term,
                        self.roi_pct,
                        self.draws,
                        method,
                        self.roi_std,
                        self.roi_conf_low,
                        self.roi_conf_high,
                    )
                )
            else:
                rows.append(tidy_row(term, getattr(self, term), self.draws, method))
        return pd.DataFrame(rows, columns=TIDY_COLUMNS).astype({"estimate": float, "std_error": float})

    def summary(self) -> str:
        cur = self.currency
        head = f"ROI of {self.program} on {self.kpi} — basis: {BASIS_LABELS.get(self.basis, self.basis)}"
        lines = [head]
        if not self.computed:
            lines.append("NOT IDENTIFIED — no ROI is computed from this design:")
            lines += [f"  - {r}" for r in self.reasons]
            lines.append(
                "  What would fix it: a randomized pilot or a staggered roll-out (`learnroi design`), or "
                "enough baseline data for the design's checks to pass."
            )
            lines.append(f"Fully loaded cost so far: {_money(self.cost, cur)}")
        else:
            lo, hi = self.roi_conf_low, self.roi_conf_high
            lines += [
                f"ROI {_pct(self.roi_pct)} ({self.level:.0%} interval {_pct(lo)} to {_pct(hi)}); "
                f"P(ROI > 0) = {self.p_roi_positive:.0%}"
                if self.p_roi_positive is not None
                else "",
                f"Benefit {_money(self.benefit, cur)} (discounted, {self.horizon_months} months) vs fully "
                f"loaded cost {_money(self.cost, cur)}: net {_money(self.net_benefit, cur)}, "
                f"BCR {self.bcr:.2f}"
                if self.bcr is not None
                else "",
                f"Payback {'never within reach' if self.payback_months is None else f'{self.payback_months:.1f} months'}; "
                f"NPV {_money(self.npv, cur)}; break-even effect {_num(self.break_even_effect)} per unit",
            ]
            for s in self.scenarios:
                lines.append(f"  {s['name']:<12} ROI {_pct(s['roi_pct'])}")
            if self.tornado:
                top = ", ".join(b["name"] for b in self.tornado[:3])
                lines.append(f"  ROI is most sensitive to: {top}")
            if self.reasons:
                lines += [f"  note: {r}" for r in self.reasons]
        if self.cost_breakdown:
            parts = ", ".join(f"{k} {_money(v, cur)}" for k, v in self.cost_breakdown.items())
            lines.append(f"Costs: {parts}")
        lines += [f"  rule {r}" for r in self.rules]
        lines += [f"  note: {n}" for n in self.notes]
        if self.intangibles:
            lines.append("Intangibles (not monetized): " + "; ".join(i["name"] for i in self.intangibles))
        return "\n".join(line for line in lines if line)

    def to_dict(self) -> dict[str, Any]:
        """The contract fields first, then the tables (JSON-safe: no NaN or infinity)."""
        out: dict[str, Any] = {k: _clean(getattr(self, k)) for k in CONTRACT_FIELDS}
        out.update(
            kpi=self.kpi,
            currency=self.currency,
            horizon_months=self.horizon_months,
            level=self.level,
            draws=self.draws,
            seed=self.seed,
            effect=_clean(self.effect),
            reasons=list(self.reasons),
            cost_breakdown=_clean(self.cost_breakdown),
            cost_per_learner=_clean(self.cost_per_learner),
            learners=_clean(self.learners),
            schedule=_clean(list(self.schedule)),
            benefit_by_year=_clean(list(self.benefit_by_year)),
            tornado=_clean(list(self.tornado)),
            scenarios=_clean(list(self.scenarios)),
            histogram=_clean(self.histogram),
            assumptions=_clean(list(self.assumptions)),
            rules=list(self.rules),
            rule_switches=dict(self.rule_switches),
            notes=list(self.notes),
            intangibles=[dict(i) for i in self.intangibles],
            roi_std=_clean(self.roi_std),
        )
        return out


def tidy_row(
    term: str,
    est: float | None,
    n: int | None,
    method: str,
    se: float | None = None,
    lo: float | None = None,
    hi: float | None = None,
) -> dict[str, Any]:
    """One row of the project's tidy table (``TIDY_COLUMNS``); ROI rows carry no p-value."""
    return {
        "term": term,
        "estimate": est,
        "std_error": se,
        "conf_low": lo,
        "conf_high": hi,
        "p_value": None,
        "n": n,
        "method": method,
    }


def _clean(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _money(x: float | None, cur: str) -> str:
    return "n/a" if x is None else f"{cur} {x:,.0f}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f} %"


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.4g}"
