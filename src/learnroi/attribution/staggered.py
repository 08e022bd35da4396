"""Staggered adoption: group-time ATTs of Callaway & Sant'Anna (2021, J. Econometrics 225(2)).

Each ATT(g,t) is a 2x2 DiD (``did.panel_2x2`` / ``did.rc_2x2``: DR, outcome regression or IPW) of cohort
g against never-treated or not-yet-treated units, between period t and the base period (g-1-anticipation
after treatment; t-1 before treatment with ``base_period="varying"``). Standard errors come from the
cells' influence functions (clustered by summing within clusters), so that aggregation (simple, group,
event time, calendar) and the pre-test reuse one n x cells matrix. Numbers match the R ``did`` package
(analytic SEs) to machine precision on ``mpdta`` (tests/reference/test_mpdta_cs.py).

Repeated cross-sections (``panel=False``) are how the onboarding KPI (one value per hire, hire cohorts
by month, waves by department) is estimated: every hire is one row, ``group`` is the department's wave
start, ``cluster`` the department. We chose this over collapsing to department x month cells because
departments do not hire every month (the cell panel would be unbalanced, and ``did`` needs balance),
hire-level rows weight every hire equally without hand-made weights that vary over time, and the
department clustering of the influence function keeps inference honest with >= 30 departments. Its
assumption: within a wave, the mix of hires across departments is stable over time (documented in
docs/explanation/methods/staggered.md, with the cell-panel alternative).

Written by hand (numpy) rather than calling ``moderndid`` because it is a test-only dependency, it runs
one statsmodels GLM per cell, and the design chooser needs the IF matrix; ``moderndid`` is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from learnroi.attribution.bootstrap import multiplier_bootstrap, uniform_critical_value
from learnroi.attribution.did import codes, frame_columns, numeric
from learnroi.attribution.result import TIDY_COLUMNS, EffectResult, Term
from learnroi.attribution.staggered_aggregate import (
    PreTest,
    aggregate,
    pretest,
    se_from_if,
)
from learnroi.attribution.staggered_fit import cells_of, fit_panel, fit_rc
from learnroi.attribution.twfe import compact
from learnroi.core.errors import DataError
from learnroi.core.options import check_option

Arr = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
ControlGroup = Literal["never", "notyet"]
CSMethod = Literal["dr", "reg", "ipw"]
BasePeriod = Literal["varying", "universal"]
AggKind = Literal["simple", "group", "dynamic", "calendar"]
_NAMES = {
    "simple": "overall ATT",
    "group": "ATT by cohort",
    "dynamic": "ATT by event time",
    "calendar": "ATT by period",
}


@dataclass(frozen=True, eq=False)
class CSResult:
    """ATT(g,t) cells with their influence functions; aggregate with :meth:`aggregate`."""

    group: Arr
    time: Arr
    att: Arr
    se: Arr
    cell_n: Ints
    inf: Arr
    """n x cells influence functions (n units, or rows for repeated cross-sections), scaled as in ``did``
    (SE = sqrt(sum psi^2) / n). Rows may be in an internal order; ``unit_group`` and ``cluster`` follow it."""
    unit_group: Arr
    """Each unit's (row's) cohort, 0 = never treated (used for the group-size weights)."""
    cluster: Ints | None
    n: int
    periods: Arr
    settings: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95

    # ------------------------------------------------------------------ tables
    def _z(self) -> float:
        return float(stats.norm.ppf(0.5 + self.level / 2))

    def tidy(self) -> pd.DataFrame:
        """One row per ATT(g,t): the standard tidy columns plus ``group``, ``time``, ``event_time``, ``post``."""
        z = self._z()
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 2 * stats.norm.sf(np.abs(self.att / self.se))
        df = pd.DataFrame(
            {
                "term": [f"ATT({g:g},{t:g})" for g, t in zip(self.group, self.time, strict=True)],
                "estimate": self.att,
                "std_error": self.se,
                "conf_low": self.att - z * self.se,
                "conf_high": self.att + z * self.se,
                "p_value": p,
                "n": self.cell_n,
                "method": self.method,
            }
        )
        df["group"] = self.group
        df["time"] = self.time
        df["event_time"] = self.time - self.group
        df["post"] = self.time >= self.group
        return df[[*TIDY_COLUMNS, "group", "time", "event_time", "post"]]

    @property
    def method(self) -> str:
        s = self.settings
        return f"Callaway-Sant'Anna ({s.get('est', 'dr')}, {s.get('control', 'never')}-treated comparison)"

    def pretest(self) -> PreTest:
        """Wald test that every pre-treatment ATT(g,t) is zero; ``.p_value`` (did's ``Wpval``, chi2 reference).
        With few clusters per cohort the chi2 reference over-rejects badly (63-71% at 5% on the simulated
        company): use ``staggered_pretest.wild_pretest_of`` (wild cluster bootstrap) there."""
        return self._pretest

    @cached_property
    def _pretest(self) -> PreTest:
        return pretest(self.att, self.inf, self.group, self.time, self.cluster)

    def aggregate(
        self,
        kind: str = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        cband: bool = False,
        reps: int = 999,
        seed: int = 0,
        weights: str = "rademacher",
    ) -> EffectResult:
        """Aggregate the cells (``did::aggte``): ``simple`` (group-size weighted post cells), ``group``,
        ``dynamic`` (event time; the headline averages e >= 0) or ``calendar``. Components follow the
        headline in ``terms``. ``cband=True``: the components' intervals are simultaneous (sup-t critical
        value from a seeded multiplier bootstrap of the influence functions, clustered if ``cluster``)."""
        check_option(kind, AggKind, "kind")
        w = np.ones(self.n)
        agg = aggregate(
            kind, self.att, self.inf, self.group, self.time, self.unit_group, w,
            min_e=min_e, max_e=max_e, balance_e=balance_e, periods=self.periods,
        )  # fmt: skip
        z = self._z()
        se = float(se_from_if(agg.inf, self.cluster)[0])
        n_treated = int(np.sum(np.isin(self.unit_group, np.unique(self.group))))
        terms = [Term(_NAMES[kind], agg.estimate, se, self.n, agg.estimate - z * se, agg.estimate + z * se)]
        crit = z
        if agg.comp_inf.shape[1]:
            ses = se_from_if(agg.comp_inf, self.cluster)
            if cband:
                draws = multiplier_bootstrap(
                    agg.comp_inf, self.cluster, reps=reps, seed=seed, weights=weights
                )
                crit = uniform_critical_value(draws, self.level)[0]
            for lab, v, s in zip(agg.labels, agg.values, ses, strict=True):
                terms.append(Term(lab, float(v), float(s), self.n, float(v - crit * s), float(v + crit * s)))
        pt = self.pretest()
        return EffectResult(
            method=self.method,
            design="staggered",
            estimand="ATT",
            terms=tuple(terms),
            n=self.n,
            diagnostics=(pt,),
            extra={
                "aggregation": kind,
                "critical_value": crit,
                "uniform_band": bool(cband and agg.comp_inf.shape[1]),
                "n_treated": n_treated,
                "settings": dict(self.settings),
                "att_gt": self.tidy().to_dict(orient="records"),
            },
        )

    def event_study(self) -> pd.DataFrame:
        """Event-time table (``event_time, estimate, std_error, conf_low, conf_high``) from the dynamic
        aggregation, pre-periods included."""
        res = self.aggregate("dynamic")
        agg = aggregate(
            "dynamic", self.att, self.inf, self.group, self.time, self.unit_group, np.ones(self.n)
        )
        df = res.tidy().iloc[1:].reset_index(drop=True)
        df.insert(0, "event_time", agg.keys.astype(int))
        return df

    def summary(self) -> str:
        head = self.aggregate("simple")
        pt = self.pretest()
        lines = [head.summary(), f"  {len(self.att)} ATT(g,t) cells; pre-test p = {pt.p_value:.3g}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        pt = self.pretest()
        return {
            "method": self.method,
            "n": self.n,
            "settings": dict(self.settings),
            "att_gt": self.tidy().to_dict(orient="records"),
            "simple": self.aggregate("simple").to_dict(),
            "pretest": {**pt.to_dict(), "statistic": pt.statistic, "df": pt.df},
        }


# ---------------------------------------------------------------------- estimation
def _levels(a: Arr) -> Arr:
    """Sorted distinct values of a long array with few of them (hashing; np.unique sorts all n)."""
    return np.sort(np.asarray(pd.unique(a), dtype=np.float64))


def callaway_santanna(
    df: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    covariates: tuple[str, ...] | list[str] = (),
    control: str = "never",
    est: str = "dr",
    panel: bool = True,
    cluster: str | None = None,
    anticipation: int = 0,
    base_period: str = "varying",
    level: float = 0.95,
) -> CSResult:
    """Group-time ATTs for staggered adoption (Callaway & Sant'Anna 2021).

    ``group`` is the first treated period (0 or missing = never treated; a start after the last period
    counts as never treated); ``time`` numeric periods. ``panel=False``: repeated cross-sections (one row
    per observation; ``unit`` is then only used as a row id). ``control``: ``"never"`` or ``"notyet"``.
    ``est``: ``"dr"``, ``"reg"``, ``"ipw"``. Groups treated in the first period are dropped.
    """
    check_option(control, ControlGroup, "control")
    check_option(est, CSMethod, "est")
    check_option(base_period, BasePeriod, "base_period")
    covs = tuple(covariates)
    f = frame_columns(df, [outcome, unit, time, group, *covs, *([cluster] if cluster else [])])
    y, t = numeric(f, outcome), numeric(f, time)
    g = pd.to_numeric(f[group], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    g = np.where(np.isfinite(g), g, 0.0)
    periods = _levels(t)
    g = np.where(g > periods.max(), 0.0, g)
    x = np.column_stack([np.ones(len(f))] + [numeric(f, c) for c in covs])
    cl = codes(f, cluster) if cluster else None
    keep = ~((g > 0) & (g <= periods.min() + anticipation))
    if not np.any(g == 0):
        if control == "never":
            raise DataError(
                "no never-treated units to compare with",
                hint="Use control='notyet' (not-yet-treated units as the comparison).",
            )
        last = g.max()
        keep &= t < last - anticipation
        g = np.where(g == last, 0.0, g)
    u = codes(f, unit)
    if not keep.all():
        y, t, g, x, u = y[keep], t[keep], g[keep], x[keep], compact(u[keep])
        cl = compact(cl[keep]) if cl is not None else None
    periods = _levels(t)
    glist = _levels(g[g > 0])
    if len(glist) == 0:
        raise DataError("no treated cohort with a pre-treatment period", hint=f"Check the {group} column.")
    settings = {
        "control": control, "est": est, "panel": panel, "anticipation": anticipation,
        "base_period": base_period, "covariates": list(covs), "cluster": cluster,
    }  # fmt: skip
    cells = cells_of(periods, glist, base_period, anticipation)
    if panel:
        fit = fit_panel(y, t, g, x, u, cl, periods, cells, control, est, anticipation, unit, cluster)
    else:
        fit = fit_rc(y, t, g, x, cl, periods, cells, control, est, anticipation)
    grp, tim, att, cn, inf, ug, ccl = fit
    return CSResult(
        group=grp, time=tim, att=att, se=se_from_if(inf, ccl), cell_n=cn, inf=inf,
        unit_group=ug, cluster=ccl, n=inf.shape[0], periods=periods, settings=settings, level=level,
    )  # fmt: skip
