"""The blend panel's charts (Vega-Altair, one Vega-Lite specification each, as in :mod:`charts`).

``arms``: each arm's effect against control with its simultaneous interval (left) and its ROI with its
interval (right), coloured by P(ROI > 0). ``content_priority``: the modules to update first (an
observational ranking).
"""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from learnroi.report.blend import treated_arms
from learnroi.report.charts import ACCENT, BAD, GOOD, INK, MUTED, _spec
from learnroi.report.data import ProgramSection
from learnroi.report.fmt import pct, share
from learnroi.report.tables import SUPPRESSED


def _interval_panel(
    df: pd.DataFrame, est: str, lo: str, hi: str, title: str, width: int, height: int, color: alt.Color
) -> alt.LayerChart:
    base = alt.Chart(df).encode(y=alt.Y("arm:N", sort=list(df["arm"]), title=None))
    rule = base.mark_rule(strokeWidth=3, color=MUTED).encode(x=alt.X(f"{lo}:Q", title=title), x2=f"{hi}:Q")
    point = base.mark_point(filled=True, size=90).encode(
        x=f"{est}:Q", color=color, tooltip=["arm", "label_" + est, "p_label"]
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=INK, strokeDash=[4, 2]).encode(x="x:Q")
    layer: alt.LayerChart = (rule + point + zero).properties(width=width, height=height)
    return layer


def arms(p: ProgramSection, width: int = 230, height: int = 130) -> dict[str, Any] | None:
    """Effect (simultaneous interval) and ROI (interval) per arm against control."""
    rows = treated_arms(p.arms)
    if not rows:
        return None
    df = pd.DataFrame([dict(r) for r in rows])
    for c in ("conf_low", "conf_high", "roi_pct", "roi_conf_low", "roi_conf_high", "p_roi_positive"):
        if c not in df.columns:
            df[c] = None
    df["conf_low"] = df["conf_low"].fillna(df["effect"])
    df["conf_high"] = df["conf_high"].fillna(df["effect"])
    df["roi_conf_low"] = df["roi_conf_low"].fillna(df["roi_pct"])
    df["roi_conf_high"] = df["roi_conf_high"].fillna(df["roi_pct"])
    df["label_effect"] = [f"{v:,.3g}" for v in df["effect"]]
    df["label_roi_pct"] = [pct(v) if v == v and v is not None else "n/a" for v in df["roi_pct"]]
    df["p_label"] = [
        f"P(ROI > 0) {share(v)}" if v == v and v is not None else "" for v in df["p_roi_positive"]
    ]
    df["pays"] = [
        "likely" if (v or 0) >= 0.9 else "unclear" if (v or 0) >= 0.5 else "unlikely"
        for v in df["p_roi_positive"]
    ]
    scale = alt.Scale(domain=["likely", "unclear", "unlikely"], range=[GOOD, ACCENT, BAD])
    color = alt.Color("pays:N", scale=scale, legend=alt.Legend(title="pays back", orient="bottom"))
    title = "effect vs control (simultaneous CI)"
    effect = _interval_panel(
        df,
        "effect",
        "conf_low",
        "conf_high",
        title,
        width,
        height,
        color,
    )
    roi_df = df.dropna(subset=["roi_pct"])
    if roi_df.empty:
        return _spec(effect)
    roi = _interval_panel(
        roi_df, "roi_pct", "roi_conf_low", "roi_conf_high", "ROI % (interval)", width, height, color
    )
    return _spec(alt.hconcat(effect, roi))


def content_priority(
    p: ProgramSection, width: int = 420, height: int = 150, top: int = 8
) -> dict[str, Any] | None:
    """The top modules by update priority (reach share x drop-off x (1 - gain / max gain))."""
    rows = [r for r in p.content if r.get("rank") is not None and not r.get(SUPPRESSED)]
    if not rows:
        return None
    df = pd.DataFrame([dict(r) for r in sorted(rows, key=lambda r: int(r["rank"]))[:top]])
    df["label"] = [f"#{int(r)}" for r in df["rank"]]
    base = alt.Chart(df).encode(y=alt.Y("module_id:N", sort=list(df["module_id"]), title=None))
    bars = base.mark_bar(color=ACCENT, cornerRadiusEnd=3).encode(
        x=alt.X("priority:Q", title="update priority (higher = update first)"),
        tooltip=["module_id", "label", alt.Tooltip("priority:Q", format=".3f")],
    )
    text = base.mark_text(align="left", dx=4, color=INK).encode(x="priority:Q", text="label:N")
    return _spec((bars + text).properties(width=width, height=height))


def blend_charts(p: ProgramSection) -> dict[str, dict[str, Any]]:
    """The blend panel's charts the data support, by name."""
    out = {}
    for name, build in (("arms", arms), ("content_priority", content_priority)):
        spec = build(p)
        if spec is not None:
            out[name] = spec
    return out
