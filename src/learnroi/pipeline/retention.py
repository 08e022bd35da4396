"""Retention as an outcome of a randomized program: who leaves within ``months`` of assignment, per arm.

The follow-up of each assigned person runs from their ``assigned_date`` (``design/assignments.csv``; the
spec's ``program.start`` when missing) to their HRIS ``exit_date``, or, for people still employed, to
the **data end**: the last day of the latest month with a performance period or an HRIS hire or exit date
in the store, or ``as_of`` when given. The HRIS and the performance feed say who is employed; LMS events
are left out because an LMS export often runs ahead of the HRIS one. Time is in calendar months
(a month of follow-up = one calendar month from the assignment day, fractions within a month by days),
counted to the day after the exit date (the exit date is the last day employed), so "left within 12
months" means leaving before the assignment's anniversary. Follow-up is cut at the horizon
(administrative censoring), so the hazard ratio is about the first ``months`` months.

The estimators are :mod:`learnroi.attribution.survival`: per arm the Kaplan-Meier (1958) share leaving
within the horizon with Greenwood (1926) standard errors and each arm minus control (``km_retention``), a
Cox (1972) hazard ratio per arm with the Grambsch & Therneau (1994) proportional-hazards check
(``cox_hazard_ratio``), and the plain difference in exit proportions (``exit_proportion``) only when
nobody is censored before the horizon (then it equals the Kaplan-Meier difference). Retention is never
monetized here: a spec that values it has a KPI link with rule ``retention``, whose ROI is computed
like every other KPI's.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from learnroi.attribution.chooser_designs import CONTROL
from learnroi.attribution.result import EffectResult, Term
from learnroi.attribution.survival import cox_hazard_ratio, exit_proportion, km_retention
from learnroi.core.errors import DataError
from learnroi.core.program import ProgramSpec
from learnroi.pipeline.arms import assigned_counts
from learnroi.store import Store

RETENTION_COLUMNS = [
    "arm", "n", "exits", "censored_before_horizon", "exit_share", "exit_conf_low", "exit_conf_high",
    "difference", "std_error", "conf_low", "conf_high", "p_value", "hazard_ratio", "hr_conf_low",
    "hr_conf_high", "hr_p_value",
]  # fmt: skip
"""The columns of :meth:`RetentionAnalysis.tidy` (one row per arm, control first; differences are the
arm's exit share minus control's, so negative = fewer leavers)."""

_PEOPLE_SQL = """
SELECT a.employee_id, any_value(a.arm) AS arm, min(a.assigned_date) AS assigned_date,
       any_value(e.exit_date) AS exit_date, bool_or(e.employee_id IS NOT NULL) AS in_hris
FROM assignments a LEFT JOIN employees e ON e.employee_id = a.employee_id
WHERE a.program_id = ? AND a.arm IS NOT NULL
GROUP BY a.employee_id ORDER BY a.employee_id
"""
_DATA_END_SQL = """
SELECT last_day(max(d)) FROM (
    SELECT max(CAST(period AS DATE)) AS d FROM performance
    UNION ALL SELECT max(exit_date) FROM employees
    UNION ALL SELECT max(hire_date) FROM employees
)
"""


def _days(values: Any) -> npt.NDArray[np.datetime64]:
    return np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]"))


def _add_months(start: npt.NDArray[np.datetime64], k: npt.NDArray[np.int64]) -> npt.NDArray[np.datetime64]:
    """``start`` plus ``k`` calendar months, the day clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    month = start.astype("datetime64[M]")
    offset = start - month.astype("datetime64[D]")
    first = (month + k).astype("datetime64[D]")
    last = (month + k + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    out: npt.NDArray[np.datetime64] = np.minimum(first + offset, last)
    return out


def calendar_months(start: Any, end: Any) -> npt.NDArray[np.float64]:
    """Calendar months from ``start`` to ``end`` (dates): whole months, plus the elapsed share of the next one
    by days. 2024-06-01 -> 2025-06-01 is exactly 12; 2024-06-01 -> 2024-06-16 is 15/30."""
    s, e = _days(start), _days(end)
    k = (e.astype("datetime64[M]") - s.astype("datetime64[M]")).astype(np.int64)
    k = np.where(_add_months(s, k) > e, k - 1, k)
    lo, hi = _add_months(s, k), _add_months(s, k + 1)
    frac = (e - lo).astype(np.float64) / (hi - lo).astype(np.float64)
    out: npt.NDArray[np.float64] = k.astype(np.float64) + frac
    return out


def retention_frame(
    people: pd.DataFrame, *, data_end: dt.date, months: int, start: dt.date | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Time to exit per assigned person, and notes on who was left out.

    ``people``: ``employee_id, arm, assigned_date, exit_date`` (and optionally ``in_hris``). Returns the rows
    kept with ``time`` (calendar months from assignment to the day after the exit, or to the day after
    ``data_end``, cut at ``months``), ``event`` (1 = left within the follow-up and the horizon) and
    ``censored_before_horizon``. People not in the HRIS, who left before their assignment, or whose
    assignment falls after ``data_end`` are dropped (their follow-up is unknown or empty).
    """
    df = people.copy()
    notes: list[str] = []
    if "in_hris" in df.columns:
        missing = ~df["in_hris"].fillna(False).astype(bool)
        if missing.any():
            notes.append(f"{int(missing.sum())} assigned people are not in the HRIS: left out")
        df = df[~missing]
    assigned = pd.to_datetime(df["assigned_date"])
    if start is not None:
        assigned = assigned.fillna(pd.Timestamp(start))
    exit_ = pd.to_datetime(df["exit_date"])
    end = pd.Timestamp(data_end)
    bad = {
        "have no assignment date (and the spec no program.start)": assigned.isna(),
        "left before their assignment date": exit_.notna() & (exit_ < assigned),
        f"were assigned after the data end ({data_end})": assigned > end,
    }
    drop = pd.Series(False, index=df.index)
    for why, mask in bad.items():
        mask = mask & ~drop
        if mask.any():
            notes.append(f"{int(mask.sum())} assigned people {why}: left out")
        drop |= mask
    df, assigned, exit_ = df[~drop], assigned[~drop], exit_[~drop]
    left = exit_.notna() & (exit_ <= end)
    stop = exit_.where(left, end) + pd.Timedelta(days=1)
    t = calendar_months(assigned, stop) if len(df) else np.zeros(0)
    within = left.to_numpy() & (t <= months)
    out = pd.DataFrame(
        {
            "employee_id": df["employee_id"].to_numpy(),
            "arm": df["arm"].astype(str).to_numpy(),
            "time": np.minimum(t, float(months)),
            "event": within.astype(np.int64),
            "censored_before_horizon": ~within & (t < months),
        }
    )
    return out, notes


def data_end(store: Store) -> dt.date | None:
    """The last day of the latest month with a performance period or an HRIS hire/exit date (None if none)."""
    row = store.con.execute(_DATA_END_SQL).fetchone()
    return None if row is None or row[0] is None else pd.Timestamp(row[0]).date()


def _retention_link(spec: ProgramSpec) -> str | None:
    return next((k.business_kpi for k in spec.kpis if k.monetized and k.rule == "retention"), None)


@dataclass(frozen=True)
class RetentionAnalysis:
    """Exit within ``months`` of assignment per arm of a randomized program, each arm against control."""

    program: str
    months: int
    reference: str
    data_end: dt.date
    km: EffectResult
    """Kaplan-Meier retention (terms ``"<arm> - control"`` on the retention scale; ``extra["arms"]``)."""
    cox: EffectResult | None
    """Cox hazard ratios of leaving (terms ``"<arm> vs control"``); None when it cannot be fitted."""
    proportion: EffectResult | None
    """The plain exit-proportion difference; None when someone is censored before the horizon."""
    monetized_by: str | None
    """The spec's KPI link with rule ``retention``, if any (its ROI is computed like other KPIs)."""
    censored: tuple[tuple[str, int], ...] = ()
    """Per arm: people still employed but followed less than ``months`` (censored before the horizon)."""
    notes: tuple[str, ...] = ()

    @property
    def identified(self) -> bool:
        return self.km.identified

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.km.reasons

    def _term(self, res: EffectResult | None, name: str) -> Term | None:
        return next((t for t in res.terms if t.term == name), None) if res is not None else None

    def _row(self, a: dict[str, Any]) -> dict[str, Any]:
        arm = str(a["arm"])
        row: dict[str, Any] = dict.fromkeys(RETENTION_COLUMNS)
        row.update(
            arm=arm, n=int(a["n"]), exits=int(a["exits"]), censored_before_horizon=dict(self.censored).get(arm, 0),
            exit_share=1.0 - a["retention"], exit_conf_low=1.0 - a["conf_high"],
            exit_conf_high=1.0 - a["conf_low"],
        )  # fmt: skip
        km = self._term(self.km, f"{arm} - {self.reference}")
        if km is not None:  # exit scale: minus the retention difference, interval flipped
            lo, hi = km.interval()
            row.update(
                difference=-km.estimate, std_error=km.std_error, conf_low=-hi, conf_high=-lo,
                p_value=km.pvalue(),
            )  # fmt: skip
        hr = self._term(self.cox, f"{arm} vs {self.reference}")
        if hr is not None:
            row.update(
                hazard_ratio=hr.estimate, hr_conf_low=hr.conf_low, hr_conf_high=hr.conf_high,
                hr_p_value=hr.p_value,
            )  # fmt: skip
        return row

    def tidy(self) -> pd.DataFrame:
        """One row per arm (control first): exit share within the horizon with its interval, the
        difference from control (Kaplan-Meier, Greenwood SE) and the Cox hazard ratio."""
        return pd.DataFrame([self._row(a) for a in self.km.extra["arms"]], columns=RETENTION_COLUMNS)

    def ph_check(self) -> str | None:
        """The proportional-hazards diagnostic as a sentence (None without a Cox fit)."""
        if self.cox is None or not self.cox.diagnostics:
            return None
        d = self.cox.diagnostics[0]
        return f"{'passed' if d.passed else 'FAILED'}: {d.note}"

    def all_notes(self) -> list[str]:
        """What the reader needs beside the table: censoring, the PH check, the naive twin, money."""
        out = list(self.notes)
        ph = self.ph_check()
        if ph is not None:
            out.append(f"proportional-hazards check {ph}")
        if self.proportion is not None:
            out.append(
                f"nobody is censored before {self.months} months: the plain exit proportions "
                f"({self.proportion.method}) equal the Kaplan-Meier shares"
            )
        if self.monetized_by is None:
            out.append("retention is not monetized: the spec has no KPI link with rule 'retention'")
        else:
            out.append(
                f"the spec monetizes retention through {self.monetized_by!r} (rule 'retention'); its ROI is "
                "computed like the other KPIs' (learnroi roi), not here"
            )
        return out

    def summary(self) -> str:
        lvl = float(self.km.terms[0].level) if self.km.terms else 0.95
        lines = [
            f"{self.program}: leaving within {self.months} months of assignment, each arm against "
            f"{self.reference!r} (Kaplan-Meier, Greenwood {lvl:.0%} CI; Cox hazard ratio); data end {self.data_end}"
        ]
        if not self.identified:
            lines += ["NOT IDENTIFIED:"] + [f"  - {r}" for r in self.reasons]
        for r in self.tidy().to_dict(orient="records"):
            head = f"  {r['arm']:<12} n {r['n']:,}, exits {r['exits']:,}: exit share {r['exit_share']:.1%}"
            if r["difference"] is None or r["arm"] == self.reference:
                lines.append(f"{head} (reference)")
                continue
            hr = (
                "no hazard ratio"
                if r["hazard_ratio"] is None
                else f"HR {r['hazard_ratio']:.2f} ({r['hr_conf_low']:.2f} to {r['hr_conf_high']:.2f})"
            )
            lines.append(
                f"{head}; vs control {r['difference']:+.1%} ({r['conf_low']:+.1%} to {r['conf_high']:+.1%}); {hr}"
            )
        lines += [f"  note: {n}" for n in self.all_notes()]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the per-arm rows and the three estimator results."""
        rows = [{k: _json(v) for k, v in r.items()} for r in self.tidy().to_dict(orient="records")]
        return {
            "program": self.program,
            "outcome": f"exit within {self.months} months of assignment",
            "months": self.months,
            "reference": self.reference,
            "data_end": self.data_end.isoformat(),
            "identified": self.identified,
            "reasons": list(self.reasons),
            "arms": rows,
            "kaplan_meier": self.km.to_dict(),
            "cox": self.cox.to_dict() if self.cox is not None else None,
            "proportion": self.proportion.to_dict() if self.proportion is not None else None,
            "monetized_by": self.monetized_by,
            "notes": self.all_notes(),
        }


def _json(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v.item() if isinstance(v, np.generic) else v


def analyze_frame(
    frame: pd.DataFrame, *, program: str, months: int, end: dt.date, level: float = 0.95,
    notes: list[str] | None = None, monetized_by: str | None = None,
) -> RetentionAnalysis:  # fmt: skip
    """The three estimators over a :func:`retention_frame` (control first, the other arms sorted)."""
    if frame.empty:
        raise DataError("no assigned person has a follow-up", hint="Check assignments and HRIS dates.")
    order = [CONTROL, *sorted(a for a in frame["arm"].unique() if a != CONTROL)]
    t, e, arm = frame["time"].to_numpy(), frame["event"].to_numpy(), frame["arm"].to_numpy()
    km = km_retention(t, e, arm, horizon=months, reference=CONTROL, arms=order, level=level)
    censored = frame.groupby("arm")["censored_before_horizon"].sum()
    out = list(notes or [])
    try:
        cox: EffectResult | None = cox_hazard_ratio(t, e, arm, reference=CONTROL, arms=order, level=level)
    except DataError as err:
        cox = None
        out.append(f"no hazard ratio: {err.message}")
    early = int(frame["censored_before_horizon"].sum())
    prop = None
    if early == 0:
        prop = exit_proportion(t, e, arm, horizon=months, reference=CONTROL, arms=order)
    else:
        out.append(
            f"{early} people are still employed but followed less than {months} months (censored): the "
            "Kaplan-Meier shares count them until their data end, the plain proportion is not shown"
        )
    return RetentionAnalysis(
        program=program, months=months, reference=CONTROL, data_end=end, km=km, cox=cox,
        proportion=prop, monetized_by=monetized_by, notes=tuple(out),
        censored=tuple((str(a), int(c)) for a, c in censored.items()),
    )  # fmt: skip


def analyze_retention(
    store: Store,
    spec: ProgramSpec,
    *,
    months: int = 12,
    level: float = 0.95,
    as_of: dt.date | None = None,
) -> RetentionAnalysis | None:
    """Exit within ``months`` of assignment per arm of a randomized program with a control arm (None for
    any other program). ``as_of`` overrides the data end (the date up to which the HRIS is complete)."""
    n = assigned_counts(store, spec.id)
    if spec.program.design != "randomized" or CONTROL not in n or len(n) < 2:
        return None
    end = as_of or data_end(store)
    if end is None:
        raise DataError("the store has no dated records", hint="Ingest the HRIS and the program's data.")
    people = store.con.execute(_PEOPLE_SQL, [spec.id]).df()
    frame, notes = retention_frame(people, data_end=end, months=months, start=spec.program.start)
    notes.insert(
        0, f"follow-up from assignment to exit, censored at the data end {end} or at {months} months"
    )
    return analyze_frame(
        frame, program=spec.id, months=months, end=end, level=level, notes=notes,
        monetized_by=_retention_link(spec),
    )  # fmt: skip


__all__ = [
    "RETENTION_COLUMNS", "RetentionAnalysis", "analyze_frame", "analyze_retention", "calendar_months",
    "data_end", "retention_frame",
]  # fmt: skip
