"""The chain of evidence and the pre-pilot forecast, as the report shows them.

The chain follows Kirkpatrick's four levels (reaction, learning, application, impact; Kirkpatrick &
Kirkpatrick 2016) with Phillips' fifth, ROI (Phillips & Phillips 2016): each link states its evidence and
how strong it is, and a level with no data says so and what to collect. Written by hand: it only reads
numbers the section already holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnroi.report.actions import gain_text, mean_gain
from learnroi.report.data import EffectView, EvidenceLink, ForecastView, ProgramSection, RoiFigures, as_number
from learnroi.report.fmt import pct, roi_range, share
from learnroi.report.tables import SUPPRESSED, Table

_DESIGN_STRENGTH = {
    "randomized": "randomized",
    "staggered": "staggered roll-out (difference-in-differences)",
    "observational": "observational (adjusted comparison)",
}

_YES_NO = {True: "yes", False: "no", None: "n/a"}
NO_REACTION = "no data — collect a reaction survey at the end of each course"
NO_APPLICATION = "no data — collect manager ratings of on-the-job application at 30/60/90 days"
SUPPRESSED_SURVEY = "suppressed — fewer respondents than the small-cell minimum"
RESPONDENTS_DIFFER = "respondents may differ from non-respondents"


def _n(n: int | None) -> str:
    return f"n={n:,}" if n else "n unknown"


def _learning(competency: Any) -> EvidenceLink:
    gain = mean_gain(competency)
    if gain is None:
        return EvidenceLink(
            2, "Learning", "no data — add a pre- and a post-assessment of the program's skills", "none", False
        )
    n = sum(int(r.get("n") or 0) for r in competency if not r.get("suppressed"))
    pre = [as_number(r.get("pre_mean")) for r in competency if not r.get("suppressed")]
    post = [as_number(r.get("post_mean")) for r in competency if not r.get("suppressed")]
    evidence = f"competency gain {gain_text(competency)} (post − pre assessment)"
    if len(pre) == 1 and pre[0] is not None and post[0] is not None:
        scale = 100.0 if max(pre[0], post[0]) <= 1.0 else 1.0
        evidence += f": {scale * pre[0]:.1f} → {scale * post[0]:.1f}"
    return EvidenceLink(2, "Learning", evidence, f"pre/post, no comparison group, {_n(n)}", True)


def _impact(e: EffectView) -> EvidenceLink:
    design = _DESIGN_STRENGTH.get(e.design, e.design or "unknown design")
    if not e.identified or e.estimate is None:
        why = "; ".join(r.rstrip(".") for r in e.reasons) or "no credible comparison"
        return EvidenceLink(
            4, "Impact", f"effect on {e.kpi} not identified: {why}", f"{design}, not identified", False
        )
    ci = ""
    if e.conf_low is not None and e.conf_high is not None:
        ci = f" (95% CI {e.conf_low:,.2f} to {e.conf_high:,.2f})"
    failed = [str(d.get("name")) for d in e.diagnostics if d.get("passed") is False]
    strength = f"{design}, {_n(e.n)}" + (f"; failed checks: {', '.join(failed)}" if failed else "")
    return EvidenceLink(4, "Impact", f"attributed effect on {e.kpi}: {e.estimate:,.2f}{ci}", strength, True)


def _roi(roi: RoiFigures | None, alt: RoiFigures | None) -> EvidenceLink:
    if roi is not None:
        p = f", P(ROI > 0) = {share(roi.p_roi_positive)}" if roi.p_roi_positive is not None else ""
        text = f"ROI {pct(roi.roi_pct)} (range {roi_range(roi.roi_conf_low, roi.roi_conf_high)}{p})"
        return EvidenceLink(5, "ROI", text, "attributed: rests on the level 4 effect", True)
    if alt is not None:
        text = f"{alt.basis} ROI {pct(alt.roi_pct)}, not attributed to the program"
        return EvidenceLink(5, "ROI", text, f"{alt.basis} only — no measured ROI", False)
    return EvidenceLink(5, "ROI", "no ROI: the impact is not identified", "none", False)


def _rate(r: Mapping[str, Any]) -> str:
    rate = as_number(r.get("response_rate"))
    return "response rate unknown" if rate is None else f"{share(rate)} responded"


def _score(x: Any) -> str:
    v = as_number(x)
    return "n/a" if v is None else f"{v:.2f}"


def _reaction(rows: Table) -> EvidenceLink:
    """Level 1 from the reaction survey's summary: mean ratings (1-5) and the response rate."""
    shown = [r for r in rows if not r.get(SUPPRESSED)]
    if not rows:
        return EvidenceLink(1, "Reaction", NO_REACTION, "none", False)
    if not shown:
        return EvidenceLink(1, "Reaction", SUPPRESSED_SURVEY, "none", False)
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
    strength = f"self-report, {who}, {_rate(r)}; {RESPONDENTS_DIFFER}"
    return EvidenceLink(1, "Reaction", text, strength, True)


def _application(rows: Table) -> EvidenceLink:
    """Level 3 from the application survey: mean behaviour score (1-5) at each of 30/60/90 days."""
    if not rows:
        return EvidenceLink(3, "Application", NO_APPLICATION, "none", False)
    managers = [r for r in rows if r.get("rater_role") == "manager"]
    shown = [r for r in (managers or rows) if not r.get(SUPPRESSED)]
    if not shown:
        return EvidenceLink(3, "Application", SUPPRESSED_SURVEY, "none", False)
    who = "manager" if managers else "rated"
    parts = [
        f"{_score(r.get('behaviour_score'))} at {as_number(r.get('days_after')) or 0:.0f} days "
        f"(n={as_number(r.get('responses')) or 0:,.0f}, {_rate(r)})"
        for r in shown
    ]
    text = f"{who} behaviour score (1-5): " + "; ".join(parts)
    return EvidenceLink(
        3, "Application", text, f"{who} ratings, no comparison group; {RESPONDENTS_DIFFER}", True
    )


def evidence_chain(p: ProgramSection) -> tuple[EvidenceLink, ...]:
    """Levels 1-5 for one program, from what its section holds (a level without data says what to
    collect)."""
    return (
        _reaction(p.reaction),
        _learning(p.competency),
        _application(p.application),
        _impact(p.effect),
        _roi(p.roi, p.alt_roi),
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
