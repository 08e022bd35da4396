"""Level 1 (reaction) and Level 3 (application) survey summaries (Kirkpatrick & Kirkpatrick 2006).

The engine computes sufficient statistics per cell (n, sum, sum of squares, count favourable), in the style of
GrowthBook's gbstats; Python does the algebra: the mean with a Student-t 95% interval (mean +/- t(0.975, n-1)
x s / sqrt(n)) and the share of ratings >= 4 (favourable). Response rate = responses / invitations
(``survey_invitations``). Respondents may differ from non-respondents (people who disliked a course answer
less often), so every summary carries the response rate and says so: the interval covers sampling error
among respondents, not non-response bias (Groves 2006, *Public Opinion Quarterly* 70:646).
Cells with fewer than ``min_cell`` respondents are suppressed (value, interval and response count hidden).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend
from scipy import stats

from learnroi.core.errors import UsageError
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.metrics.engine import collect, engine_name, has_table, table
from learnroi.metrics.result import json_value

REACTION_ITEMS = ("satisfaction", "relevance", "intent_to_apply")
FAVOURABLE = 4.0
"""A rating at or above this on the 1-5 scale counts as favourable."""
NONRESPONSE_NOTE = (
    "Respondents may differ from non-respondents (response rate shown); the interval covers sampling error "
    "among respondents only."
)
COLUMNS = [
    "program_id", "survey", "days_after", "item", "invited", "responded", "response_rate", "n", "mean",
    "std_error", "conf_low", "conf_high", "share_favourable", "suppressed", "suppression",
]  # fmt: skip


@dataclass(frozen=True)
class SurveySummary:
    """One survey's summary: ``table`` has :data:`COLUMNS` (``days_after`` <NA> for reaction surveys)."""

    survey: str
    min_cell: int
    table: pd.DataFrame
    engine: str = "duckdb"
    note: str = NONRESPONSE_NOTE

    def tidy(self) -> pd.DataFrame:
        """The table with a ``term`` (``item`` or ``item@days``) and ``estimate`` column, pyfixest-style."""
        t = self.table
        term = t["item"].astype("string")
        if self.survey == "application":
            term = term + "@" + t["days_after"].astype("string").fillna("") + "d"
        return t.assign(term=term, estimate=t["mean"], level=1 if self.survey == "reaction" else 3)

    def summary(self) -> str:
        level = "Level 1 reaction" if self.survey == "reaction" else "Level 3 application"
        lines = [f"{level} survey ({len(self.table)} cells, suppressed below {self.min_cell} respondents):"]
        for r in self.table.to_dict(orient="records"):
            days, rr = r["days_after"], r["response_rate"]
            when = "" if days is None or days is pd.NA else f" at {days} days"
            rate = "n/a" if rr is None or rr != rr else f"{rr:.0%}"
            head = f"  {r['program_id']} {r['item']}{when}:"
            if r["suppressed"]:
                lines.append(f"{head} suppressed (<{self.min_cell}), response rate {rate}")
                continue
            lines.append(
                f"{head} mean {r['mean']:.2f} [{r['conf_low']:.2f}, {r['conf_high']:.2f}], "
                f"{r['share_favourable']:.0%} favourable, n={r['n']}, response rate {rate}"
            )
        lines.append(self.note)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: json_value(v) for k, v in rec.items()} for rec in self.table.to_dict(orient="records")]
        return {"survey": self.survey, "min_cell": self.min_cell, "engine": self.engine, "note": self.note,
                "rows": rows}  # fmt: skip


def reaction_summary(
    backend: BaseBackend, program: str | None = None, *, min_cell: int = DEFAULT_MIN_CELL
) -> SurveySummary:
    """Level 1 per program: invited, responded, response rate, and per item (satisfaction, relevance,
    intent to apply) the mean with a 95% t interval and the share favourable (>= 4)."""
    _check(min_cell)
    r = _filtered(table(backend, "survey_reaction"), program)
    parts = []
    for item in REACTION_ITEMS:
        v = r[item].cast("float64")
        parts.append(
            r.group_by("program_id")
            .aggregate(responded=r.respondent_id.nunique(), **_moments(v))
            .mutate(item=ibis.literal(item))
        )
    moments = collect(parts[0].union(parts[1]).union(parts[2]))
    invited = _invited(backend, program, "reaction", by_days=False)
    frame = moments.merge(invited, on="program_id", how="left") if len(moments) else moments
    frame["days_after"] = pd.NA
    return SurveySummary("reaction", min_cell, _finish(frame, "reaction", min_cell), engine_name(backend))


def application_summary(
    backend: BaseBackend,
    program: str | None = None,
    *,
    min_cell: int = DEFAULT_MIN_CELL,
    rater_role: str | None = None,
) -> SurveySummary:
    """Level 3 per program and ``days_after`` (30/60/90): subjects rated, response rate, mean behaviour score
    (each subject's raters averaged first, so n counts people rated) with a 95% t interval, share >= 4.
    ``rater_role`` keeps one kind of rater (``manager``, ``self``, ``peer``); default every rater."""
    _check(min_cell)
    a = _filtered(table(backend, "survey_application"), program)
    a = a.filter(a.behaviour_score.notnull() & a.subject_id.notnull())
    if rater_role is not None:
        a = a.filter(a.rater_role == rater_role)
    a = a.mutate(days_after=a.days_after.cast("int64"))
    per = a.group_by(["program_id", "days_after", "subject_id"]).aggregate(
        score=a.behaviour_score.cast("float64").mean()
    )
    moments = collect(
        per.group_by(["program_id", "days_after"]).aggregate(responded=per.count(), **_moments(per.score))
    )
    moments["item"] = "behaviour_score"
    invited = _invited(backend, program, "application", by_days=True)
    frame = moments.merge(invited, on=["program_id", "days_after"], how="left") if len(moments) else moments
    return SurveySummary(
        "application", min_cell, _finish(frame, "application", min_cell), engine_name(backend)
    )


def _check(min_cell: int) -> None:
    if min_cell < 1:
        raise UsageError(f"min_cell must be at least 1; got {min_cell}", hint="Use the default of 5 or more.")


def _filtered(t: ir.Table, program: str | None) -> ir.Table:
    return t if program is None else t.filter(t.program_id == program)


def _moments(v: ir.FloatingValue) -> dict[str, ir.Value]:
    return {
        "n": v.count(),
        "sum_x": v.sum(),
        "sum_x2": (v * v).sum(),
        "n_fav": v.count(where=v >= FAVOURABLE),
    }


def _invited(backend: BaseBackend, program: str | None, survey: str, *, by_days: bool) -> pd.DataFrame:
    keys = ["program_id", "days_after"] if by_days else ["program_id"]
    if not has_table(backend, "survey_invitations"):
        return pd.DataFrame(
            {k: pd.Series(dtype="object") for k in keys} | {"invited": pd.Series(dtype="int64")}
        )
    inv = _filtered(table(backend, "survey_invitations"), program)
    inv = inv.filter(inv.survey == survey).mutate(days_after=inv.days_after.cast("int64"))
    got = collect(inv.group_by(keys).aggregate(invited=inv.employee_id.nunique()))
    if by_days:
        got["days_after"] = pd.to_numeric(got["days_after"]).astype("Int64")
    return got


def _num(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.Series(pd.to_numeric(frame[col], errors="coerce"), index=frame.index).astype("float64")


def _finish(frame: pd.DataFrame, survey: str, min_cell: int) -> pd.DataFrame:
    """Means, t intervals, shares and response rates from the moments; small cells hidden."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    n = _num(frame, "n").fillna(0.0)
    mean = _num(frame, "sum_x") / n.where(n > 0)
    var = (_num(frame, "sum_x2") - n * mean**2) / (n - 1).where(n > 1)  # sample variance from the moments
    se = (var.clip(lower=0.0) / n) ** 0.5
    t = pd.Series(stats.t.ppf(0.975, (n - 1).where(n > 1).to_numpy()), index=frame.index)
    share = _num(frame, "n_fav").fillna(0.0) / n.where(n > 0)
    invited = _num(frame, "invited")
    responded = _num(frame, "responded").fillna(0.0)
    few = responded < min_cell  # hides the response count too
    small = few | (n < min_cell)

    def hide(x: pd.Series, mask: pd.Series) -> pd.Series:
        return x.mask(mask).astype("float64")

    out = pd.DataFrame(
        {
            "program_id": frame["program_id"].astype("string"),
            "survey": survey,
            "days_after": pd.Series(frame["days_after"], index=frame.index).astype("Int64"),
            "item": frame["item"].astype("string"),
            "invited": invited.round().astype("Int64"),
            "responded": hide(responded, few).round().astype("Int64"),
            "response_rate": hide(responded / invited.where(invited > 0), few),
            "n": hide(n, small).round().astype("Int64"),
            "mean": hide(mean, small),
            "std_error": hide(se, small),
            "conf_low": hide(mean - t * se, small),
            "conf_high": hide(mean + t * se, small),
            "share_favourable": hide(share, small),
            "suppressed": small.astype(bool),
            "suppression": pd.Series("small_cell", index=frame.index, dtype="string").where(small),
        }
    )
    order = {k: i for i, k in enumerate(REACTION_ITEMS)}
    out = out.assign(_o=out["item"].map(order).fillna(0))
    out = out.sort_values(["program_id", "days_after", "_o"], na_position="first").drop(columns="_o")
    return out[COLUMNS].reset_index(drop=True)
