"""What the ROI needs to know about an effect: the KPI, the estimate, its standard error, and whether
the design identified it. Built from an attribution result, from participants' estimates
(:mod:`learnroi.roi.estimates`) or from a hypothesis's assumed effect (a forecast)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from scipy import stats

from learnroi.attribution.result import EffectResult
from learnroi.core.errors import SpecError, UsageError
from learnroi.core.program import Hypothesis

Basis = Literal["attributed", "estimates", "forecast"]


@dataclass(frozen=True)
class EffectInput:
    """An effect in the KPI's unit (per person-month or per person, as the spec's KPI link says).

    ``draws`` (optional) are bootstrap draws of the estimate, resampled by the Monte Carlo instead of a
    normal; ``decay_profile`` (optional) multiplies the headline effect month by month (1.0 = the
    headline), e.g. an event study's effects by time since treatment divided by the headline effect.
    """

    kpi: str
    estimate: float
    std_error: float = 0.0
    """The estimate's standard error; NaN when unknown (the interval then reflects the assumptions only)."""
    identified: bool = True
    reasons: tuple[str, ...] = ()
    source: Basis = "attributed"
    n: int | None = None
    method: str = ""
    draws: tuple[float, ...] | None = None
    decay_profile: tuple[float, ...] | None = None
    notes: tuple[str, ...] = ()
    """What was done to build the effect (non-respondents counted as zero, claims excluded...)."""

    def __post_init__(self) -> None:
        if self.std_error < 0 or math.isinf(self.std_error):
            raise UsageError(
                f"std_error of the {self.kpi} effect must be a finite number >= 0; got {self.std_error}",
                hint="Pass the estimate's standard error (0 for a fixed, assumed effect; NaN if unknown).",
            )
        if self.decay_profile is not None and any(
            not (math.isfinite(p) and p >= 0) for p in self.decay_profile
        ):
            raise UsageError(
                "decay_profile multipliers must be finite and >= 0",
                hint="Divide the event study's effects by the headline effect; clip negative months to 0.",
            )

    @classmethod
    def from_effect_result(
        cls,
        result: EffectResult,
        kpi: str | None = None,
        *,
        draws: Sequence[float] | None = None,
        decay_profile: Sequence[float] | None = None,
    ) -> EffectInput:
        """The headline effect of an attribution result (``kpi`` defaults to ``result.extra['kpi']``).

        A result of the ``estimates`` design (participants' estimates) becomes an estimate-based input
        (``source = "estimates"``, never identified); pass it with ``basis="estimates"``.
        """
        name = kpi if kpi is not None else result.extra.get("kpi")
        if not isinstance(name, str) or not name:
            raise UsageError(
                "which KPI is this effect on?",
                hint="Pass kpi=... to EffectInput.from_effect_result (the spec's business_kpi).",
            )
        boot = draws if draws is not None else _float_list(result.extra.get("bootstrap_draws"))
        from_estimates = result.design == "estimates"
        reasons = tuple(result.reasons)
        if from_estimates:
            reasons += ("participants' estimates (least credible isolation method)",)
        return cls(
            kpi=name,
            estimate=float(result.estimate),
            std_error=_interval_se(result),
            identified=bool(result.identified) and not from_estimates,
            reasons=reasons,
            source="estimates" if from_estimates else "attributed",
            n=int(result.n),
            method=result.method,
            draws=tuple(float(d) for d in boot) if boot else None,
            decay_profile=tuple(float(p) for p in decay_profile) if decay_profile is not None else None,
        )

    @classmethod
    def from_hypothesis(cls, hypothesis: Hypothesis, *, baseline: float | None = None) -> EffectInput:
        """A forecast from a hypothesis's assumed effect (relative effects need the KPI's ``baseline``)."""
        effect = float(hypothesis.assumed_effect)
        note = f"forecast from hypothesis {hypothesis.id!r}: assumed effect {effect:g} {hypothesis.assumed_effect_unit}"
        if hypothesis.assumed_effect_unit == "relative":
            if baseline is None:
                raise SpecError(
                    f"hypothesis {hypothesis.id!r} assumes a relative effect ({effect:.0%}) on {hypothesis.kpi}",
                    hint="Pass baseline= (the KPI's pre-program mean per person-month) to turn it into units.",
                )
            effect *= baseline
            note += f" x baseline {baseline:,.4g}"
        return cls(
            kpi=hypothesis.kpi,
            estimate=effect,
            std_error=0.0,
            identified=False,
            reasons=("a forecast from an assumed effect, not a measured one",),
            source="forecast",
            method="hypothesis",
            notes=(note,),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kpi": self.kpi,
            "estimate": self.estimate if math.isfinite(self.estimate) else None,
            "std_error": self.std_error if math.isfinite(self.std_error) else None,
            "identified": self.identified,
            "reasons": list(self.reasons),
            "source": self.source,
            "n": self.n,
            "method": self.method,
            "bootstrap_draws": len(self.draws) if self.draws else 0,
            "decay_profile": list(self.decay_profile) if self.decay_profile else None,
            "notes": list(self.notes),
        }


def _interval_se(result: EffectResult) -> float:
    """The standard error the ROI draws use: the larger of the reported SE and the one implied by the
    result's own interval. Designs that widen their interval beyond ±z·SE (a t(G−1) or wild bootstrap-t
    critical value with few clusters) must widen the ROI range too, or it covers less than the effect."""
    se = _non_negative(result.std_error)
    if not result.terms:
        return se
    lo, hi = result.conf_int()
    z = float(stats.norm.ppf(0.5 + result.terms[0].level / 2))
    implied = (hi - lo) / (2 * z) if math.isfinite(lo) and math.isfinite(hi) else 0.0
    return max(se, implied)


def _non_negative(x: float) -> float:
    return float(x) if math.isnan(x) or x >= 0 else float("nan")


def _float_list(obj: object) -> list[float] | None:
    if isinstance(obj, list | tuple) and obj and all(isinstance(v, int | float) for v in obj):
        return [float(v) for v in obj]
    return None
