"""The one result type every estimator returns: a frozen effect with its design, estimand and diagnostics.

``tidy()`` gives the snake_case table ``term, estimate, std_error, conf_low, conf_high, p_value, n, method``;
``summary()`` is for people; ``to_dict()`` is for the API and ``attribute --json``. Nothing mutates a
result: re-running with other options returns a new one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from scipy import stats

TIDY_COLUMNS = ["term", "estimate", "std_error", "conf_low", "conf_high", "p_value", "n", "method"]


@dataclass(frozen=True)
class Diagnostic:
    """One check behind a design: its value, the threshold, whether it passed, and a plain-words note."""

    name: str
    value: float | None
    threshold: float | None
    passed: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "threshold": self.threshold,
            "passed": self.passed,
            "note": self.note,
        }


@dataclass(frozen=True)
class Term:
    """One estimated quantity (the main effect, an ATT(g,t) cell, an event-time coefficient…)."""

    term: str
    estimate: float
    std_error: float
    n: int
    conf_low: float | None = None
    conf_high: float | None = None
    p_value: float | None = None
    level: float = 0.95

    def interval(self) -> tuple[float, float]:
        if self.conf_low is not None and self.conf_high is not None:
            return self.conf_low, self.conf_high
        z = float(stats.norm.ppf(0.5 + self.level / 2))
        return self.estimate - z * self.std_error, self.estimate + z * self.std_error

    def pvalue(self) -> float:
        if self.p_value is not None:
            return self.p_value
        if not self.std_error or not math.isfinite(self.std_error):
            return float("nan")
        return float(2 * stats.norm.sf(abs(self.estimate / self.std_error)))


@dataclass(frozen=True)
class EffectResult:
    """A causal effect estimate.

    ``terms[0]`` is the headline effect; further terms are components (cells, event times, arms).
    ``contrasts`` are naive comparisons shown beside the answer, never instead of it.
    ``identified`` is False when the diagnostics do not support the claim; ``reasons`` say why.
    """

    method: str
    design: str
    estimand: str
    terms: tuple[Term, ...]
    n: int
    diagnostics: tuple[Diagnostic, ...] = ()
    contrasts: tuple[Term, ...] = ()
    identified: bool = True
    reasons: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Method-specific tables (balance, event study…) as plain dicts/lists of records."""

    @property
    def estimate(self) -> float:
        return self.terms[0].estimate

    @property
    def std_error(self) -> float:
        return self.terms[0].std_error

    def conf_int(self) -> tuple[float, float]:
        return self.terms[0].interval()

    def tidy(self) -> pd.DataFrame:
        rows = []
        for t in self.terms:
            lo, hi = t.interval()
            rows.append(
                {
                    "term": t.term,
                    "estimate": t.estimate,
                    "std_error": t.std_error,
                    "conf_low": lo,
                    "conf_high": hi,
                    "p_value": t.pvalue(),
                    "n": t.n,
                    "method": self.method,
                }
            )
        return pd.DataFrame(rows, columns=TIDY_COLUMNS)

    def with_refusal(self, reasons: list[str]) -> EffectResult:
        """A copy marked not identified, with the reasons."""
        return replace(self, identified=False, reasons=tuple(self.reasons) + tuple(reasons))

    def summary(self) -> str:
        lo, hi = self.conf_int()
        head = f"{self.method} ({self.design}, {self.estimand}), n = {self.n}"
        if not self.identified:
            lines = [head, "NOT IDENTIFIED — no effect is reported:"] + [f"  - {r}" for r in self.reasons]
        else:
            lines = [
                head,
                f"effect {self.estimate:,.4g} (SE {self.std_error:,.4g}), 95% CI [{lo:,.4g}, {hi:,.4g}]",
            ]
        for d in self.diagnostics:
            mark = "ok" if d.passed else "FAILED"
            lines.append(f"  check {d.name}: {mark}" + (f" — {d.note}" if d.note else ""))
        for c in self.contrasts:
            lines.append(f"  contrast {c.term}: {c.estimate:,.4g} (not the answer)")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.conf_int()
        return {
            "method": self.method,
            "design": self.design,
            "estimand": self.estimand,
            "estimate": self.estimate if self.identified else None,
            "std_error": self.std_error if self.identified else None,
            "conf_low": lo if self.identified else None,
            "conf_high": hi if self.identified else None,
            "n": self.n,
            "identified": self.identified,
            "reasons": list(self.reasons),
            "terms": self.tidy().to_dict(orient="records"),
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "contrasts": [
                {"name": c.term, "estimate": c.estimate, "std_error": c.std_error} for c in self.contrasts
            ],
            "extra": self.extra,
        }


def make_term(
    term: str, estimate: float, std_error: float, n: int, *, df: float | None = None, level: float = 0.95
) -> Term:
    """A :class:`Term` with its interval and p-value filled in: Student t with ``df`` degrees of freedom
    (small samples, few clusters), else the normal approximation."""
    est, se = float(estimate), float(std_error)
    if not math.isfinite(se) or se <= 0:
        return Term(term, est, se, int(n), level=level)
    dist = stats.t(df) if df is not None and math.isfinite(df) and df > 0 else stats.norm
    q = float(dist.ppf(0.5 + level / 2))
    p = float(2 * dist.sf(abs(est / se)))
    return Term(term, est, se, int(n), conf_low=est - q * se, conf_high=est + q * se, p_value=p, level=level)
