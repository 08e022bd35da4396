"""The executive page's three drivers, its two recommended actions, and the one-sentence design.

:func:`recommend_actions` is a pure function with these documented rules (also in
docs/explanation/report.md). With ``P`` the probability that ROI > 0 and ``low`` the ROI interval's
lower end:

1. Effect not identified -> **iterate**: measure it with a credible design (what data would fix it);
   second: **stop** the roll-out when the labelled alternative ROI has ``P < 0.5``, else the weakest
   driver (never "scale" on an unidentified effect).
2. ``P >= 0.9`` and ``low > 0`` -> **scale** to the rest of the audience.
3. ``P >= 0.5`` otherwise (the range still reaches below zero) -> **iterate**: enlarge or lengthen the pilot to narrow the range.
4. ``P < 0.5`` -> **stop** the roll-out and redirect the budget.
The second action always works on the weakest driver: completion below 60 % -> raise completion;
competency gain not above zero -> rework the content; otherwise -> lower the cost per learner.
Phillips' guiding principle 12 (communicate to every stakeholder) is why the rules are spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from learnroi.report.fmt import money, share
from learnroi.report.tables import Table

if TYPE_CHECKING:
    from learnroi.report.data import RoiFigures

Verb = Literal["scale", "iterate", "stop"]

SCALE_P = 0.9
ITERATE_P = 0.5
LOW_COMPLETION = 0.6

_DESIGN_WORDS = {
    "randomized": "randomized pilot",
    "rct": "randomized pilot",
    "staggered": "staggered roll-out by waves (difference-in-differences)",
    "did": "difference-in-differences against a comparison group",
    "matched": "matched comparison cohorts",
    "its": "interrupted time series",
    "estimates": "participants' estimates (least credible)",
    "observational": "observational comparison",
}


@dataclass(frozen=True)
class Driver:
    """One of the three drivers (engagement, competency gain, cost) as a value and its wording."""

    name: str
    value: float | None
    text: str


@dataclass(frozen=True)
class Action:
    verb: Verb
    text: str
    rule: str

    def label(self) -> str:
        return f"{self.verb.capitalize()}: {self.text}"


def design_sentence(design: str, n: int, months: int, identified: bool) -> str:
    """``Randomized pilot, 412 people, 6 months.`` — how we know it was the training."""
    if not identified:
        return "Effect not identified: no design in these data isolates the program's effect."
    words = _DESIGN_WORDS.get(design.lower(), design)
    if design.lower() == "its":  # n counts the series' periods, not people
        return f"{words[0].upper()}{words[1:]}, {n:,} months of data, {months} after the start."
    return f"{words[0].upper()}{words[1:]}, {n:,} people, {months} months."


def _stage_n(funnel: Table, *prefixes: str) -> float | None:
    for r in funnel:
        stage = str(r.get("stage", "")).lower()
        if any(stage.startswith(p) for p in prefixes):
            v = r.get("n")
            return float(v) if v is not None else None
    return None


def completion_rate(funnel: Table) -> float | None:
    """Completed over enrolled (None when a cell is suppressed or missing)."""
    enrolled = _stage_n(funnel, "enrol") or (float(funnel[0]["n"]) if funnel and funnel[0].get("n") else None)
    done = _stage_n(funnel, "complet")
    if not enrolled or done is None:
        return None
    return done / enrolled


def mean_gain(competency: Table) -> float | None:
    """The n-weighted mean post - pre gain over unsuppressed rows."""
    num = den = 0.0
    for r in competency:
        g = r.get("gain")
        if g is None and r.get("post_mean") is not None and r.get("pre_mean") is not None:
            g = float(r["post_mean"]) - float(r["pre_mean"])
        if g is None or r.get("suppressed"):
            continue
        w = float(r.get("n") or 1)
        num += w * float(g)
        den += w
    return num / den if den else None


def gain_text(competency: Table) -> str:
    """The mean gain in points; scores given as a share of the maximum are shown out of 100."""
    gain = mean_gain(competency)
    if gain is None:
        return "n/a"
    scores = [float(r[c]) for r in competency for c in ("pre_mean", "post_mean") if r.get(c) is not None]
    if scores and max(scores) <= 1.0:
        return f"{100 * gain:+.1f} points out of 100"
    return f"{gain:+.1f} points"


QUIZ = "quiz_score_mean"
"""The column that marks a quiz-based Level 2 row (``learnroi.pipeline.chain.quiz_learning``)."""


def _no_gain(competency: Table) -> str:
    """No pre/post gain: say what learning evidence there is instead (a post-course quiz), or that there is none."""
    quiz = next((r.get(QUIZ) for r in competency if r.get(QUIZ) is not None), None)
    if quiz is not None:
        return f"Competency gain: no pre-test; post-course quiz mean {100 * float(quiz):.1f} / 100"
    return "Competency gain: no assessment data"


def drivers(
    funnel: Table, competency: Table, cost: float, learners: int | None, currency: str
) -> tuple[Driver, ...]:
    """Engagement (completion rate), competency gain (mean post - pre), cost (fully loaded per learner)."""
    rate = completion_rate(funnel)
    gain = mean_gain(competency)
    per = cost / learners if learners else None
    return (
        Driver("engagement", rate, f"Engagement: {share(rate)} of enrolled learners completed"),
        Driver(
            "competency gain",
            gain,
            _no_gain(competency)
            if gain is None
            else f"Competency gain: {gain_text(competency)} (post - pre assessment)",
        ),
        Driver("cost", per, f"Cost: {money(per, currency)} per learner, fully loaded"),
    )


def _weakest(drv: tuple[Driver, ...], currency: str = "USD") -> Action:
    by = {d.name: d for d in drv}
    rate = by["engagement"].value if "engagement" in by else None
    gain = by["competency gain"].value if "competency gain" in by else None
    if rate is not None and rate < LOW_COMPLETION:
        return Action(
            "iterate",
            f"raise completion (now {share(rate)}): shorter modules, manager nudges, protected time.",
            "completion < 60%",
        )
    if gain is not None and gain <= 0:
        return Action(
            "iterate",
            "rework the content: assessments show no competency gain.",
            "competency gain <= 0",
        )
    cost_text = by["cost"].text.split(": ", 1)[-1] if "cost" in by else "the cost"
    return Action(
        "iterate",
        f"lower the cost per learner ({cost_text}), e.g. more digital delivery.",
        "otherwise: cost",
    )


def _p_text(p: float) -> str:
    """P(ROI > 0) in words; one decimal near a rule's threshold so the text never contradicts the rule."""
    near = any(abs(p - t) < 0.005 for t in (SCALE_P, ITERATE_P))
    return f"P(ROI > 0) = {share(p, 1 if near else 0)}"


def _by_probability(roi: RoiFigures, allow_scale: bool) -> Action:
    p = roi.p_roi_positive
    low = roi.roi_conf_low
    if p is None:
        p = 1.0 if roi.roi_pct > 0 else 0.0
    if allow_scale and p >= SCALE_P and (low is None or low > 0):
        return Action(
            "scale",
            f"roll out to the rest of the audience; {_p_text(p)}.",
            "P(ROI>0) >= 0.9 and low > 0",
        )
    if p >= ITERATE_P:
        return Action(
            "iterate",
            f"enlarge or lengthen the pilot to narrow the range; {_p_text(p)}.",
            "P(ROI>0) >= 0.5, not yet scale",
        )
    return Action(
        "stop",
        f"pause the roll-out and redirect the budget; {_p_text(p)}.",
        "P(ROI>0) < 0.5",
    )


def recommend_actions(
    roi: RoiFigures | None, identified: bool, drv: tuple[Driver, ...]
) -> tuple[Action, Action]:
    """Two actions (scale, iterate or stop) from the result; the rules are in the module docstring."""
    if not identified:
        first = Action(
            "iterate",
            "measure the effect with a credible design (a randomized pilot or a comparison group).",
            "not identified",
        )
        alt = _by_probability(roi, allow_scale=False) if roi is not None else None
        return first, alt if alt is not None and alt.verb == "stop" else _weakest(drv)
    if roi is None:
        return _weakest(drv), _weakest(drv)
    return _by_probability(roi, allow_scale=True), _weakest(drv)


def driver_dict(d: Driver) -> Mapping[str, Any]:
    return {"name": d.name, "value": d.value, "text": d.text}
