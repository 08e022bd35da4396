"""The blended-learning blocks of the report: per-arm results, the content ranking, the modality mix,
survey summaries (Kirkpatrick levels 1 and 3), qualitative notes, ROI per cohort and per year, retention
per arm (Kaplan-Meier exit share within the horizon, Greenwood intervals, Cox hazard ratio) and the
platform's own ROI.

Each builder turns one plain input (a frame, a ``KpiTable``, a result object or its ``to_dict()``) into a
frozen :data:`~learnroi.report.tables.Table` with small cells suppressed, so every exporter shows the same
rows. The per-arm comparison is randomized (Dunnett-type simultaneous intervals, Dunnett 1955); the
content ranking and the modality mix are observational associations and are labelled so everywhere.
Qualitative notes are shown beside the estimate, counted, and never monetized (Phillips & Phillips 2016:
intangible evidence is reported, not converted to money).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from learnroi.report.adapt import for_program, frame_of
from learnroi.report.tables import SUPPRESSED, Table, pick, records_or_empty, suppress, to_table

ARM_COLUMNS = (
    "arm",
    "n",
    "effect",
    "std_error",
    "conf_low",
    "conf_high",
    "p_adjusted",
    "cost",
    "cost_per_learner",
    "benefit",
    "roi_pct",
    "roi_conf_low",
    "roi_conf_high",
    "p_roi_positive",
)
"""The per-arm frame of contract §5 (``ArmAnalysis.tidy()``)."""
ARM_COST_PARTS = ("cost_arm", "cost_shared", "cost_participant_time")
"""Optional per-arm cost components (ledger lines of the arm, its share of the shared lines, its learners'
time); when present the workbook's Blend sheet splits the cost into them."""
REFERENCE = "control"
CONTENT_KPIS = {
    "reach": "reach",
    "reach_share": "reach_share",
    "drop_off": "drop_off",
    "drop_off_rate": "drop_off",
    "median_minutes": "median_minutes",
    "revisit_rate": "revisit_rate",
    "module_check_gain": "check_gain",
    "check_gain": "check_gain",
    "gain": "check_gain",
    "attendance_rate": "attendance_rate",
    "update_priority": "priority",
    "priority": "priority",
}
CONTENT_COLUMNS = (
    "not_ranked",
    "module_id",
    "modality",
    "reach",
    "drop_off",
    "median_minutes",
    "revisit_rate",
    "check_gain",
    "attendance_rate",
    "priority",
)
OBSERVATIONAL = "observational association (not randomized): where to look, not what caused it"
STANCES = ("supports", "contradicts", "neutral")


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f else None


def _frame(obj: Any, program_id: str) -> pd.DataFrame | None:
    """One program's rows from a frame, records, a result with a ``.table`` frame (``KpiTable``,
    ``SurveySummary``) or a result with ``.tidy()`` (``ArmAnalysis``, ``RoiBreakdown``)."""
    if obj is None:
        return None
    if not isinstance(obj, pd.DataFrame):
        table = getattr(obj, "table", None)
        tidy = getattr(obj, "tidy", None)
        if isinstance(table, pd.DataFrame):
            obj = table
        elif callable(tidy):
            obj = tidy()
    df = for_program(frame_of(obj), program_id)
    return None if df is None or df.empty else df


def arms_table(obj: Any, program_id: str, min_cell: int) -> Table:
    """The per-arm results (contract §5 columns, plus the optional cost parts), control first, an arm over
    fewer than ``min_cell`` people suppressed."""
    df = _frame(obj, program_id)
    if df is None or "arm" not in df.columns:
        return ()
    keep = [c for c in (*ARM_COLUMNS, *ARM_COST_PARTS, SUPPRESSED) if c in df.columns]
    df = df[keep].copy()
    df["arm"] = df["arm"].astype(str)
    df = df.sort_values("arm", key=lambda s: s != REFERENCE, kind="stable").reset_index(drop=True)
    values = [c for c in keep if c not in ("arm", "n", SUPPRESSED)]
    return to_table(suppress(df, count_col="n", value_cols=values, min_cell=min_cell, complementary=False))


def treated_arms(arms: Table) -> list[Mapping[str, Any]]:
    """The arms compared with the reference, shown (not suppressed) and with an effect."""
    return [
        r
        for r in arms
        if str(r.get("arm")) != REFERENCE and not r.get(SUPPRESSED) and _num(r.get("effect")) is not None
    ]


def best_arm(arms: Table) -> Mapping[str, Any] | None:
    """The best-paying arm: the highest ROI among the shown arms whose ROI is positive; None when no arm
    pays."""
    paying = [r for r in treated_arms(arms) if (_num(r.get("roi_pct")) or 0.0) > 0]
    return max(paying, key=lambda r: float(r["roi_pct"])) if paying else None


def _long_to_wide(df: pd.DataFrame, cell: str) -> pd.DataFrame:
    """One row per module from a long ``KpiTable`` (``cell, kpi, value, n``); n = the module's reach."""
    df = df[df["kpi"].isin(CONTENT_KPIS)].assign(kpi=lambda d: d["kpi"].map(CONTENT_KPIS))
    wide = df.pivot_table(index=cell, columns="kpi", values="value", aggfunc="first", dropna=False)
    wide = wide.reset_index().rename(columns={cell: "module_id"})
    n = pd.to_numeric(df["n"], errors="coerce").groupby(df[cell]).max()
    wide["n"] = wide["module_id"].map(n)
    if SUPPRESSED in df.columns:
        wide[SUPPRESSED] = wide["module_id"].map(df.groupby(cell)[SUPPRESSED].any()).astype(bool)
    if "modality" in df.columns:
        wide["modality"] = wide["module_id"].map(df.groupby(cell)["modality"].first())
    return wide


def content_table(obj: Any, program_id: str, min_cell: int) -> Table:
    """Content effectiveness per module, ranked by update priority (highest first, ``rank`` 1 = update
    first); a module over fewer than ``min_cell`` learners is suppressed and not ranked (contract §4)."""
    modules = getattr(obj, "modules", None)  # a learnroi.metrics.content.ContentTable: its wide ranking
    df = _frame(modules if isinstance(modules, pd.DataFrame) else obj, program_id)
    if df is None:
        return ()
    if "grain" in df.columns:
        df = df[df["grain"] == "module"]
    cell = next((c for c in ("module_id", "module", "cell") if c in df.columns), None)
    if cell is None or df.empty:
        return ()
    if {"kpi", "value"} <= set(df.columns):
        df = _long_to_wide(df, cell)
    else:
        df = df.rename(columns={cell: "module_id", **{k: v for k, v in CONTENT_KPIS.items() if k in df}})
    if "not_ranked" in df.columns:  # the metrics layer's reason: small cells are already blanked
        flag = df["not_ranked"].astype("string").fillna("") == "small_cell"
        df[SUPPRESSED] = flag.to_numpy() | (
            df[SUPPRESSED].fillna(False).astype(bool) if SUPPRESSED in df else False
        )
    if "n" not in df.columns:
        df["n"] = df["reach"] if "reach" in df.columns else None
    keep = [c for c in (*CONTENT_COLUMNS, "n", SUPPRESSED) if c in df.columns]
    given_rank = df["rank"] if "rank" in df.columns else None
    df = df[keep].copy()
    values = [c for c in keep if c not in ("module_id", "modality", "n", "not_ranked", SUPPRESSED)]
    out = suppress(df, count_col="n", value_cols=values, min_cell=min_cell, complementary=False)
    if given_rank is not None:  # ranked by the metrics layer: keep its ranks, drop any we suppressed here
        rank = pd.to_numeric(given_rank, errors="coerce").where(~out[SUPPRESSED].to_numpy())
        out = out.assign(rank=rank.astype("Int64")).sort_values("rank", na_position="last", kind="stable")
        out = out[["rank", *[c for c in out.columns if c != "rank"]]]
    elif "priority" in out.columns:
        prio = pd.to_numeric(out["priority"], errors="coerce")
        out = out.assign(_p=prio).sort_values("_p", ascending=False, na_position="last", kind="stable")
        ranked = out["_p"].notna() & ~out[SUPPRESSED]
        out["rank"] = pd.array([None] * len(out), dtype="Int64")
        out.loc[ranked, "rank"] = range(1, int(ranked.sum()) + 1)
        out = out.drop(columns="_p")
        out = out[["rank", *[c for c in out.columns if c != "rank"]]]
    return to_table(out.reset_index(drop=True))


def modality_table(obj: Any, content: Table, program_id: str, min_cell: int) -> Table:
    """The modality mix: a ``kpis --by modality`` frame when given (one row per modality), else derived
    from the content table over its shown modules: modules per modality, mean drop-off, check gain and
    median minutes, and the share of learning time (sum of reach x median minutes)."""
    df = _frame(obj, program_id)
    if df is not None and "grain" in df.columns:
        df = df[df["grain"] == "modality"]
    if df is not None and "modality" in df.columns and not df.empty:
        if "n" not in df.columns and "reach" in df.columns:  # the metrics layer's wide modality table
            df = df.assign(n=df["reach"], **{SUPPRESSED: df["reach"].isna()})
            df = df.drop(columns=[c for c in ("course_id", "module_id", "module_name") if c in df.columns])
        if {"kpi", "value"} <= set(df.columns):
            wide = df.pivot_table(index="modality", columns="kpi", values="value", aggfunc="first")
            n = pd.to_numeric(df["n"], errors="coerce").groupby(df["modality"]).max()
            df = wide.reset_index().assign(n=lambda d: d["modality"].map(n))
        df = df.drop(columns=[c for c in ("program_id", "grain") if c in df.columns])
        values = [c for c in df.columns if c not in ("modality", "n", SUPPRESSED)]
        if "n" not in df.columns:
            return to_table(df)
        out = suppress(df, count_col="n", value_cols=values, min_cell=min_cell, complementary=True)
        return to_table(out.drop(columns="n") if "reach" in out.columns else out)
    shown = [r for r in content if not r.get(SUPPRESSED) and r.get("modality") is not None]
    if not shown:
        return ()
    c = pd.DataFrame([dict(r) for r in shown])
    agg: dict[str, Any] = {"modules": ("module_id", "count")}
    for col in ("drop_off", "check_gain", "median_minutes"):
        if col in c.columns:
            agg[f"mean_{col}"] = (col, "mean")
    out = c.groupby("modality", as_index=False).agg(**agg)
    if {"reach", "median_minutes"} <= set(c.columns):
        minutes = (c["reach"].astype(float) * c["median_minutes"].astype(float)).groupby(c["modality"]).sum()
        out["learning_time_share"] = out["modality"].map(minutes / minutes.sum()).to_numpy()
    return to_table(out)


_REACTION_COLS = {
    "responses": ("responses", "n_responses", "respondents", "n_responded", "n"),
    "invited": ("invited", "n_invited", "invitations"),
    "response_rate": ("response_rate",),
    "satisfaction": ("satisfaction", "satisfaction_mean", "mean_satisfaction"),
    "relevance": ("relevance", "relevance_mean", "mean_relevance"),
    "intent_to_apply": ("intent_to_apply", "intent_to_apply_mean", "mean_intent_to_apply"),
}
_APPLICATION_COLS = {
    "days_after": ("days_after", "days"),
    "rater_role": ("rater_role",),
    "responses": ("responses", "n_responses", "n_responded", "n"),
    "invited": ("invited", "n_invited", "invitations"),
    "response_rate": ("response_rate",),
    "behaviour_score": ("behaviour_score", "behaviour_score_mean", "mean_behaviour_score", "behavior_score"),
}


def _survey(obj: Any, program_id: str, spellings: Mapping[str, tuple[str, ...]], min_cell: int) -> Table:
    df = _frame(obj, program_id)
    if df is None and isinstance(obj, Mapping):
        df = pd.DataFrame([dict(obj)])
    if df is None or df.empty:
        return ()
    if {"item", "mean"} <= set(df.columns):  # a learnroi.metrics.surveys.SurveySummary table
        df = _items_to_wide(df)
    elif {"kpi", "value"} <= set(df.columns):  # a long KpiTable: one row per (cell, kpi)
        keys = [c for c in ("days_after", "rater_role") if c in df.columns]
        key = df[keys].astype(str).agg("|".join, axis=1) if keys else pd.Series("", index=df.index)
        first = df.assign(_k=key).groupby("_k", sort=False)
        wide = first[keys].first() if keys else pd.DataFrame(index=first.size().index)
        wide = wide.join(
            df.assign(_k=key).pivot_table(index="_k", columns="kpi", values="value", aggfunc="first")
        )
        if "n" in df.columns:
            wide["n"] = pd.to_numeric(df["n"], errors="coerce").groupby(key).max()
        df = wide.reset_index(drop=True)
    rows = []
    for raw in records_or_empty(df):
        r = {k: None if v is pd.NA or (isinstance(v, float) and v != v) else v for k, v in raw.items()}
        row = {k: pick(r, *names) for k, names in spellings.items()}
        if row.get("response_rate") is None and _num(row.get("invited")) and row.get("responses") is not None:
            row["response_rate"] = float(row["responses"]) / float(row["invited"])
        out_row = {k: v for k, v in row.items() if v is not None or k in ("responses", "response_rate")}
        out_row[SUPPRESSED] = bool(r.get(SUPPRESSED))
        rows.append(out_row)
    out = pd.DataFrame(rows)
    if "days_after" in out.columns:
        out = out.sort_values("days_after", kind="stable")
    values = [c for c in out.columns if c not in ("days_after", "rater_role", "responses")]
    return to_table(
        suppress(out, count_col="responses", value_cols=values, min_cell=min_cell, complementary=False)
    )


def _items_to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (days_after[, rater_role]) from a survey summary's one row per item: the item means
    beside the responses, invitations and response rate."""
    keys = [c for c in ("days_after", "rater_role") if c in df.columns and df[c].notna().any()]
    key = df[keys].astype(str).agg("|".join, axis=1) if keys else pd.Series("", index=df.index)
    d = df.assign(_k=key)
    first = d.groupby("_k", sort=False)
    base = first[[*keys, "invited", "responded", "response_rate"]].first()
    means = d.pivot_table(index="_k", columns="item", values="mean", aggfunc="first", dropna=False)
    out = base.join(means).rename(columns={"responded": "responses"})
    out[SUPPRESSED] = first[SUPPRESSED].all() if SUPPRESSED in d.columns else False
    return out.reset_index(drop=True)


def reaction_table(obj: Any, program_id: str, min_cell: int) -> Table:
    """Level 1: responses, invitations, response rate and mean ratings (1-5); suppressed under ``min_cell``
    respondents."""
    return _survey(obj, program_id, _REACTION_COLS, min_cell)


def application_table(obj: Any, program_id: str, min_cell: int) -> Table:
    """Level 3: manager-rated on-the-job behaviour at 30/60/90 days, one row per ``days_after``."""
    return _survey(obj, program_id, _APPLICATION_COLS, min_cell)


def qualitative_table(obj: Any, program_id: str) -> Table:
    """The program's notes (stance, KPI, author role, source type, date, note), supporting first. Author
    ids are left out: a note names a role, not a person. Never monetized."""
    df = _frame(obj, program_id)
    if df is None or "note" not in df.columns:
        return ()
    df = df.copy()
    df["stance"] = df.get("stance", pd.Series("neutral", index=df.index)).fillna("neutral").astype(str)
    if "recorded_date" in df.columns:  # a date, not a timestamp
        df["recorded_date"] = pd.to_datetime(df["recorded_date"], errors="coerce").dt.strftime("%Y-%m-%d")
    order = {s: i for i, s in enumerate(STANCES)}
    df = df.sort_values(
        ["stance", *(["recorded_date"] if "recorded_date" in df else [])],
        key=lambda s: s.map(order).fillna(len(order)) if s.name == "stance" else s.astype(str),
        kind="stable",
    )
    cols = ["stance", "kpi", "author_role", "source_type", "recorded_date", "note", "evidence_id"]
    return to_table(df[[c for c in cols if c in df.columns]].reset_index(drop=True))


def stance_counts(notes: Table) -> dict[str, int]:
    """Notes per stance (supports, contradicts, neutral)."""
    out = dict.fromkeys(STANCES, 0)
    for r in notes:
        s = str(r.get("stance") or "neutral")
        out[s] = out.get(s, 0) + 1
    return out


def cohort_roi_table(obj: Any, program_id: str, min_cell: int) -> Table:
    """ROI per cohort (``RoiBreakdown`` or its ``tidy()``): a cohort reaching fewer than ``min_cell``
    people is suppressed, with a complementary cohort when the total row is shown."""
    df = _frame(obj, program_id)
    if df is None or "cohort" not in df.columns:
        return ()
    count = next((c for c in ("reach", "n") if c in df.columns), None)
    if count is None:
        return to_table(df)
    is_total = df["cohort"].astype(str) == "total"
    values = [c for c in df.columns if c not in ("cohort", count, "program_id", SUPPRESSED)]
    parts = suppress(df[~is_total], count_col=count, value_cols=values, min_cell=min_cell, complementary=True)
    total = df[is_total].assign(**{SUPPRESSED: False})
    return to_table(pd.concat([parts, total], ignore_index=True))


def year_roi_table(obj: Any, program_id: str) -> Table:
    """ROI per program year (``learnroi.roi.roi_by_year``): money per year, no people counts."""
    df = _frame(obj, program_id)
    if df is None or "year" not in df.columns:
        return ()
    return to_table(df)


RETENTION_COLUMNS = (
    "arm", "n", "exits", "censored_before_horizon", "exit_share", "exit_conf_low", "exit_conf_high",
    "difference", "conf_low", "conf_high", "p_value", "hazard_ratio", "hr_conf_low", "hr_conf_high",
)  # fmt: skip
"""The per-arm retention columns shown (``learnroi.pipeline.retention.RetentionAnalysis.tidy()``)."""


@dataclass(frozen=True)
class RetentionView:
    """Leaving within ``months`` of assignment per arm of a randomized pilot (control first)."""

    months: int
    identified: bool
    arms: Table
    notes: tuple[str, ...]


def retention_view(result: Any, min_cell: int) -> RetentionView | None:
    """A ``RetentionAnalysis`` (or its ``to_dict()``) for the report; an arm over fewer than ``min_cell``
    people suppressed; None when not given."""
    if result is None:
        return None
    d = result if isinstance(result, Mapping) else result.to_dict()
    df = pd.DataFrame(list(d.get("arms") or ()))
    if df.empty or "arm" not in df.columns:
        return None
    df = df[[c for c in RETENTION_COLUMNS if c in df.columns]].copy()
    df["arm"] = df["arm"].astype(str)
    df = df.sort_values("arm", key=lambda s: s != REFERENCE, kind="stable").reset_index(drop=True)
    values = [c for c in df.columns if c not in ("arm", "n")]
    out = suppress(df, count_col="n", value_cols=values, min_cell=min_cell, complementary=False)
    return RetentionView(
        months=int(d.get("months") or 12),
        identified=bool(d.get("identified", True)),
        arms=to_table(out),
        notes=tuple(str(n) for n in (*(d.get("reasons") or ()), *(d.get("notes") or ()))),
    )


@dataclass(frozen=True)
class PlatformView:
    """The platform's own ROI (``learnroi.roi.PlatformRoiResult``) as the report shows it."""

    currency: str
    horizon_months: int
    platform_cost: float
    cost_breakdown: Table
    hours_saved: float
    hours_conf_low: float | None
    hours_conf_high: float | None
    hours_before: float | None
    hours_after: float | None
    hourly_cost: float | None
    benefit_months: float | None
    admin_benefit: float
    programs_net_benefit: float
    benefit: float
    net_benefit: float
    roi_pct: float
    roi_conf_low: float | None
    roi_conf_high: float | None
    p_roi_positive: float | None
    bcr: float | None
    programs: Table
    notes: tuple[str, ...]


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def platform_view(result: Any) -> PlatformView | None:
    """A ``PlatformRoiResult`` (or its ``to_dict()``) for the report; None when not given."""
    if result is None:
        return None
    admin = _get(result, "admin") or {}
    breakdown = _get(result, "cost_breakdown") or {}
    programs = [
        {
            k: p.get(k)
            for k in ("program", "kpi", "basis", "included", "reason", "net_benefit", "conf_low", "conf_high")
        }
        for p in _get(result, "programs") or ()
    ]
    return PlatformView(
        currency=str(_get(result, "currency") or "USD"),
        horizon_months=int(_get(result, "horizon_months") or 12),
        platform_cost=float(_get(result, "platform_cost")),
        cost_breakdown=to_table([{"category": k, "amount": float(v)} for k, v in dict(breakdown).items()]),
        hours_saved=float(admin.get("hours_saved", 0.0)),
        hours_conf_low=_num(admin.get("hours_conf_low")),
        hours_conf_high=_num(admin.get("hours_conf_high")),
        hours_before=_num(admin.get("before_mean")),
        hours_after=_num(admin.get("after_mean")),
        hourly_cost=_num(admin.get("hourly_cost")),
        benefit_months=_num(admin.get("benefit_months")),
        admin_benefit=float(_get(result, "admin_benefit")),
        programs_net_benefit=float(_get(result, "programs_net_benefit")),
        benefit=float(_get(result, "benefit")),
        net_benefit=float(_get(result, "net_benefit")),
        roi_pct=float(_get(result, "roi_pct")),
        roi_conf_low=_num(_get(result, "roi_conf_low")),
        roi_conf_high=_num(_get(result, "roi_conf_high")),
        p_roi_positive=_num(_get(result, "p_roi_positive")),
        bcr=_num(_get(result, "bcr")),
        programs=to_table(programs),
        notes=tuple(str(n) for n in _get(result, "notes") or ()),
    )
