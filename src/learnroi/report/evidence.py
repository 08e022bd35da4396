"""The chain of evidence and the pre-pilot forecast, as the report shows them.

The chain follows Kirkpatrick's four levels (reaction, learning, application, impact; Kirkpatrick &
Kirkpatrick 2016) with Phillips' fifth, ROI (Phillips & Phillips 2016): each link states its evidence and
how strong it is, and a level with no data says so and what to collect. Written by hand: it only reads
numbers the section already holds.

Every link's ``strength`` starts with a grade, then the reasons: ``strong`` (a randomized comparison),
``moderate`` (an identified quasi-experiment; manager ratings or a pre/post test with enough people and
answers), ``weak`` (self-report, a post-only quiz, a response rate under :data:`MIN_RESPONSE_RATE`, fewer
than :data:`MIN_N` people) or ``none`` (no usable data; an ROI that is only a forecast or an estimate). A failed
diagnostic lowers an impact's grade one step; the ROI is never stronger than the impact it rests on. The
design ranking follows the Maryland Scientific Methods Scale (Sherman et al. 1997; Farrington et al. 2002:
randomized > comparison with controls > before/after without comparison); the 60 % response-rate bar is
the usual minimum for survey research (Fincham 2008, *Am. J. Pharm. Educ.* 72(2):43).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnroi.report.actions import QUIZ, gain_text, mean_gain
from learnroi.report.data import EffectView, EvidenceLink, ForecastView, ProgramSection, RoiFigures, as_number
from learnroi.report.fmt import pct, roi_range, share
from learnroi.report.tables import SUPPRESSED, Table

STRONG, MODERATE, WEAK, NONE = "strong", "moderate", "weak", "none"
GRADES = (STRONG, MODERATE, WEAK, NONE)
"""Strength grades, strongest first."""
MIN_RESPONSE_RATE = 0.60
"""Below this response rate a survey link is weak (non-response may bias it; Fincham 2008)."""
MIN_N = 30
"""Below this many people (respondents, learners with both scores) a link is weak."""
_DESIGN_STRENGTH = {
    "randomized": "randomized",
    "staggered": "staggered roll-out (difference-in-differences)",
    "did": "difference-in-differences",
    "its": "interrupted time series (no comparison group)",
    "matched": "matched comparison",
    "observational": "observational (adjusted comparison)",
    "estimates": "participants' estimates (Phillips)",
}
_DESIGN_GRADE = {"randomized": STRONG, "estimates": WEAK}
"""Grade of an identified effect by design; any other identified design is moderate."""

_YES_NO = {True: "yes", False: "no", None: "n/a"}
NO_REACTION = "no data — collect a reaction survey at the end of each course"
NO_LEARNING = "no data — add a pre- and a post-assessment of the program's skills"
NO_APPLICATION = "no data — collect manager ratings of on-the-job application at 30/60/90 days"
SUPPRESSED_SURVEY = "suppressed — fewer respondents than the small-cell minimum"
SUPPRESSED_LEARNING = "suppressed — fewer learners than the small-cell minimum"
RESPONDENTS_DIFFER = "respondents may differ from non-respondents"


def graded(grade: str, reasons: str) -> str:
    """A link's strength: the grade, then why (``"moderate — pre/post, no comparison group, n=120"``)."""
    return f"{grade} — {reasons}" if reasons else grade


def _lower(grade: str) -> str:
    return GRADES[min(GRADES.index(grade) + 1, GRADES.index(WEAK))] if grade != NONE else NONE


def _n(n: int | None) -> str:
    return f"n={n:,}" if n else "n unknown"


def _few(n: float | None) -> bool:
    return n is None or n < MIN_N


def _low(rate: float | None) -> bool:
    return rate is None or rate < MIN_RESPONSE_RATE


def _quiz(rows: list[Mapping[str, Any]]) -> EvidenceLink:
    """Level 2 from post-course quizzes only: what learners know after the course, not what they learned."""
    r = rows[0]
    parts = [f"mean first-attempt score {100 * float(r[QUIZ]):.1f} / 100"]
    first = as_number(r.get("first_attempt_pass_rate"))
    if first is not None:
        parts.append(f"{share(first)} passed at the first attempt")
    passed = as_number(r.get("pass_rate"))
    if passed is not None:
        parts.append(f"{share(passed)} of completers passed")
    n = int(as_number(r.get("n")) or 0)
    evidence = "quiz results (no pre-test): " + ", ".join(parts)
    return EvidenceLink(
        2, "Learning", evidence, graded(WEAK, f"post-course quiz only, no baseline, {_n(n)}"), True
    )


def _learning(competency: Table) -> EvidenceLink:
    shown = [r for r in competency if not r.get(SUPPRESSED)]
    quiz = [r for r in shown if r.get(QUIZ) is not None]
    if quiz and mean_gain(competency) is None:
        return _quiz(quiz)
    gain = mean_gain(competency)
    if gain is None:
        text = SUPPRESSED_LEARNING if competency and not shown else NO_LEARNING
        return EvidenceLink(2, "Learning", text, NONE, False)
    n = sum(int(r.get("n") or 0) for r in shown)
    pre = [as_number(r.get("pre_mean")) for r in shown]
    post = [as_number(r.get("post_mean")) for r in shown]
    evidence = f"competency gain {gain_text(competency)} (post − pre assessment)"
    if len(pre) == 1 and pre[0] is not None and post[0] is not None:
        scale = 100.0 if max(pre[0], post[0]) <= 1.0 else 1.0
        evidence += f": {scale * pre[0]:.1f} → {scale * post[0]:.1f}"
    grade = WEAK if _few(n) else MODERATE
    return EvidenceLink(
        2, "Learning", evidence, graded(grade, f"pre/post, no comparison group, {_n(n)}"), True
    )


def impact_grade(e: EffectView) -> str:
    """``strong`` for a randomized effect, ``moderate`` for another identified design, ``weak`` for
    estimates; one step lower with a failed diagnostic; ``none`` when not identified."""
    if not e.identified or e.estimate is None:
        return NONE
    grade = _DESIGN_GRADE.get(e.design, MODERATE)
    return _lower(grade) if any(d.get("passed") is False for d in e.diagnostics) else grade


def _impact(e: EffectView) -> EvidenceLink:
    design = _DESIGN_STRENGTH.get(e.design, e.design or "unknown design")
    if not e.identified or e.estimate is None:
        why = "; ".join(r.rstrip(".") for r in e.reasons) or "no credible comparison"
        return EvidenceLink(
            4,
            "Impact",
            f"effect on {e.kpi} not identified: {why}",
            graded(NONE, f"{design}, not identified"),
            False,
        )
    ci = ""
    if e.conf_low is not None and e.conf_high is not None:
        ci = f" (95% CI {e.conf_low:,.2f} to {e.conf_high:,.2f})"
    failed = [str(d.get("name")) for d in e.diagnostics if d.get("passed") is False]
    size = f"{e.n:,} months" if e.design == "its" and e.n else _n(e.n)  # a series: n counts periods
    reasons = f"{design}, {size}" + (f"; failed checks: {', '.join(failed)}" if failed else "")
    text = f"attributed effect on {e.kpi}: {e.estimate:,.2f}{ci}"
    return EvidenceLink(4, "Impact", text, graded(impact_grade(e), reasons), True)


def _roi(roi: RoiFigures | None, alt: RoiFigures | None, impact: str) -> EvidenceLink:
    if roi is not None:
        p = f", P(ROI > 0) = {share(roi.p_roi_positive)}" if roi.p_roi_positive is not None else ""
        text = f"ROI {pct(roi.roi_pct)} (range {roi_range(roi.roi_conf_low, roi.roi_conf_high)}{p})"
        return EvidenceLink(5, "ROI", text, graded(impact, "attributed: rests on the level 4 effect"), True)
    if alt is not None:
        text = f"{alt.basis} ROI {pct(alt.roi_pct)}, not attributed to the program"
        return EvidenceLink(5, "ROI", text, graded(NONE, f"{alt.basis} only — no measured ROI"), False)
    return EvidenceLink(5, "ROI", "no ROI: the impact is not identified", NONE, False)


def _rate(r: Mapping[str, Any]) -> str:
    rate = as_number(r.get("response_rate"))
    return "response rate unknown" if rate is None else f"{share(rate)} responded"


def _score(x: Any) -> str:
    v = as_number(x)
    return "n/a" if v is None else f"{v:.2f}"


def _pooled_rate(rows: list[Mapping[str, Any]]) -> float | None:
    """Responses over invitations summed over the rows; without counts, the lowest row's rate."""
    pairs = [(as_number(r.get("responses")), as_number(r.get("invited"))) for r in rows]
    counted = [(a, b) for a, b in pairs if a is not None and b]
    if len(counted) == len(rows):
        return sum(a for a, _ in counted) / sum(b for _, b in counted)
    rates = [x for x in (as_number(r.get("response_rate")) for r in rows) if x is not None]
    return min(rates) if len(rates) == len(rows) else None


def _caveats(rate: float | None, n: float | None) -> list[str]:
    out = []
    if rate is not None and rate < MIN_RESPONSE_RATE:  # one decimal: 59.6 % must not print as 60 %
        out.append(f"response rate {100 * rate:.1f}% is below {share(MIN_RESPONSE_RATE)}")
    if n is not None and n < MIN_N:
        out.append(f"fewer than {MIN_N} respondents")
    return out


def _reaction(rows: Table) -> EvidenceLink:
    """Level 1 from the reaction survey's summary: mean ratings (1-5) and the response rate. Always weak:
    learners' own opinion of the course."""
    shown = [r for r in rows if not r.get(SUPPRESSED)]
    if not rows:
        return EvidenceLink(1, "Reaction", NO_REACTION, NONE, False)
    if not shown:
        return EvidenceLink(1, "Reaction", SUPPRESSED_SURVEY, NONE, False)
    r = shown[0]
    extras = [
        f"{k.replace('_', ' ')} {_score(r[k])}"
        for k in ("relevance", "intent_to_apply")
        if r.get(k) is not None
    ]
    text = f"mean satisfaction {_score(r.get('satisfaction'))} / 5" + (
        f" ({', '.join(extras)})" if extras else ""
    )
    n = as_number(r.get("responses"))
    who = f"{n:,.0f} respondents" if n is not None else "respondents"
    invited = as_number(r.get("invited"))
    if invited:
        who += f" of {invited:,.0f} invited"
    caveats = _caveats(as_number(r.get("response_rate")), n)
    reasons = f"self-report, {who}, {_rate(r)}; {RESPONDENTS_DIFFER}" + "".join(f"; {c}" for c in caveats)
    return EvidenceLink(1, "Reaction", text, graded(WEAK, reasons), True)


def _application(rows: Table) -> EvidenceLink:
    """Level 3 from the application survey: mean behaviour score (1-5) at each of 30/60/90 days. Manager
    ratings are moderate when the pooled response rate and the smallest wave are large enough; self or
    peer ratings are weak."""
    if not rows:
        return EvidenceLink(3, "Application", NO_APPLICATION, NONE, False)
    managers = [r for r in rows if r.get("rater_role") == "manager"]
    shown = [r for r in (managers or rows) if not r.get(SUPPRESSED)]
    if not shown:
        return EvidenceLink(3, "Application", SUPPRESSED_SURVEY, NONE, False)
    who = "manager" if managers else "rated"
    parts = [
        f"{_score(r.get('behaviour_score'))} at {as_number(r.get('days_after')) or 0:.0f} days "
        f"(n={as_number(r.get('responses')) or 0:,.0f}, {_rate(r)})"
        for r in shown
    ]
    text = f"{who} behaviour score (1-5): " + "; ".join(parts)
    rate = _pooled_rate(shown)
    smallest = min((as_number(r.get("responses")) or 0.0) for r in shown)
    caveats = _caveats(rate, smallest)
    if rate is not None and not _low(rate):
        caveats.insert(0, f"{share(rate)} responded overall")
    grade = MODERATE if managers and not _low(rate) and not _few(smallest) else WEAK
    raters = "manager ratings" if managers else "self or peer ratings"
    reasons = f"{raters}, no comparison group; {RESPONDENTS_DIFFER}" + "".join(f"; {c}" for c in caveats)
    return EvidenceLink(3, "Application", text, graded(grade, reasons), True)


def evidence_chain(p: ProgramSection) -> tuple[EvidenceLink, ...]:
    """Levels 1-5 for one program, from what its section holds (a level without data says what to
    collect)."""
    return (
        _reaction(p.reaction),
        _learning(p.competency),
        _application(p.application),
        _impact(p.effect),
        _roi(p.roi, p.alt_roi, impact_grade(p.effect)),
    )


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def forecast_view(f: Any, kpi_unit: str = "") -> ForecastView:
    """A ``learnroi.roi.ForecastResult`` (or a mapping with its fields) as the report shows it; its effects
    (assumed, break-even, MDE) are in the KPI's unit ``kpi_unit``."""
    roi = _get(f, "roi")
    n = _get(f, "n_available")
    detect = _get(f, "can_detect_break_even")
    return ForecastView(
        hypothesis_id=str(_get(f, "hypothesis_id") or ""),
        kpi=str(_get(f, "kpi") or ""),
        assumed_effect=as_number(_get(f, "effect")),
        effect_unit=kpi_unit,
        roi_pct=as_number(_get(roi, "roi_pct")),
        roi_conf_low=as_number(_get(roi, "roi_conf_low")),
        roi_conf_high=as_number(_get(roi, "roi_conf_high")),
        p_roi_positive=as_number(_get(roi, "p_roi_positive")),
        break_even_effect=as_number(_get(f, "break_even_effect")),
        mde=as_number(_get(f, "mde")),
        n_available=int(n) if n is not None else None,
        can_detect_break_even=None if detect is None else bool(detect),
        verdict=str(_get(f, "verdict") or ""),
    )


def forecast_rows(forecasts: tuple[ForecastView, ...]) -> list[dict[str, Any]]:
    """One labelled FORECAST row per hypothesis (for the workbook's Forecast sheet)."""
    return [
        {
            "basis": "FORECAST (before the pilot)",
            "hypothesis": f.hypothesis_id,
            "kpi": f.kpi,
            "effect unit": f.effect_unit,
            "assumed effect": f.assumed_effect,
            "forecast ROI %": f.roi_pct,
            "forecast ROI low %": f.roi_conf_low,
            "forecast ROI high %": f.roi_conf_high,
            "P(ROI > 0)": f.p_roi_positive,
            "break-even effect": f.break_even_effect,
            "pilot MDE": f.mde,
            "pilot n": f.n_available,
            "pilot can detect break-even": _YES_NO[f.can_detect_break_even],
            "verdict": f.verdict,
        }
        for f in forecasts
    ]


def forecast_display(f: ForecastView) -> list[tuple[str, str]]:
    """The forecast's figures as label/value pairs, every label saying "forecast" or "pilot"."""

    def eff(x: float | None) -> str:
        if x is None:
            return "n/a"
        body = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"
        return f"{body} {f.effect_unit}".rstrip()

    detect = _YES_NO[f.can_detect_break_even]
    mde = eff(f.mde) + (f" (pilot n={f.n_available:,})" if f.n_available else "")
    return [
        ("forecast ROI", f"{pct(f.roi_pct)} (range {roi_range(f.roi_conf_low, f.roi_conf_high)})"),
        ("forecast P(ROI > 0)", share(f.p_roi_positive)),
        ("assumed effect on " + f.kpi, eff(f.assumed_effect)),
        ("break-even effect", eff(f.break_even_effect)),
        ("pilot's minimum detectable effect", mde),
        ("pilot can detect the break-even effect", detect),
    ]
