"""ROI per cohort and per program year, built on :func:`~learnroi.roi.compute.compute_roi`.

Each cohort gets its own effect, its own reach and its share of the program's fully loaded cost
(Phillips principle 10): participants' time by the cohort's own learners when the participant-time frame
has a ``cohort`` column, every other cost line prorated by reach unless ``cost_shares`` says otherwise.
The cohort costs add up to the program's cost; the program total is ``compute_roi`` on the whole program
with the reach-weighted effect, so no formula of docs/dev/roi-formulas.md is written twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from learnroi.core.errors import DataError, UsageError
from learnroi.core.program import Assumption, CostLine, ProgramSpec
from learnroi.roi import formulas
from learnroi.roi.compute import compute_roi
from learnroi.roi.costs import as_pandas
from learnroi.roi.effect import EffectInput
from learnroi.roi.result import RoiResult
from learnroi.roi.rules import PhillipsRules
from learnroi.roi.valuation import REACH

TOTAL = "total"
"""The label of the program-total row in :meth:`RoiBreakdown.tidy` (not allowed as a cohort id)."""
COHORT = "cohort"
PARTICIPANT_TIME = "participant_time"
BREAKDOWN_FIELDS = (
    "benefit",
    "cost",
    "net_benefit",
    "roi_pct",
    "roi_conf_low",
    "roi_conf_high",
    "p_roi_positive",
    "bcr",
    "payback_months",
)
YEAR_COLUMNS = ["year", "benefit", "cost", "net_benefit", "cumulative_benefit", "cumulative_roi_pct"]


@dataclass(frozen=True)
class RoiBreakdown:
    """One :class:`RoiResult` per cohort (same order as ``cohorts``) and the program ``total``."""

    cohorts: tuple[str, ...]
    results: tuple[RoiResult, ...]
    total: RoiResult
    reach: tuple[float, ...]
    cost_shares: tuple[float, ...]
    """Each cohort's share of the shared (non participant-time) costs."""
    notes: tuple[str, ...] = ()

    def result(self, cohort: str) -> RoiResult:
        """The ROI of one cohort."""
        if cohort not in self.cohorts:
            raise UsageError(
                f"no cohort {cohort!r} in this breakdown",
                hint="Use one of: " + ", ".join(self.cohorts) + ".",
            )
        return self.results[self.cohorts.index(cohort)]

    def tidy(self) -> pd.DataFrame:
        """One row per cohort, then the program total: cohort, reach, cost_share and the ROI fields."""
        rows = [
            _row(c, r, s, res)
            for c, r, s, res in zip(self.cohorts, self.reach, self.cost_shares, self.results, strict=True)
        ]
        rows.append(_row(TOTAL, float(sum(self.reach)), 1.0, self.total))
        return pd.DataFrame(rows, columns=[COHORT, "reach", "cost_share", *BREAKDOWN_FIELDS])

    def by_year(self) -> pd.DataFrame:
        """:func:`roi_by_year` of every cohort with an ROI and of the total, with a ``cohort`` column."""
        frames = [
            roi_by_year(res).assign(cohort=c)
            for c, res in zip((*self.cohorts, TOTAL), (*self.results, self.total), strict=True)
            if res.computed
        ]
        if not frames:
            return pd.DataFrame(columns=[COHORT, *YEAR_COLUMNS])
        out = pd.concat(frames, ignore_index=True)
        return out[[COHORT, *YEAR_COLUMNS]]

    def summary(self) -> str:
        cur = self.total.currency
        lines = [f"ROI of {self.total.program} on {self.total.kpi} by cohort ({self.total.basis})"]
        for c, r, res in zip(
            (*self.cohorts, TOTAL), (*self.reach, sum(self.reach)), (*self.results, self.total), strict=True
        ):
            if res.roi_pct is None:
                roi = "not identified: " + "; ".join(res.reasons)
            else:
                roi = f"ROI {res.roi_pct:,.0f} % ({res.level:.0%} interval {res.roi_conf_low:,.0f} to {res.roi_conf_high:,.0f} %)"
            benefit = "n/a" if res.benefit is None else f"{cur} {res.benefit:,.0f}"
            lines.append(f"  {c:<12} reach {r:,.0f}: {roi}; benefit {benefit}, cost {cur} {res.cost:,.0f}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: each cohort's ``RoiResult.to_dict`` with its cohort, reach and cost share."""
        cohorts = [
            {COHORT: c, "reach": r, "cost_share": s, **res.to_dict()}
            for c, r, s, res in zip(self.cohorts, self.reach, self.cost_shares, self.results, strict=True)
        ]
        return {
            "program": self.total.program,
            "kpi": self.total.kpi,
            "currency": self.total.currency,
            "cohorts": cohorts,
            "total": self.total.to_dict(),
            "notes": list(self.notes),
        }


def roi_by_year(result: RoiResult) -> pd.DataFrame:
    """Benefit by program year against the fully loaded cost, counted up front in year 1 (the cost the
    Phillips payback repays): year, benefit, cost, net_benefit, cumulative_benefit, cumulative_roi_pct.
    The last year's cumulative ROI is the result's ROI. Empty when no ROI was computed."""
    if not result.computed or not result.benefit_by_year:
        return pd.DataFrame(columns=YEAR_COLUMNS)
    years = np.asarray([row["year"] for row in result.benefit_by_year], dtype=float)
    benefit = np.asarray([row["benefit"] for row in result.benefit_by_year], dtype=float)
    cost = np.where(years == years.min(), result.cost, 0.0)
    cumulative = np.cumsum(benefit)
    return pd.DataFrame(
        {
            "year": years.astype(int),
            "benefit": benefit,
            "cost": cost,
            "net_benefit": benefit - cost,
            "cumulative_benefit": cumulative,
            "cumulative_roi_pct": formulas.roi_pct(cumulative, result.cost),
        },
        columns=YEAR_COLUMNS,
    )


def roi_by_cohort(
    spec: ProgramSpec,
    effects: Mapping[str, EffectInput],
    *,
    reach: Mapping[str, float],
    ledger: Any | None = None,
    participant_time: Any | None = None,
    cost_shares: Mapping[str, float] | None = None,
    basis: Literal["attributed", "estimates", "forecast"] = "attributed",
    draws: int = 20_000,
    seed: int = 0,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen, so a shared default is safe
    level: float = 0.95,
) -> RoiBreakdown:
    """The ROI of each cohort of ``spec``'s program and of the whole program.

    ``effects`` and ``reach`` are keyed by cohort id. ``cost_shares`` (shares summing to 1) split the
    shared costs; by default they are prorated by reach. Every cohort uses the same ``seed`` (common
    random numbers), so differences between cohorts are not Monte Carlo noise.
    """
    cohorts = _cohorts(effects, reach)
    weights = np.asarray([float(reach[c]) for c in cohorts]) / sum(float(reach[c]) for c in cohorts)
    shares = _shares(cohorts, weights, cost_shares)
    time = as_pandas(participant_time, "participant-time frame") if participant_time is not None else None
    by_cohort = time is not None and COHORT in time.columns
    if by_cohort and time is not None:
        unknown = sorted(set(time[COHORT].astype(str)) - set(cohorts))
        if unknown:
            raise DataError(
                f"the participant-time frame has learners in cohort(s) {', '.join(unknown)}, which have no effect",
                where="participant time column cohort",
                hint="Pass an effect and a reach for every cohort, or drop those learners' rows.",
            )
    opts: dict[str, Any] = {"basis": basis, "draws": draws, "seed": seed, "rules": rules, "level": level}
    total_reach = float(sum(float(reach[c]) for c in cohorts))
    total = compute_roi(
        with_reach(spec, total_reach),
        pooled_effect(effects, reach, rules=rules),
        ledger=ledger,
        participant_time=participant_time,
        **opts,
    )
    shared = {k: v for k, v in total.cost_breakdown.items() if not (by_cohort and k == PARTICIPANT_TIME)}
    results = []
    for c, share in zip(cohorts, shares, strict=True):
        rows = time[time[COHORT].astype(str) == c] if by_cohort and time is not None else None
        lines = [
            CostLine(
                category=k, amount=v * share, description=f"cohort {c}: {share:.4%} of the program's {k}"
            )
            for k, v in shared.items()
            if v * share > 0
        ]
        if not lines and (rows is None or rows.empty):
            raise DataError(
                f"cohort {c!r} carries no cost",
                where=f"cohort {c}",
                hint="Give it a cost share above zero, or participants' time rows: ROI is undefined without costs.",
            )
        cohort_spec = with_reach(spec, float(reach[c])).model_copy(update={"costs": lines})
        part = None if rows is None or rows.empty else rows
        results.append(compute_roi(cohort_spec, effects[c], ledger=None, participant_time=part, **opts))
    how = "given cost shares" if cost_shares is not None else "reach"
    notes = [f"shared costs split by {how}, at the program's point reach (not varied by the Monte Carlo)"]
    if by_cohort:
        notes.append("participants' time counted for each cohort's own learners")
    return RoiBreakdown(
        cohorts=cohorts,
        results=tuple(results),
        total=total,
        reach=tuple(float(reach[c]) for c in cohorts),
        cost_shares=tuple(float(s) for s in shares),
        notes=tuple(notes),
    )


def pooled_effect(
    effects: Mapping[str, EffectInput],
    reach: Mapping[str, float],
    *,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen, so a shared default is safe
) -> EffectInput:
    """The reach-weighted mean of the cohorts' effects, cohorts taken as independent
    (SE = sqrt(sum w^2 SE^2)); a cohort with no estimate counts as zero under principle 6."""
    cohorts = _cohorts(effects, reach)
    eff = [effects[c] for c in cohorts]
    w = np.asarray([float(reach[c]) for c in cohorts]) / sum(float(reach[c]) for c in cohorts)
    for attr in ("kpi", "source", "decay_profile"):
        if len({repr(getattr(e, attr)) for e in eff}) > 1:
            raise UsageError(
                f"the cohorts' effects differ in {attr}; they cannot be pooled into one program effect",
                hint=f"Pass every cohort's effect with the same {attr} (one KPI, one basis, one decay profile).",
            )
    est = np.asarray([e.estimate for e in eff], dtype=float)
    if rules.no_data_no_improvement:
        est = np.where(np.isfinite(est), est, 0.0)
    se = np.asarray([e.std_error for e in eff], dtype=float)
    ns = [e.n for e in eff]
    return EffectInput(
        kpi=eff[0].kpi,
        estimate=float(np.sum(w * est)),
        std_error=float(np.sqrt(np.sum(w**2 * se**2))),
        identified=all(e.identified for e in eff),
        reasons=tuple(
            dict.fromkeys(f"cohort {c}: {r}" for c, e in zip(cohorts, eff, strict=True) for r in e.reasons)
        ),
        source=eff[0].source,
        n=sum(n for n in ns if n is not None) if all(n is not None for n in ns) else None,
        method="reach-weighted mean of cohort effects",
        decay_profile=eff[0].decay_profile,
        notes=(f"reach-weighted mean of {len(cohorts)} cohort effects (independent cohorts)",),
    )


def _cohorts(effects: Mapping[str, EffectInput], reach: Mapping[str, float]) -> tuple[str, ...]:
    cohorts = tuple(effects)
    if not cohorts or set(cohorts) != set(reach):
        raise UsageError(
            f"effects are given for cohort(s) {sorted(effects)}, reach for {sorted(reach)}",
            hint="Pass an effect and a reach for the same, non-empty set of cohort ids.",
        )
    if TOTAL in cohorts:
        raise UsageError(
            f"{TOTAL!r} is reserved for the program-total row",
            hint="Rename that cohort.",
        )
    bad = [c for c in cohorts if not (math.isfinite(float(reach[c])) and float(reach[c]) > 0)]
    if bad:
        raise UsageError(
            f"reach must be a positive number of people; got {', '.join(f'{c}={reach[c]!r}' for c in bad)}",
            hint="Pass each cohort's head count (people reached), e.g. from the HRIS or the LMS enrolment.",
        )
    return cohorts


def _shares(
    cohorts: tuple[str, ...],
    weights: np.ndarray[Any, np.dtype[np.float64]],
    given: Mapping[str, float] | None,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    if given is None:
        return weights
    s = np.asarray([float(given.get(c, math.nan)) for c in cohorts], dtype=float)
    if set(given) != set(cohorts) or not np.all(np.isfinite(s) & (s >= 0)) or abs(s.sum() - 1) > 1e-6:
        raise UsageError(
            f"cost_shares must give every cohort ({', '.join(cohorts)}) a share >= 0, summing to 1; got {dict(given)}",
            hint="Pass shares of the shared costs summing to 1, or leave cost_shares out to prorate by reach.",
        )
    return np.asarray(s / s.sum(), dtype=float)


def with_reach(
    spec: ProgramSpec, people: float, source: str = "cohort reach passed to roi_by_cohort"
) -> ProgramSpec:
    """``spec`` with the reach assumption set to ``people``; a range is scaled with it (same relative width).
    ``source`` labels the new assumption when the spec had none."""
    old = spec.assumptions.get(REACH)
    if old is None:
        new = Assumption(value=people, unit="people", source=source)
    else:
        k = people / old.value if old.value else math.nan
        if not math.isfinite(k):
            new = Assumption(value=people, unit=old.unit, source=old.source)
        else:
            new = old.model_copy(
                update={
                    "value": people,
                    "low": None if old.low is None else old.low * k,
                    "high": None if old.high is None else old.high * k,
                    "source": old.source if k == 1 else f"{old.source} (scaled to {people:,.6g} people)",
                }
            )
    return spec.model_copy(update={"assumptions": {**spec.assumptions, REACH: new}})


def _row(cohort: str, reach: float, share: float, res: RoiResult) -> dict[str, Any]:
    return {
        COHORT: cohort,
        "reach": reach,
        "cost_share": share,
        **{k: getattr(res, k) for k in BREAKDOWN_FIELDS},
    }


__all__ = ["RoiBreakdown", "pooled_effect", "roi_by_cohort", "roi_by_year", "with_reach"]
