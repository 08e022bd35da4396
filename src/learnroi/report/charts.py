"""Every chart as one Vega-Lite specification (Vega-Altair), drawn by Vega in the HTML and by vl-convert in the PDF.

One specification per chart serves both formats, so the interactive and the static pictures cannot
differ. :func:`program_charts` returns ``{name: spec}``; a chart whose data are missing is left out.
"""

from __future__ import annotations

import math
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from learnroi.report.data import ProgramSection
from learnroi.report.fmt import pct
from learnroi.report.tables import Table, pick, to_frame

INK = "#1f2a44"
ACCENT = "#1b6ca8"
GOOD = "#2e8b57"
BAD = "#c0392b"
MUTED = "#9aa5b8"
BAND = "#cfe0f1"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
VL_VERSION = "6.4"

CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelColor": INK, "titleColor": INK, "gridColor": "#e6e9ef", "domainColor": MUTED},
    "title": {"color": INK, "fontSize": 13, "anchor": "start"},
    "background": "white",
}


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict()
    spec["config"] = {**CONFIG, **spec.get("config", {})}
    return spec


def _frame(table: Table, **columns: tuple[str, ...]) -> pd.DataFrame | None:
    """Rename the first present spelling of each column; None when a required column is absent."""
    if not table:
        return None
    rows = []
    for r in table:
        row = {new: pick(r, *names) for new, names in columns.items()}
        rows.append(row)
    df = pd.DataFrame(rows)
    return df


def funnel(p: ProgramSection, width: int = 320, height: int = 150) -> dict[str, Any] | None:
    df = _frame(p.funnel, stage=("stage",), n=("n", "count", "learners"))
    if df is None:
        return None
    df["label"] = [f"{int(v):,}" if v is not None and v == v else "suppressed" for v in df["n"]]
    df["n"] = pd.to_numeric(df["n"], errors="coerce").fillna(0)
    base = alt.Chart(df).encode(y=alt.Y("stage:N", sort=list(df["stage"]), title=None))
    bars = base.mark_bar(color=ACCENT, cornerRadiusEnd=3).encode(
        x=alt.X("n:Q", title="learners"), tooltip=["stage", "label"]
    )
    text = base.mark_text(align="left", dx=4, color=INK).encode(x="n:Q", text="label:N")
    return _spec((bars + text).properties(width=width, height=height))


def competency(p: ProgramSection, width: int = 320, height: int = 150) -> dict[str, Any] | None:
    df = _frame(
        p.competency,
        group=("group", "cohort", "department", "program", "label"),
        pre=("pre_mean", "pre"),
        post=("post_mean", "post"),
    )
    if df is None or df[["pre", "post"]].isna().all().all():
        return None
    df["group"] = df["group"].fillna("all learners").astype(str)
    long = df.melt(id_vars="group", value_vars=["pre", "post"], var_name="when", value_name="score")
    long = long.dropna(subset=["score"])
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("when:N", sort=["pre", "post"], title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("score:Q", title="mean assessment score"),
            color=alt.Color(
                "when:N", scale=alt.Scale(domain=["pre", "post"], range=[MUTED, ACCENT]), legend=None
            ),
            column=alt.Column("group:N", title=None),
            tooltip=["group", "when", alt.Tooltip("score:Q", format=".1f")],
        )
        .properties(width=max(60, width // max(1, df["group"].nunique())), height=height)
    )
    return _spec(chart)


def gauge_scale(low: float | None, high: float | None, value: float) -> tuple[float, float]:
    """The gauge's range: from -100% (or a round number below the interval) to a round number above it."""
    top = max(v for v in (high, value, 100.0) if v is not None)
    bottom = min(v for v in (low, value, -100.0) if v is not None)
    step = 100.0 if top - bottom <= 600 else 500.0
    return step * math.floor(bottom * 1.05 / step), step * math.ceil(top * 1.1 / step)


def gauge(p: ProgramSection, size: int = 220) -> dict[str, Any] | None:
    """Half-ring gauge: the ROI interval as a band, the point estimate as a needle, the value in words."""
    r = p.headline
    if r is None:
        return None
    lo_s, hi_s = gauge_scale(r.roi_conf_low, r.roi_conf_high, r.roi_pct)

    def ang(v: float) -> float:
        v = min(max(v, lo_s), hi_s)
        return -math.pi / 2 + math.pi * (v - lo_s) / (hi_s - lo_s)

    lo = r.roi_conf_low if r.roi_conf_low is not None else r.roi_pct
    hi = r.roi_conf_high if r.roi_conf_high is not None else r.roi_pct
    arcs = pd.DataFrame(
        [
            {"part": "loss", "t0": ang(lo_s), "t1": ang(0.0), "r0": 62, "r1": 92},
            {"part": "gain", "t0": ang(0.0), "t1": ang(hi_s), "r0": 62, "r1": 92},
            {"part": "interval", "t0": ang(lo), "t1": ang(hi), "r0": 94, "r1": 104},
            {
                "part": "estimate",
                "t0": ang(r.roi_pct) - 0.025,
                "t1": ang(r.roi_pct) + 0.025,
                "r0": 40,
                "r1": 106,
            },
        ]
    )
    colors = alt.Scale(
        domain=["loss", "gain", "interval", "estimate"], range=["#f3d3cf", "#d4ecdd", ACCENT, INK]
    )
    ring = (
        alt.Chart(arcs)
        .mark_arc()
        .encode(
            theta=alt.Theta("t0:Q", scale=None),
            theta2="t1:Q",
            radius=alt.Radius("r0:Q", scale=None),
            radius2="r1:Q",
            color=alt.Color("part:N", scale=colors, legend=None),
        )
    )
    label = "ROI" if p.roi is not None else f"ROI ({r.basis}, not attributed)"
    cx, cy = size / 2, size * 0.62
    ring = ring.mark_arc(stroke="white", strokeWidth=0.5, x=cx, y=cy)
    value = (
        alt.Chart(pd.DataFrame({"text": [pct(r.roi_pct)]}))
        .mark_text(color=INK, x=cx, y=cy - 14, fontSize=26, fontWeight="bold", baseline="middle")
        .encode(text="text:N")
    )
    caption = (
        alt.Chart(pd.DataFrame({"text": [label]}))
        .mark_text(color=INK, x=cx, y=cy + 10, fontSize=11, baseline="middle")
        .encode(text="text:N")
    )
    return _spec(alt.layer(ring, value, caption).properties(width=size, height=int(size * 0.78)))


def cost_breakdown(p: ProgramSection, width: int = 320, height: int = 150) -> dict[str, Any] | None:
    if not p.costs:
        return None
    df = pd.DataFrame([{"category": c.category.replace("_", " "), "amount": c.amount} for c in p.costs])
    df = df.groupby("category", as_index=False).agg(amount=("amount", "sum"))
    chart = (
        alt.Chart(df)
        .mark_bar(color=INK, cornerRadiusEnd=3)
        .encode(
            y=alt.Y("category:N", sort="-x", title=None),
            x=alt.X("amount:Q", title=f"fully loaded cost ({p.currency})", axis=alt.Axis(format="~s")),
            tooltip=["category", alt.Tooltip("amount:Q", format=",.0f")],
        )
    )
    return _spec(chart.properties(width=width, height=height))


def tornado(p: ProgramSection, width: int = 420, height: int = 180) -> dict[str, Any] | None:
    df = _frame(
        p.tornado,
        parameter=("parameter", "assumption", "name"),
        low=("roi_at_low", "roi_low", "roi_pct_low"),
        high=("roi_at_high", "roi_high", "roi_pct_high"),
    )
    if df is None or df[["low", "high"]].isna().any().any():
        return None
    df["swing"] = (df["high"] - df["low"]).abs()
    df["low"], df["high"] = df[["low", "high"]].min(axis=1), df[["low", "high"]].max(axis=1)
    base = p.headline.roi_pct if p.headline else 0.0
    bars = (
        alt.Chart(df)
        .mark_bar(color=ACCENT)
        .encode(
            y=alt.Y("parameter:N", sort=alt.SortField("swing", order="descending"), title=None),
            x=alt.X("low:Q", title="ROI % when the assumption is at its low / high"),
            x2="high:Q",
            tooltip=["parameter", alt.Tooltip("low:Q", format=".1f"), alt.Tooltip("high:Q", format=".1f")],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [base]})).mark_rule(color=INK, strokeDash=[4, 2]).encode(x="x:Q")
    return _spec((bars + rule).properties(width=width, height=height))


def roi_distribution(p: ProgramSection, width: int = 420, height: int = 160) -> dict[str, Any] | None:
    df = _frame(
        p.roi_histogram,
        lo=("bin_start", "bin_low", "left", "lo"),
        hi=("bin_end", "bin_high", "right", "hi"),
        count=("count", "n", "frequency", "density"),
    )
    if df is None or df[["lo", "hi", "count"]].isna().any().any():
        return None
    df["side"] = ["loss" if h <= 0 else "gain" for h in df["hi"]]
    bars = (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X("lo:Q", title="ROI % (simulated)"),
            x2="hi:Q",
            y=alt.Y("count:Q", title="draws"),
            color=alt.Color(
                "side:N", scale=alt.Scale(domain=["loss", "gain"], range=[BAD, GOOD]), legend=None
            ),
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=INK).encode(x="x:Q")
    return _spec((bars + zero).properties(width=width, height=height))


def scenarios(p: ProgramSection, width: int = 420, height: int = 140) -> dict[str, Any] | None:
    df = _frame(
        p.scenarios,
        scenario=("scenario", "name"),
        roi=("roi_pct", "roi"),
        low=("roi_conf_low", "roi_low", "low"),
        high=("roi_conf_high", "roi_high", "high"),
    )
    if df is None or df["roi"].isna().any():
        return None
    df["side"] = ["loss" if v < 0 else "gain" for v in df["roi"]]
    df["label"] = [pct(v) for v in df["roi"]]
    base = alt.Chart(df).encode(y=alt.Y("scenario:N", sort=None, title=None))
    bars = base.mark_bar(height=18, cornerRadiusEnd=3).encode(
        x=alt.X("roi:Q", title="ROI % (every input at its low, expected or high end)"),
        color=alt.Color("side:N", scale=alt.Scale(domain=["loss", "gain"], range=[BAD, GOOD]), legend=None),
        tooltip=["scenario", "label"],
    )
    text = base.mark_text(align="left", dx=4, color=INK).encode(x=alt.X("roi:Q"), text="label:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=INK).encode(x="x:Q")
    return _spec((bars + text + zero).properties(width=width, height=height))


def event_study(p: ProgramSection, width: int = 420, height: int = 160) -> dict[str, Any] | None:
    df = _frame(
        p.effect.event_study,
        t=("event_time", "e", "relative_time", "term"),
        est=("estimate", "att"),
        lo=("conf_low", "ci_low"),
        hi=("conf_high", "ci_high"),
    )
    if df is None or df[["t", "est"]].isna().any().any():
        return None
    df["t"] = pd.to_numeric(df["t"], errors="coerce")
    df["lo"] = df["lo"].fillna(df["est"])
    df["hi"] = df["hi"].fillna(df["est"])
    df["period"] = ["pre" if t < 0 else "post" for t in df["t"]]
    base = alt.Chart(df).encode(x=alt.X("t:Q", title="months since the program started"))
    bars = base.mark_rule(color=MUTED).encode(y=alt.Y("lo:Q", title=f"effect on {p.effect.kpi}"), y2="hi:Q")
    pts = base.mark_point(filled=True, size=40).encode(
        y="est:Q",
        color=alt.Color("period:N", scale=alt.Scale(domain=["pre", "post"], range=[MUTED, ACCENT])),
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=INK, strokeDash=[3, 3]).encode(y="y:Q")
    return _spec((bars + pts + zero).properties(width=width, height=height))


def balance(p: ProgramSection, width: int = 320, height: int = 160) -> dict[str, Any] | None:
    df = to_frame(p.effect.balance)
    if df.empty:
        return None
    var = next((c for c in ("covariate", "variable", "term", "name") if c in df), None)
    smd = [c for c in df.columns if "smd" in c or "std_diff" in c]
    if var is None or not smd:
        return None
    long = df.melt(id_vars=var, value_vars=smd, var_name="stage", value_name="smd").dropna()
    pts = (
        alt.Chart(long)
        .mark_point(filled=True, size=50)
        .encode(
            y=alt.Y(f"{var}:N", title=None),
            x=alt.X("smd:Q", title="standardized mean difference"),
            color=alt.Color("stage:N", scale=alt.Scale(range=[MUTED, ACCENT])),
        )
    )
    lines = (
        alt.Chart(pd.DataFrame({"x": [-0.1, 0.1]})).mark_rule(color=BAD, strokeDash=[3, 3]).encode(x="x:Q")
    )
    return _spec((pts + lines).properties(width=width, height=height))


def benefit_schedule(p: ProgramSection, width: int = 420, height: int = 160) -> dict[str, Any] | None:
    df = _frame(p.benefit_schedule, month=("month", "m"), benefit=("benefit", "discounted_benefit", "value"))
    if df is None or len(df) < 2 or df[["month", "benefit"]].isna().any().any() or p.headline is None:
        return None
    df = df.sort_values("month")
    df["cumulative"] = df["benefit"].cumsum()
    area = (
        alt.Chart(df)
        .mark_area(color=BAND, line={"color": ACCENT})
        .encode(
            x=alt.X("month:Q", title="month"),
            y=alt.Y("cumulative:Q", title=f"cumulative benefit ({p.currency})", axis=alt.Axis(format="~s")),
        )
    )
    cost = alt.Chart(pd.DataFrame({"y": [p.headline.cost]})).mark_rule(color=BAD).encode(y="y:Q")
    return _spec((area + cost).properties(width=width, height=height))


EXECUTIVE = ("funnel", "competency", "gauge", "cost_breakdown")
PRACTITIONER = ("balance", "event_study", "tornado", "roi_distribution", "scenarios", "benefit_schedule")
_BUILDERS = {
    "funnel": funnel,
    "competency": competency,
    "gauge": gauge,
    "cost_breakdown": cost_breakdown,
    "balance": balance,
    "event_study": event_study,
    "tornado": tornado,
    "roi_distribution": roi_distribution,
    "scenarios": scenarios,
    "benefit_schedule": benefit_schedule,
}


def program_charts(p: ProgramSection) -> dict[str, dict[str, Any]]:
    """Every chart the data support, by name (executive ones first)."""
    out = {}
    for name, build in _BUILDERS.items():
        spec = build(p)  # type: ignore[operator]
        if spec is not None:
            out[name] = spec
    return out


def to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    """A static PNG of a chart (vl-convert; no browser)."""
    return bytes(vlc.vegalite_to_png(spec, vl_version=VL_VERSION, scale=scale))


def to_svg(spec: dict[str, Any]) -> str:
    return str(vlc.vegalite_to_svg(spec, vl_version=VL_VERSION))


def vega_bundle() -> str:
    """The Vega, Vega-Lite and Vega-Embed JavaScript for an offline page (vl-convert's bundle)."""
    bundle: Any = vlc.javascript_bundle
    return str(bundle(vl_version=VL_VERSION))
