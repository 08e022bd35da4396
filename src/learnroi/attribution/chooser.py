"""The design chooser: pick the most credible design the data support, run it, and refuse weak claims.

``attribute(panel, info)`` reads the employee x period panel (see ``PANEL_COLUMNS``) and what the spec and
store record about the program (:class:`DesignInfo`). Order of credibility: randomized pilot > staggered
roll-out (Callaway & Sant'Anna) > difference-in-differences with a comparison group > matched cohort
(selection on observables) > interrupted time series > participants' estimates (never chosen
automatically). It refuses ("not identified") when the design's own checks fail: a sample-ratio
mismatch, too few clusters, a pre-trend that rejects with a material size, poor overlap, or a key
covariate still imbalanced after matching. The naive contrasts (trained vs untrained, before/after)
are always shown beside the answer and never as the answer (contracts §3/§4).

The rules follow the What Works Clearinghouse standards (randomized designs with low attrition and
no SRM; quasi-experiments need baseline equivalence, |SMD| <= 0.25 with adjustment, <= 0.05 without;
we use Austin's 0.1 after adjustment), Roth et al. (2023, J. Econometrics 235(2)) on pre-trend testing,
and Cameron & Miller (2015, J. Human Resources 50(2)) on few clusters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd

from learnroi.attribution.chooser_designs import (
    Candidate,
    Outcome,
    naive_contrasts,
    people_frame,
    run_did,
    run_estimates,
    run_its,
    run_matched,
    run_randomized,
)
from learnroi.attribution.chooser_staggered import run_staggered
from learnroi.attribution.result import EffectResult, Term
from learnroi.core.errors import DataError
from learnroi.core.options import AttributionDesign, Design, check_option
from learnroi.core.program import ProgramSpec

PANEL_COLUMNS = (
    "employee_id", "period", "kpi", "value", "program_id", "arm", "enrolled", "completed", "treated",
    "first_treated_period", "wave", "cohort", "department", "team_id", "role", "location", "hire_date",
    "tenure_months", "baseline", "post",
)  # fmt: skip


@dataclass(frozen=True)
class DesignInfo:
    """What the spec and the store say about a program's evaluation (never the outcome data)."""

    program_id: str
    kpi: str
    design: Design
    allocation: float = 0.5
    """Planned share of people (or clusters) in the treatment arm (randomized pilots)."""
    cluster: str | None = None
    """Panel column of the randomization unit when teams were randomized (e.g. ``team_id``)."""
    start: date | None = None
    window_months: int = 6
    one_value_per_person: bool = False
    """True when the KPI is one value per person (repeated cross-sections of cohorts, e.g. onboarding)."""
    stagger_cluster: str = "department"
    covariates: tuple[str, ...] = ("tenure_months", "role", "location")
    key_covariates: tuple[str, ...] = ("baseline", "tenure_months")
    min_clusters: int = 30
    material_effect: float | None = None
    """A pre-trend bias smaller than this (KPI units) is immaterial; default 0.1 SD of the KPI."""
    alpha: float = 0.05

    @classmethod
    def from_spec(cls, spec: ProgramSpec, kpi: str | None = None, **overrides: Any) -> DesignInfo:
        """The design facts recorded in a program spec (pilot allocation and cluster, start, window)."""
        p = spec.program
        pilot = spec.pilot
        base: dict[str, Any] = {
            "program_id": p.id, "kpi": kpi or p.primary_kpi, "design": p.design, "start": p.start,
            "window_months": p.evaluation_window_months,
            "allocation": pilot.allocation if pilot else 0.5,
            "cluster": pilot.cluster if pilot and pilot.cluster not in (None, "", "employee") else None,
        }  # fmt: skip
        base.update(overrides)
        return cls(**base)


@dataclass(frozen=True)
class Attribution:
    """The chooser's answer: the design used and its effect, or a refusal with reasons and fixes."""

    program_id: str
    kpi: str
    design: str | None
    result: EffectResult | None
    identified: bool
    reasons: tuple[str, ...]
    fixes: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    contrasts: tuple[Term, ...]
    explanation: str
    fallback: EffectResult | None = None
    """Participants' estimates (least credible), when survey data were given; never the answer."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def estimate(self) -> float | None:
        return self.result.estimate if self.identified and self.result is not None else None

    @property
    def std_error(self) -> float | None:
        return self.result.std_error if self.identified and self.result is not None else None

    @property
    def estimand(self) -> str | None:
        return self.result.estimand if self.result is not None else None

    def tidy(self) -> pd.DataFrame:
        """The chosen result's terms (empty when refused) followed by the naive contrasts."""
        parts = []
        if self.identified and self.result is not None:
            parts.append(self.result.tidy().assign(kind="effect"))
        if self.contrasts:
            c = EffectResult("naive contrast", "none", "none", self.contrasts, 0).tidy()
            parts.append(c.assign(kind="naive contrast"))
        if not parts:
            return EffectResult("none", "none", "none", (), 0).tidy().assign(kind=[])
        return pd.concat(parts, ignore_index=True)

    def summary(self) -> str:
        lines = [f"{self.program_id} / {self.kpi}: design {self.design or 'none'}"]
        if self.result is not None:
            lines.append(self.result.summary())
        elif not self.identified:
            lines += ["NOT IDENTIFIED:"] + [f"  - {r}" for r in self.reasons]
        if self.fixes:
            lines += ["What would fix it:"] + [f"  - {f}" for f in self.fixes]
        lines.append("Designs considered:")
        lines += [f"  - {c.design}: {'used' if c.used else 'not used'} — {c.why}" for c in self.candidates]
        for c in self.contrasts:
            lines.append(f"  {c.term}: {c.estimate:,.4g} (shown for contrast, not the answer)")
        lines.append(self.explanation)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``attribute --json`` object (contracts §1) plus the details."""
        lo, hi = self.result.conf_int() if self.identified and self.result is not None else (None, None)
        return {
            "program": self.program_id,
            "kpi": self.kpi,
            "design": self.design,
            "estimand": self.estimand,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "conf_low": lo,
            "conf_high": hi,
            "n": self.result.n if self.result is not None else 0,
            "identified": self.identified,
            "reasons": list(self.reasons),
            "fixes": list(self.fixes),
            "contrasts": [
                {"name": c.term, "estimate": c.estimate, "std_error": c.std_error} for c in self.contrasts
            ],
            "candidates": [c.to_dict() for c in self.candidates],
            "explanation": self.explanation,
            "result": self.result.to_dict() if self.result is not None else None,
            "fallback": self.fallback.to_dict() if self.fallback is not None else None,
        }


def _auto_order(info: DesignInfo, people: pd.DataFrame) -> list[str]:
    if info.design == "randomized":
        return ["randomized"]
    if info.design == "staggered":
        return ["staggered"]
    has_comparison = bool((~people.trained & ~people.late).sum() > 0)
    has_pre = bool(people.pre_mean.notna().mean() >= 0.5) and not info.one_value_per_person
    if not has_comparison:
        return ["its"]
    return ["did", "matched"] if has_pre else ["matched"]


def attribute(
    panel: pd.DataFrame,
    info: DesignInfo,
    *,
    design: AttributionDesign = "auto",
    seed: int = 0,
    estimates: pd.DataFrame | None = None,
) -> Attribution:
    """Choose the design for ``info.kpi`` of ``info.program_id``, estimate it, or refuse with reasons.

    ``design`` forces one design (its checks still apply). ``estimates``: the survey rows of
    participants' estimates (``surveys/estimates.csv``), run as a labelled fallback, never as the answer
    unless ``design="estimates"``. ``seed`` feeds any resampling (the randomized and DiD designs here
    use analytic SEs, so it is recorded only).
    """
    check_option(design, AttributionDesign, "design")
    missing = [c for c in ("employee_id", "period", "kpi", "value") if c not in panel.columns]
    if missing:
        raise DataError(
            f"the panel lacks columns {missing}", hint="Build it with learnroi.metrics (the panel)."
        )
    rows = panel[panel["kpi"] == info.kpi]
    if "program_id" in rows.columns:
        rows = rows[rows["program_id"].isna() | (rows["program_id"] == info.program_id)]
    if rows.empty:
        raise DataError(
            f"no rows for KPI {info.kpi!r} of program {info.program_id!r} in the panel",
            hint="Check the KPI name against `learnroi kpis`, and that the program's data are ingested.",
        )
    people = people_frame(rows, info)
    contrasts = naive_contrasts(people)
    fallback = run_estimates(estimates, info, int(people.trained.sum()))
    order = _auto_order(info, people) if design == "auto" else [design]
    runners = {"randomized": run_randomized, "staggered": run_staggered, "did": run_did,
               "matched": run_matched, "its": run_its}  # fmt: skip
    tried: list[Candidate] = []
    outcomes: list[Outcome] = []
    chosen: Outcome | None = None
    for name in order:
        if name == "estimates":
            out = (
                Outcome(fallback, (), ("give the participants' estimates (surveys) to run this",))
                if fallback
                else Outcome(
                    None, ("no participants' estimates were given",), ("ingest surveys/estimates.csv",)
                )
            )
        else:
            try:
                out = runners[name](rows, people, info)
            except DataError as err:  # the design cannot run on these data: a refusal, not a crash
                out = Outcome(None, (err.message,), (err.hint,), ran=False)
        ok = out.result is not None and out.result.identified and not out.reasons
        why = "identified: all checks passed" if ok else "; ".join(out.reasons or ("not identified",))
        tried.append(Candidate(name, ok, why))
        outcomes.append(out)
        if chosen is None or (out.ran and not chosen.ran):
            chosen = out
        if ok or out.ran:  # identified, or refused on its own checks: stop (no weaker fallback)
            break
    stopped = next((c.design for c, o in zip(tried, outcomes, strict=True) if o.ran and not c.used), None)
    for name in ("randomized", "staggered", "did", "matched", "its", "estimates"):
        if name not in {c.design for c in tried}:
            why = _skip_reason(name, info, people, design)
            if stopped and name in order:
                why = f"not tried: the {stopped} design ran and failed its checks, and a weaker design cannot cure that"
            tried.append(Candidate(name, False, why))
    assert chosen is not None
    used = next((c.design for c in tried if c.used), None)
    first = next((c.design for c, o in zip(tried, outcomes, strict=False) if o.ran), tried[0].design)
    result = chosen.result
    reasons = () if used else tuple(chosen.reasons) or ("not identified",)
    if result is not None and not used:
        result = result if not result.identified else result.with_refusal(list(reasons))
    if result is not None:
        extra = {**result.extra, "kpi": info.kpi, "program_id": info.program_id}
        result = replace(result, contrasts=tuple(result.contrasts) + contrasts, extra=extra)
    text = _explain(used or first, used is not None, result, reasons, contrasts, info)
    return Attribution(
        program_id=info.program_id, kpi=info.kpi, design=used or first, result=result,
        identified=used is not None, reasons=reasons, fixes=() if used else chosen.fixes,
        candidates=tuple(tried), contrasts=contrasts, explanation=text, fallback=fallback,
        extra={"seed": seed, "n_people": len(people)},
    )  # fmt: skip


def _skip_reason(name: str, info: DesignInfo, people: pd.DataFrame, forced: str) -> str:
    if forced != "auto":
        return f"not requested (design forced to {forced})"
    if name == "randomized":
        return f"the spec's design is {info.design}, not a randomized pilot"
    if name == "staggered":
        return f"the spec's design is {info.design}, not a staggered roll-out"
    if name == "estimates":
        return "participants' estimates are the least credible method; shown only as a labelled fallback"
    if name == "its":
        return "a comparison group exists, so a design that uses it is more credible"
    if name == "matched" and info.one_value_per_person:
        return "not needed: a more credible design was identified"
    return (
        "a more credible design was identified first"
        if name != "did"
        else ("needs a comparison group and a pre-period KPI for the same people")
    )


def _num(x: float) -> str:
    """A number for a sentence: thousands separated, two decimals below 100, none above, three
    significant digits below 0.1 (a win rate's 0.0076 is not 0.00)."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}" if abs(x) >= 0.1 or x == 0 else f"{x:.3g}"


def _explain(
    design: str,
    ok: bool,
    result: EffectResult | None,
    reasons: tuple[str, ...],
    contrasts: tuple[Term, ...],
    info: DesignInfo,
) -> str:
    what = {
        "randomized": "people were assigned to the program at random, so the arms differ only by chance",
        "staggered": "groups started the program at different times, so later starters stand in for earlier ones",
        "did": "trained people's change is compared with the change of similar untrained people",
        "matched": "trained people are compared with untrained people who look alike on recorded traits",
        "its": "the KPI's trend before the program is extended and compared with what happened after",
        "estimates": "participants said how much of their improvement was due to the program",
    }[design]
    naive = "; ".join(f"{c.term} {_num(c.estimate)}" for c in contrasts)
    if not ok or result is None:
        return (
            f"We tried a {design} design ({what}) but will not claim an effect on {info.kpi}: "
            + "; ".join(reasons)
            + (f". Naive contrasts ({naive}) are not effects." if naive else ".")
        )
    lo, hi = result.conf_int()
    return (
        f"Design: {design} — {what}. The program changed {info.kpi} by {_num(result.estimate)} "
        f"(95% interval {_num(lo)} to {_num(hi)}, {result.estimand})."
        + (f" Naive contrasts, shown only for comparison: {naive}." if naive else "")
    )


__all__ = ["PANEL_COLUMNS", "Attribution", "Candidate", "DesignInfo", "attribute"]
