"""A KPI's variance and pre/post correlation, measured on its history (the store's ``performance`` view).

The planner needs, per KPI: the baseline mean, the standard deviation of a person's mean over the
measurement window, and the correlation between a person's baseline-window mean and measurement-window
mean (the CUPED covariate, Deng et al. 2013). Both are measured on the latest ``baseline + measurement``
months of history. The one-way variance components (between-person and within-person, the ANOVA
estimator of Searle et al. 1992, ch. 3) extrapolate them to other window lengths for the advice:
``var(k-month mean) = s_b^2 + s_w^2 / k`` and ``corr = s_b^2 / sqrt(var_b_window * var_m_window)``.

:func:`kpi_moments` is a pure function over a frame; :func:`read_kpi_history` is the thin store reader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from learnroi.core.errors import DataError

HISTORY_COLUMNS = ["employee_id", "period", "kpi", "value"]


@dataclass(frozen=True)
class KpiMoments:
    """Moments of one KPI over a baseline window followed by a measurement window (person-level means)."""

    kpi: str
    n: int
    mean: float
    sd: float
    rho: float
    between_var: float
    within_var: float
    baseline_months: int
    measurement_months: int
    is_binary: bool = False
    cross_sectional: bool = False
    """One value per person (e.g. weeks to productivity per hire): no pre/post correlation, no windows."""
    per_month: float = 0.0
    """People with a value per month, on average (the inflow of a cross-sectional KPI)."""

    def window(self, measurement_months: int, baseline_months: int | None = None) -> tuple[float, float]:
        """(sd, rho) for other window lengths, from the variance components."""
        kb = baseline_months or self.baseline_months
        vb, vw = self.between_var, self.within_var
        var_m = vb + vw / measurement_months
        var_b = vb + vw / kb if kb > 0 else 0.0
        rho = vb / math.sqrt(var_b * var_m) if var_b > 0 and var_m > 0 else 0.0
        return math.sqrt(var_m), min(rho, 0.99)

    def window_table(self, up_to: int = 12) -> dict[int, tuple[float, float]]:
        return {k: self.window(k) for k in range(1, up_to + 1)}

    def tidy(self) -> pd.DataFrame:
        keys = ("n", "mean", "sd", "rho", "between_var", "within_var", "per_month")
        return pd.DataFrame([{"quantity": k, "value": float(getattr(self, k))} for k in keys])

    def summary(self) -> str:
        if self.cross_sectional:
            return (
                f"{self.kpi}: one value per person; mean {self.mean:,.4g}, SD {self.sd:,.4g} "
                f"({self.n:,} values, ~{self.per_month:.1f} a month)"
            )
        return (
            f"{self.kpi}: {self.measurement_months}-month mean {self.mean:,.4g}, SD {self.sd:,.4g}, "
            f"correlation with the {self.baseline_months}-month baseline {self.rho:.2f} ({self.n:,} people)"
        )

    def to_dict(self) -> dict[str, Any]:
        from learnroi.design.power import json_safe

        return {f: json_safe(getattr(self, f)) for f in self.__dataclass_fields__}


def kpi_moments(
    history: pd.DataFrame,
    kpi: str,
    *,
    baseline_months: int = 3,
    measurement_months: int = 3,
    end: str | None = None,
) -> KpiMoments:
    """Measure a KPI's person-level mean, SD and pre/post correlation on its latest history.

    ``history`` has columns ``employee_id, period, kpi, value`` (long format, one row per person-month).
    The last ``baseline_months + measurement_months`` periods up to ``end`` are used; people need a value
    in both windows.
    """
    missing = [c for c in HISTORY_COLUMNS if c not in history.columns]
    if missing:
        raise DataError(
            f"the KPI history lacks columns {missing}",
            hint="Pass the performance view's columns: employee_id, period, kpi, value.",
        )
    df = history.loc[history["kpi"] == kpi, ["employee_id", "period", "value"]].dropna()
    if df.empty:
        raise DataError(
            f"no history for KPI {kpi!r}",
            hint="Ingest performance data for it (`learnroi ingest performance FILE`) or pass --sd and --rho.",
        )
    df = df.assign(period=pd.to_datetime(df["period"]).dt.to_period("M"), value=df["value"].astype(float))
    if end is not None:
        df = df[df["period"] <= pd.Period(end, freq="M")]
    periods = np.sort(df["period"].unique())
    need = baseline_months + measurement_months
    if len(periods) < max(need, 2):
        raise DataError(
            f"KPI {kpi!r} has {len(periods)} months of history; {need} are needed "
            f"({baseline_months} baseline + {measurement_months} measurement)",
            hint="Ingest more history, or shorten --baseline-months / --measurement-months.",
        )
    per_person = df.groupby("employee_id").size()
    if float(per_person.median()) <= 1:
        return _cross_sectional(df, kpi, periods, baseline_months, measurement_months)
    window = periods[-need:]
    df = df[df["period"].isin(window)]
    post_start = window[baseline_months] if baseline_months > 0 else window[0]
    is_post = df["period"] >= post_start
    post = df[is_post].groupby("employee_id")["value"].mean()
    pre = df[~is_post].groupby("employee_id")["value"].mean()
    joined = pd.concat({"pre": pre, "post": post}, axis=1).dropna()
    if baseline_months == 0:
        joined = post.to_frame("post").assign(pre=np.nan)
    n = len(joined)
    if n < 3:
        raise DataError(
            f"KPI {kpi!r}: only {n} people have values in both windows",
            hint="Ingest more history, or pass --sd and --rho from another source.",
        )
    rho = float(joined["pre"].corr(joined["post"])) if baseline_months > 0 else 0.0
    vb, vw = _variance_components(df)
    values = df["value"].to_numpy()
    return KpiMoments(
        kpi=kpi,
        n=n,
        mean=float(joined["post"].mean()),
        sd=float(joined["post"].std(ddof=1)),
        rho=0.0 if not math.isfinite(rho) else max(min(rho, 0.99), -0.99),
        between_var=vb,
        within_var=vw,
        baseline_months=baseline_months,
        measurement_months=measurement_months,
        is_binary=bool(np.isin(values, (0.0, 1.0)).all()),
    )


def _cross_sectional(
    df: pd.DataFrame, kpi: str, periods: np.ndarray, baseline_months: int, measurement_months: int
) -> KpiMoments:
    """Moments of a one-value-per-person KPI over its last 12 months (or all, if shorter)."""
    recent = df[df["period"].isin(periods[-12:])]
    values = recent["value"].to_numpy()
    if len(values) < 3:
        raise DataError(
            f"KPI {kpi!r}: only {len(values)} values in the last 12 months",
            hint="Ingest more history, or pass --sd and --baseline.",
        )
    var = float(np.var(values, ddof=1))
    return KpiMoments(
        kpi=kpi,
        n=len(values),
        mean=float(values.mean()),
        sd=math.sqrt(var),
        rho=0.0,
        between_var=var,
        within_var=0.0,
        baseline_months=baseline_months,
        measurement_months=measurement_months,
        is_binary=bool(np.isin(values, (0.0, 1.0)).all()),
        cross_sectional=True,
        per_month=len(values) / float(min(len(periods), 12)),
    )


def _variance_components(df: pd.DataFrame) -> tuple[float, float]:
    """One-way ANOVA estimates of between- and within-person variance of monthly values."""
    g = df.groupby("employee_id")["value"]
    n_i = g.size().to_numpy(dtype=float)
    means = g.mean().to_numpy()
    ss_w = float(((df["value"] - g.transform("mean")) ** 2).sum())
    k, n_tot = len(n_i), float(n_i.sum())
    if k < 2 or n_tot <= k:
        return float(np.var(means, ddof=1)) if k > 1 else 0.0, 0.0
    ms_w = ss_w / (n_tot - k)
    grand = float(df["value"].mean())
    ms_b = float((n_i * (means - grand) ** 2).sum() / (k - 1))
    n0 = (n_tot - (n_i**2).sum() / n_tot) / (k - 1)
    return max(float(ms_b - ms_w) / float(n0), 0.0), float(ms_w)


def estimate_icc(values: Any, clusters: Any) -> float:
    """Intraclass correlation of ``values`` within ``clusters`` (one-way ANOVA estimator, clipped at 0)."""
    frame = pd.DataFrame({"employee_id": np.asarray(clusters), "value": np.asarray(values, dtype=float)})
    vb, vw = _variance_components(frame.dropna())
    return vb / (vb + vw) if vb + vw > 0 else 0.0


def read_kpi_history(con: Any, kpi: str) -> pd.DataFrame:
    """Read one KPI's rows from the store's ``performance`` view (a DuckDB connection)."""
    try:
        frame: pd.DataFrame = con.execute(
            "SELECT employee_id, period, kpi, value FROM performance WHERE kpi = ?", [kpi]
        ).df()
    except Exception as exc:  # duckdb.CatalogException when nothing was ingested
        raise DataError(
            f"the store has no performance data ({type(exc).__name__})",
            hint="Ingest performance data first (`learnroi ingest performance FILE`), or pass --sd and --rho.",
        ) from None
    return frame
