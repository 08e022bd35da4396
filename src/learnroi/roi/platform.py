"""The learning platform's own ROI: its cost (licences, administration, integration) against the
administration hours it saves and the net benefits of the programs run on it.

benefit = admin hours saved per month x loaded hourly cost x sum_{m=1..H} (1 + r)^(-m/12)
          + sum over included programs of (program benefit - program cost);
ROI % = (benefit - platform cost) / platform cost x 100 (Phillips' ROI applied to the platform).

Uncertainty is the same Monte Carlo as :func:`~learnroi.roi.compute.compute_roi`: each included program's
simulated net benefit (``RoiResult.net_benefit_draws``, resampled independently) plus the admin-time
saving drawn from its sampling distribution — the before/after difference in mean monthly hours with
Welch's standard error and a Student t with Welch-Satterthwaite degrees of freedom (Welch 1947) — and the
hourly cost from triangular(low, value, high) when a range is given. Welch's formulas are three lines of
numpy, written here so a zero-variance series (no doubt) needs no special case in scipy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from learnroi.core.errors import DataError, SpecError, UsageError
from learnroi.roi import formulas
from learnroi.roi.compute import _histogram
from learnroi.roi.costs import as_pandas
from learnroi.roi.result import TIDY_COLUMNS, RoiResult, _clean, tidy_row

Array = NDArray[np.float64]
MIN_DRAWS = 100
PHASES = ("before", "after")


@dataclass(frozen=True)
class AdminSaving:
    """Admin hours saved per month: mean monthly hours before the platform minus after, with Welch's SE."""

    before_mean: float
    after_mean: float
    months_before: int
    months_after: int
    hours_saved: float
    std_error: float
    df: float

    def draws(self, rng: np.random.Generator, n: int) -> Array:
        """The saving's sampling distribution: hours_saved + SE x t(df)."""
        if not self.std_error > 0:
            return np.full(n, self.hours_saved)
        return np.asarray(self.hours_saved + self.std_error * rng.standard_t(self.df, size=n), dtype=float)


@dataclass(frozen=True)
class PlatformRoiResult:
    """The platform's ROI with its Monte Carlo interval and the programs it counted (and did not)."""

    currency: str
    horizon_months: int
    platform_cost: float
    cost_breakdown: dict[str, float]
    admin: dict[str, float]
    admin_benefit: float
    programs_net_benefit: float
    benefit: float
    net_benefit: float
    roi_pct: float
    roi_conf_low: float
    roi_conf_high: float
    p_roi_positive: float
    bcr: float
    roi_std: float
    programs: tuple[dict[str, Any], ...]
    """One row per program result passed: program, kpi, basis, included, reason, net benefit and interval."""
    included: tuple[str, ...]
    excluded: tuple[str, ...]
    include_unattributed: bool
    level: float
    draws: int
    seed: int
    notes: tuple[str, ...] = ()
    basis: str = "platform"
    histogram: dict[str, list[float]] = field(default_factory=dict)

    def tidy(self) -> pd.DataFrame:
        """Platform cost, admin saving, each included program's net benefit, totals and the ROI."""
        method = "platform roi" + (" (incl. unattributed programs)" if self.include_unattributed else "")
        a = self.admin
        rows = [
            tidy_row("platform_cost", self.platform_cost, None, method),
            tidy_row(
                "admin_hours_saved_per_month",
                a["hours_saved"],
                int(a["months_before"] + a["months_after"]),
                "before/after difference in mean monthly hours (Welch)",
                a["std_error"],
                a["hours_conf_low"],
                a["hours_conf_high"],
            ),
            tidy_row(
                "admin_benefit", self.admin_benefit, self.draws, method, None, a["conf_low"], a["conf_high"]
            ),
        ]
        for p in self.programs:
            if p["included"]:
                term = f"program_net_benefit:{p['program']}:{p['kpi']}"
                rows.append(
                    tidy_row(
                        term,
                        p["net_benefit"],
                        self.draws,
                        f"{method}; {p['basis']}",
                        None,
                        p["conf_low"],
                        p["conf_high"],
                    )
                )
        rows += [
            tidy_row("programs_net_benefit", self.programs_net_benefit, self.draws, method),
            tidy_row("benefit", self.benefit, self.draws, method),
            tidy_row("net_benefit", self.net_benefit, self.draws, method),
            tidy_row(
                "roi_pct",
                self.roi_pct,
                self.draws,
                method,
                self.roi_std,
                self.roi_conf_low,
                self.roi_conf_high,
            ),
            tidy_row("p_roi_positive", self.p_roi_positive, self.draws, method),
            tidy_row("bcr", self.bcr, self.draws, method),
        ]
        return pd.DataFrame(rows, columns=TIDY_COLUMNS).astype({"estimate": float, "std_error": float})

    def summary(self) -> str:
        cur, a = self.currency, self.admin
        lines = [
            f"Platform ROI over {self.horizon_months} months: {self.roi_pct:,.0f} % ({self.level:.0%} interval "
            f"{self.roi_conf_low:,.0f} % to {self.roi_conf_high:,.0f} %); P(ROI > 0) = {self.p_roi_positive:.0%}",
            f"Platform cost {_money(self.platform_cost, cur)} ("
            + ", ".join(f"{k} {_money(v, cur)}" for k, v in self.cost_breakdown.items())
            + f"); benefit {_money(self.benefit, cur)}; net {_money(self.net_benefit, cur)}; BCR {self.bcr:.2f}",
            f"Admin time: {a['hours_saved']:,.1f} hours saved per month (SE {a['std_error']:,.1f}; "
            f"{a['before_mean']:,.1f} before vs {a['after_mean']:,.1f} after) = {_money(self.admin_benefit, cur)} "
            "— a before/after comparison, not a causal estimate",
            f"Programs' net benefits: {_money(self.programs_net_benefit, cur)} from "
            f"{len(self.included)} program result(s)",
        ]
        for p in self.programs:
            mark = "included" if p["included"] else "EXCLUDED"
            val = "" if p["net_benefit"] is None else f" net {_money(p['net_benefit'], cur)}"
            lines.append(f"  {mark:<9} {p['program']} on {p['kpi']} ({p['basis']}){val}: {p['reason']}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (no NaN or infinity)."""
        out = {k: _clean(getattr(self, k)) for k in self.__dataclass_fields__}
        out["programs"] = [_clean(dict(p)) for p in self.programs]
        return out


def platform_roi(
    platform_costs: Any,
    admin_time: Any,
    program_results: Sequence[RoiResult],
    *,
    hourly_cost: float | tuple[float, float, float],
    horizon_months: int = 12,
    include_unattributed: bool = False,
    go_live: str | date | None = None,
    discount_rate: float = 0.0,
    currency: str | None = None,
    draws: int = 100_000,
    seed: int = 0,
    level: float = 0.95,
) -> PlatformRoiResult:
    """The platform's ROI from its cost lines, before/after admin time and the programs' ROI results.

    ``platform_costs``: ``category, amount`` (optional ``currency``, ``description``), one row per licence,
    administration or integration line. ``admin_time``: ``period, admin_hours`` (several rows per period
    are summed) and either a ``phase`` column (before / after) or ``go_live`` (periods from that month on
    are "after"). ``hourly_cost``: the loaded hourly cost of admin staff, or (low, value, high).
    Only identified attributed program results count unless ``include_unattributed``.
    """
    if draws < MIN_DRAWS or not 0 < level < 1 or horizon_months < 1:
        raise UsageError(
            f"draws must be >= {MIN_DRAWS}, level in (0, 1) and horizon_months >= 1; got {draws}, {level}, "
            f"{horizon_months}",
            hint="Use the defaults (100,000 draws, level 0.95, 12 months) unless you have a reason.",
        )
    cur = currency or (program_results[0].currency if program_results else "USD")
    cost, breakdown = _platform_costs(as_pandas(platform_costs, "platform cost frame"), cur)
    saving = admin_saving(as_pandas(admin_time, "admin-time frame"), go_live)
    hc = _hourly(hourly_cost)
    rng = np.random.default_rng(seed)
    months = np.arange(1, horizon_months + 1, dtype=np.int64)
    tf = float(formulas.discount_weights(months, [discount_rate]).sum())
    admin_point = saving.hours_saved * hc[1] * tf
    hours = saving.draws(rng, draws)
    rate = rng.triangular(hc[0], hc[1], hc[2], size=draws) if hc[2] > hc[0] else np.full(draws, hc[1])
    admin_draws = hours * rate * tf
    rows, chosen, notes = _select(program_results, include_unattributed, cur, horizon_months)
    prog_point = 0.0
    total = admin_draws.copy()
    for row, res in zip(rows[: len(chosen)], chosen, strict=True):
        d = _program_draws(res, rng, draws, notes)
        lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
        row.update(conf_low=float(lo), conf_high=float(hi))
        prog_point += float(res.net_benefit or 0.0)
        total += d
    benefit = admin_point + prog_point
    roi = (total - cost) / cost * 100.0
    lo, hi = np.quantile(roi, [(1 - level) / 2, (1 + level) / 2])
    alo, ahi = np.quantile(admin_draws, [(1 - level) / 2, (1 + level) / 2])
    q = (1 + level) / 2
    tq = float(stats.t.ppf(q, saving.df)) if saving.std_error > 0 else 0.0
    counts, edges = _histogram(roi)
    notes += [
        "admin hours saved: a before/after comparison of monthly totals, credible only if nothing else "
        "changed the admin workload; months treated as independent",
        "programs' net benefits are credited in full to the platform (an upper bound when the programs "
        "could have run without it); programs are assumed independent",
    ]
    if discount_rate:
        notes.append(f"admin savings discounted at {discount_rate:.1%} a year")
    return PlatformRoiResult(
        currency=cur,
        horizon_months=horizon_months,
        platform_cost=cost,
        cost_breakdown=breakdown,
        admin={
            "before_mean": saving.before_mean,
            "after_mean": saving.after_mean,
            "months_before": float(saving.months_before),
            "months_after": float(saving.months_after),
            "hours_saved": saving.hours_saved,
            "std_error": saving.std_error,
            "df": saving.df,
            "hours_conf_low": saving.hours_saved - tq * saving.std_error,
            "hours_conf_high": saving.hours_saved + tq * saving.std_error,
            "hourly_cost": hc[1],
            "hourly_cost_low": hc[0],
            "hourly_cost_high": hc[2],
            "benefit_months": tf,
            "conf_low": float(alo),
            "conf_high": float(ahi),
        },
        admin_benefit=admin_point,
        programs_net_benefit=prog_point,
        benefit=benefit,
        net_benefit=benefit - cost,
        roi_pct=(benefit - cost) / cost * 100.0,
        roi_conf_low=float(lo),
        roi_conf_high=float(hi),
        p_roi_positive=float(np.mean(roi > 0)),
        bcr=benefit / cost,
        roi_std=float(np.std(roi)),
        programs=tuple(rows),
        included=tuple(f"{r['program']}:{r['kpi']}:{r['basis']}" for r in rows if r["included"]),
        excluded=tuple(f"{r['program']}:{r['kpi']}:{r['basis']}" for r in rows if not r["included"]),
        include_unattributed=include_unattributed,
        level=level,
        draws=draws,
        seed=seed,
        notes=tuple(notes),
        histogram={"edges": [float(e) for e in edges], "counts": [float(c) for c in counts]},
    )


def admin_saving(frame: pd.DataFrame, go_live: str | date | None = None) -> AdminSaving:
    """Mean monthly admin hours before minus after, Welch's SE and Welch-Satterthwaite df (Welch 1947)."""
    missing = [c for c in ("period", "admin_hours") if c not in frame.columns]
    if missing:
        raise DataError(
            f"the admin-time frame has no column {', '.join(missing)}",
            where="admin time",
            hint="Pass one row per month (or per admin and month): period (e.g. 2025-03), admin_hours, "
            "and a phase column (before/after) or go_live=.",
        )
    hours = pd.to_numeric(frame["admin_hours"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(hours) | (hours < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"admin_hours {frame['admin_hours'].iloc[row]!r} is not a number >= 0",
            where=f"admin time row {row + 1} column admin_hours",
            hint="Write hours as plain numbers (timesheets or the LMS admin-activity log).",
        )
    try:
        period = pd.PeriodIndex(pd.to_datetime(frame["period"].astype(str), format="ISO8601"), freq="M")
    except (ValueError, TypeError) as err:
        raise DataError(
            f"the admin-time periods are not dates or months ({err})",
            where="admin time column period",
            hint="Write periods as YYYY-MM or YYYY-MM-DD.",
        ) from err
    phase = _phases(frame, period, go_live)
    monthly = (
        pd.DataFrame({"phase": phase, "period": period, "hours": hours})
        .groupby(["phase", "period"], observed=True, as_index=False)["hours"]
        .sum()
    )
    parts = {p: monthly.loc[monthly["phase"] == p, "hours"].to_numpy(dtype=float) for p in PHASES}
    short = [p for p in PHASES if len(parts[p]) < 2]
    if short:
        raise DataError(
            f"the admin-time frame needs at least two months {' and '.join(short)} the platform",
            where="admin time",
            hint="Add monthly admin hours for several months before and after go-live.",
        )
    b, a = parts["before"], parts["after"]
    vb, va = float(np.var(b, ddof=1)) / len(b), float(np.var(a, ddof=1)) / len(a)
    se = math.sqrt(vb + va)
    df = (vb + va) ** 2 / (vb**2 / (len(b) - 1) + va**2 / (len(a) - 1)) if se > 0 else math.inf
    return AdminSaving(
        before_mean=float(b.mean()),
        after_mean=float(a.mean()),
        months_before=len(b),
        months_after=len(a),
        hours_saved=float(b.mean() - a.mean()),
        std_error=se,
        df=float(df),
    )


def _phases(frame: pd.DataFrame, period: pd.PeriodIndex, go_live: str | date | None) -> NDArray[Any]:
    if "phase" in frame.columns:
        phase = frame["phase"].astype(str).str.strip().str.lower()
        bad = ~phase.isin(PHASES)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"unknown phase {frame['phase'].iloc[row]!r}",
                where=f"admin time row {row + 1} column phase",
                hint="Use 'before' or 'after' (the platform's go-live).",
            )
        return phase.to_numpy()
    if go_live is None:
        raise UsageError(
            "which months are before the platform and which after?",
            hint="Pass go_live= (the month the platform went live) or add a phase column (before/after).",
        )
    try:
        cut = pd.Period(pd.Timestamp(go_live), freq="M")
    except (ValueError, TypeError) as err:
        raise UsageError(
            f"go_live {go_live!r} is not a date or a month",
            hint="Pass go_live as YYYY-MM (the month the platform went live) or a date.",
        ) from err
    return np.where(period >= cut, "after", "before")


def _platform_costs(df: pd.DataFrame, currency: str) -> tuple[float, dict[str, float]]:
    if "amount" not in df.columns:
        raise DataError(
            "the platform cost frame has no column amount",
            where="platform costs",
            hint="Pass one row per cost line: category (licences, administration, integration...), amount.",
        )
    amount = pd.to_numeric(df["amount"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(amount)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"platform cost amount {df['amount'].iloc[row]!r} is not a number",
            where=f"platform costs row {row + 1} column amount",
            hint="Write amounts as plain numbers in the programs' currency.",
        )
    if "currency" in df.columns:
        other = sorted(set(df["currency"].dropna().astype(str).str.strip()) - {currency, ""})
        if other:
            raise SpecError(
                f"platform costs are in {', '.join(other)}, the programs are in {currency}",
                where="platform costs column currency",
                hint="Convert the platform costs to the programs' currency.",
            )
    cats = (
        df["category"].astype(str).str.strip()
        if "category" in df.columns
        else pd.Series(["platform"] * len(df))
    )
    sums = pd.Series(amount).groupby(cats.to_numpy()).sum()
    total = float(amount.sum())
    if not total > 0:
        raise DataError(
            "the platform's total cost is not positive",
            where="platform costs",
            hint="Pass the licence, administration and integration costs: ROI is undefined without costs.",
        )
    return total, {str(k): float(v) for k, v in sums.items()}


def _hourly(hc: float | tuple[float, float, float]) -> tuple[float, float, float]:
    lo, val, hi = (float(hc), float(hc), float(hc)) if isinstance(hc, int | float) else tuple(map(float, hc))
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= val <= hi):
        raise UsageError(
            f"hourly_cost must be a number >= 0 or (low, value, high) in order; got {hc}",
            hint="Pass the admin staff's loaded hourly cost (salary + on-costs / standard hours).",
        )
    return lo, val, hi


def _select(
    results: Sequence[RoiResult], include_unattributed: bool, currency: str, horizon: int
) -> tuple[list[dict[str, Any]], list[RoiResult], list[str]]:
    """Which program results count, and why the others do not (attributed first, one per program/KPI)."""
    order = sorted(range(len(results)), key=lambda i: results[i].basis != "attributed")
    rows: list[dict[str, Any] | None] = [None] * len(results)
    taken: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    for i in order:
        r = results[i]
        key = (r.program, r.kpi)
        attributed = r.basis == "attributed" and r.identified
        if not r.computed:
            ok, why = False, "not identified: no ROI was computed"
        elif not attributed and not include_unattributed:
            ok, why = False, f"{r.basis} basis, not attributed (pass include_unattributed=True to count it)"
        elif key in taken:
            ok, why = False, f"duplicate: the {taken[key]} result for this program and KPI is counted"
        else:
            ok, why = (
                True,
                "attributed (identified)" if attributed else f"{r.basis.upper()} basis, counted on request",
            )
        if ok:
            if r.currency != currency:
                raise SpecError(
                    f"program {r.program!r} is in {r.currency}, the platform roll-up in {currency}",
                    hint="Compute every program's ROI in one currency (pass currency= to match).",
                )
            taken[key] = r.basis
            if r.horizon_months != horizon:
                notes.append(
                    f"{r.program} counts {r.horizon_months} months of benefits, the platform {horizon}"
                )
            if r.cost_breakdown.get("platform"):
                notes.append(
                    f"{r.program} already carries platform costs of {r.cost_breakdown['platform']:,.0f} in its "
                    "own cost: make sure they are not the same lines as the platform cost frame"
                )
        rows[i] = {
            "program": r.program,
            "kpi": r.kpi,
            "basis": r.basis,
            "included": ok,
            "reason": why,
            "benefit": r.benefit,
            "cost": r.cost,
            "net_benefit": r.net_benefit,
            "roi_pct": r.roi_pct,
            "conf_low": None,
            "conf_high": None,
        }
    done = [row for row in rows if row is not None]
    chosen = [results[i] for i in range(len(results)) if done[i]["included"]]
    return (
        [row for row in done if row["included"]] + [row for row in done if not row["included"]],
        chosen,
        notes,
    )


def _program_draws(res: RoiResult, rng: np.random.Generator, n: int, notes: list[str]) -> Array:
    """The program's simulated net benefit, resampled; rebuilt from its ROI histogram when not stored."""
    stored = res.net_benefit_draws
    if stored is not None and len(stored):
        return np.asarray(rng.choice(np.asarray(stored, dtype=float), size=n, replace=True), dtype=float)
    counts = np.asarray(res.histogram.get("counts", []), dtype=float)
    edges = np.asarray(res.histogram.get("edges", []), dtype=float)
    if counts.sum() > 0 and len(edges) == len(counts) + 1:
        notes.append(
            f"{res.program}: net benefit distribution rebuilt from its ROI histogram (x its point cost)"
        )
        k = rng.choice(len(counts), size=n, p=counts / counts.sum())
        roi = rng.uniform(edges[k], edges[k + 1])
        return np.asarray(res.cost * roi / 100.0, dtype=float)
    notes.append(f"{res.program}: no simulated distribution stored, its net benefit counts as fixed")
    return np.full(n, float(res.net_benefit or 0.0))


def _money(x: float | None, cur: str) -> str:
    return "n/a" if x is None else f"{cur} {x:,.0f}"


__all__ = ["AdminSaving", "PlatformRoiResult", "admin_saving", "platform_roi"]
