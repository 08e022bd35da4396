"""Two-group, two-period difference-in-differences with covariates (Sant'Anna & Zhao 2020).

``did_2x2`` estimates the ATT by outcome regression (Heckman, Ichimura & Todd 1997), normalized inverse
probability weighting (Abadie 2005) or the doubly robust estimator of Sant'Anna & Zhao (2020, J.
Econometrics 219(1)), for a panel (``unit`` given: the estimator works on each unit's change) or for
repeated cross-sections (the "locally efficient" DR estimator, eq. 3.4). Standard errors come from the
estimators' influence functions, summed within clusters when ``cluster`` is given.

The array cores (``panel_2x2``, ``rc_2x2``) are shared with ``staggered.callaway_santanna``: each ATT(g,t)
cell is one 2x2 problem. They are written by hand (numpy), following the R ``DRDID`` package formula by
formula, because no maintained Python library exposes the influence functions vectorized and fast
(``moderndid`` does, but one cell at a time through statsmodels GLM; it is a test-only reference here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from learnroi.attribution.result import Diagnostic, EffectResult, Term
from learnroi.core.errors import DataError, UsageError
from learnroi.core.options import check_option

Arr = npt.NDArray[np.float64]
DidMethod = Literal["dr", "reg", "ipw"]
TRIM_LEVEL = 0.995
"""Control units with a propensity score above this are dropped (DRDID's ``trim.level``)."""


# --------------------------------------------------------------------------- frames
def frame_columns(df: Any, columns: list[str]) -> pd.DataFrame:
    """The named columns of a pandas, polars or Arrow frame as a pandas frame (the input is not mutated)."""
    cols = list(dict.fromkeys(c for c in columns if c))
    if isinstance(df, pd.DataFrame):
        have = [str(c) for c in df.columns]
    elif hasattr(df, "column_names"):  # pyarrow.Table
        have = list(df.column_names)
    elif hasattr(df, "columns"):
        have = [str(c) for c in df.columns]
    else:
        raise UsageError(
            f"expected a pandas, polars or Arrow table, got {type(df).__name__}",
            hint="Pass a pandas.DataFrame, polars.DataFrame or pyarrow.Table.",
        )
    missing = [c for c in cols if c not in have]
    if missing:
        raise DataError(
            f"column(s) {', '.join(missing)} not in the data",
            hint=f"The data have: {', '.join(have[:30])}. Pass the right column names.",
        )
    if isinstance(df, pd.DataFrame):
        out = df.loc[:, cols].reset_index(drop=True)
    else:
        out = df.select(cols).to_pandas()
    return out


def numeric(frame: pd.DataFrame, col: str) -> Arr:
    """A column as float64; refuse missing or non-numeric values with a hint."""
    try:
        arr = pd.to_numeric(frame[col]).to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise DataError(f"column {col} is not numeric", hint=f"Convert {col} to numbers.") from exc
    bad = int(np.sum(~np.isfinite(arr)))
    if bad:
        raise DataError(
            f"column {col} has {bad} missing or infinite value(s)",
            hint=f"Drop or impute the rows with a missing {col} before estimating.",
        )
    return arr


def codes(frame: pd.DataFrame, col: str) -> npt.NDArray[np.int64]:
    """Integer codes 0..k-1 of an id column (strings or numbers); missing ids are refused."""
    if frame[col].isna().any():
        raise DataError(f"column {col} has missing ids", hint=f"Fill or drop rows with a missing {col}.")
    c, _ = pd.factorize(frame[col], sort=True)
    return c.astype(np.int64)


def binary(frame: pd.DataFrame, col: str) -> Arr:
    arr = numeric(frame, col)
    if not np.all((arr == 0) | (arr == 1)):
        raise DataError(f"column {col} must be 0/1 (or boolean)", hint=f"Recode {col} as 0/1.")
    return arr


# --------------------------------------------------------------------------- numerics
# Tall-skinny products (n x k, k small) go through einsum: BLAS threads cost more than they save here.
def xtv(x: Arr, v: Arr) -> Arr:
    """x' v for an n x k matrix and an n-vector."""
    return np.asarray(np.einsum("ij,i->j", x, v), dtype=np.float64)


def gram(x: Arr, w: Arr) -> Arr:
    """x' diag(w) x."""
    return np.asarray(np.einsum("ij,i,ik->jk", x, w, x), dtype=np.float64)


def xb(x: Arr, b: Arr) -> Arr:
    """x b for an n x k matrix and a k-vector."""
    return np.asarray(np.einsum("ij,j->i", x, b), dtype=np.float64)


@dataclass(frozen=True)
class LinRep:
    """An estimated coefficient's asymptotic linear representation a_i * x_i' G (n x k), kept implicit."""

    a: Arr
    g: Arr

    def dot(self, x: Arr, m: Arr) -> Arr:
        """(a_i x_i' G) m for every row i."""
        return self.a * xb(x, self.g @ m)


def logit_fit(d: Arr, x: Arr, w: Arr) -> tuple[Arr, Arr]:
    """Weighted logit by Newton-Raphson to a 1e-10 step; returns (fitted p, (X'WX)^-1 at the optimum)."""
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-xb(x, beta)))
        step = np.linalg.solve(gram(x, w * p * (1 - p)), xtv(x, w * (d - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    else:
        raise DataError(
            "the propensity-score logit did not converge (perfect separation?)",
            hint="Drop covariates that predict treatment perfectly, or use method='reg'.",
        )
    p = 1.0 / (1.0 + np.exp(-xb(x, beta)))
    hinv = np.asarray(np.linalg.inv(gram(x, w * p * (1 - p))), dtype=np.float64)
    return np.asarray(np.clip(p, 1e-6, 1 - 1e-6), dtype=np.float64), hinv


def _wls(y: Arr, x: Arr, w: Arr, n: int) -> tuple[Arr, LinRep]:
    """Weighted least squares on the rows with w > 0: fitted values for all rows and the coefficient's
    linear representation w_i e_i x_i' (X'WX/n)^-1."""
    g = gram(x, w) / n
    if np.linalg.cond(g) > 1 / np.finfo(float).eps:
        raise DataError(
            "the outcome regression is singular (too few comparison units for the covariates)",
            hint="Use fewer covariates or method='ipw'.",
        )
    ginv = np.asarray(np.linalg.inv(g), dtype=np.float64)
    fitted = xb(x, ginv @ xtv(x, w * y) / n)
    return fitted, LinRep(w * (y - fitted), ginv)


def _zero_rep(n: int, k: int) -> LinRep:
    return LinRep(np.zeros(n), np.zeros((k, k)))


def _ps(d: Arr, x: Arr, w: Arr, estimate: bool) -> tuple[Arr, LinRep]:
    """Propensity score and its linear representation (score x Hessian^-1 x n), or a constant."""
    n, k = x.shape
    if estimate and k > 1:
        ps, hinv = logit_fit(d, x, w)
        return ps, LinRep(w * (d - ps), hinv * n)
    return np.full(n, np.average(d, weights=w)), _zero_rep(n, k)


def panel_2x2(dy: Arr, d: Arr, x: Arr, w: Arr, method: str) -> tuple[float, Arr]:
    """ATT and influence function from each unit's change ``dy`` (DRDID ``drdid_panel``,
    ``reg_did_panel``, ``std_ipw_did_panel``). Outcome regression is the DR estimator with a constant
    propensity score; IPW is the DR estimator without the outcome model."""
    n = len(d)
    w = w / w.mean()
    use_ps, use_or = method in ("dr", "ipw"), method in ("dr", "reg")
    ps, rep_ps = _ps(d, x, w, use_ps)
    trim = np.where(d == 0, ps < TRIM_LEVEL, 1.0) if use_ps else np.ones(n)
    w1 = trim * w * d
    w0 = trim * w * ps * (1 - d) / (1 - ps)
    m, rep_or = _wls(dy, x, w * (1 - d), n) if use_or else (np.zeros(n), _zero_rep(n, x.shape[1]))
    r = dy - m
    m1, m0 = w1.mean(), w0.mean()
    eta1 = np.mean(w1 * r) / m1
    eta0 = np.mean(w0 * r) / m0
    inf_t = (w1 * (r - eta1) - rep_or.dot(x, xtv(x, w1) / n)) / m1
    inf_c = (
        w0 * (r - eta0) + rep_ps.dot(x, xtv(x, w0 * (r - eta0)) / n) - rep_or.dot(x, xtv(x, w0) / n)
    ) / m0
    return float(eta1 - eta0), inf_t - inf_c


def _rc_reg(y: Arr, post: Arr, d: Arr, x: Arr, w: Arr) -> tuple[float, Arr]:
    """Outcome-regression DiD for repeated cross-sections (DRDID ``reg_did_rc``)."""
    n = len(d)
    m0, a0 = _wls(y, x, w * (1 - d) * (1 - post), n)
    m1, a1 = _wls(y, x, w * (1 - d) * post, n)
    wt0, wt1, wc = w * d * (1 - post), w * d * post, w * d
    e0 = np.mean(wt0 * y) / np.mean(wt0)
    e1 = np.mean(wt1 * y) / np.mean(wt1)
    ec = np.mean(wc * (m1 - m0)) / np.mean(wc)
    inf_t = wt1 * (y - e1) / np.mean(wt1) - wt0 * (y - e0) / np.mean(wt0)
    mx = xtv(x, wc) / n
    inf_c = (wc * (m1 - m0 - ec) + a1.dot(x, mx) - a0.dot(x, mx)) / np.mean(wc)
    return float(e1 - e0 - ec), inf_t - inf_c


def rc_2x2(y: Arr, post: Arr, d: Arr, x: Arr, w: Arr, method: str) -> tuple[float, Arr]:
    """ATT and influence function from repeated cross-sections (DRDID ``drdid_rc``: the locally efficient
    DR estimator of Sant'Anna & Zhao 2020 eq. 3.4; ``std_ipw_did_rc``; ``reg_did_rc``)."""
    n = len(d)
    w = w / w.mean()
    if method == "reg":
        return _rc_reg(y, post, d, x, w)
    use_or = method == "dr"
    ps, rep_ps = _ps(d, x, w, True)
    trim = np.where(d == 0, ps < TRIM_LEVEL, 1.0)
    out: dict[tuple[int, int], Arr] = {}
    rep: dict[tuple[int, int], LinRep] = {}
    for dd in (0, 1):
        for pp in (0, 1):
            wk = w * (d == dd) * (post == pp)
            out[dd, pp], rep[dd, pp] = (
                _wls(y, x, wk, n) if use_or else (np.zeros(n), _zero_rep(n, x.shape[1]))
            )
    oc = post * out[0, 1] + (1 - post) * out[0, 0]
    odds = ps * (1 - d) / (1 - ps)
    pk = {0: 1 - post, 1: post}
    wt = {k: trim * w * d * pk[k] for k in (0, 1)}
    wcn = {k: trim * w * odds * pk[k] for k in (0, 1)}
    wd = trim * w * d
    r = y - oc
    att_t = {k: np.mean(wt[k] * r) / np.mean(wt[k]) for k in (0, 1)}
    att_c = {k: np.mean(wcn[k] * r) / np.mean(wcn[k]) for k in (0, 1)}
    gap = {k: out[1, k] - out[0, k] for k in (0, 1)}
    att_d = {k: np.mean(wd * gap[k]) / np.mean(wd) for k in (0, 1)}
    att_dt = {k: np.mean(wt[k] * gap[k]) / np.mean(wt[k]) for k in (0, 1)}
    att = (att_t[1] - att_t[0]) - (att_c[1] - att_c[0]) + (att_d[1] - att_dt[1]) - (att_d[0] - att_dt[0])
    inf_treat = sum(
        (-1) ** (1 - k) * wt[k] * (r - att_t[k]) / np.mean(wt[k])
        - rep[0, k].dot(x, xtv(x, wt[k] * pk[k]) / n / np.mean(wt[k]))
        for k in (0, 1)
    )
    mom = {k: xtv(x, wcn[k] * (r - att_c[k])) / n / np.mean(wcn[k]) for k in (0, 1)}
    inf_cont = rep_ps.dot(x, mom[1] - mom[0]) + sum(
        (-1) ** (1 - k) * wcn[k] * (r - att_c[k]) / np.mean(wcn[k])
        - rep[0, k].dot(x, xtv(x, wcn[k] * pk[k]) / n / np.mean(wcn[k]))
        for k in (0, 1)
    )
    inf_eff = [
        wd * (gap[k] - att_d[k]) / np.mean(wd) - wt[k] * (gap[k] - att_dt[k]) / np.mean(wt[k]) for k in (0, 1)
    ]
    mom_or = [xtv(x, wd / np.mean(wd) - wt[k] / np.mean(wt[k])) / n for k in (0, 1)]
    inf_or = sum(
        (-1) ** (1 - k) * (rep[1, k].dot(x, mom_or[k]) - rep[0, k].dot(x, mom_or[k])) for k in (0, 1)
    )
    return float(att), np.asarray(inf_treat - inf_cont + inf_eff[1] - inf_eff[0] + inf_or, dtype=np.float64)


def if_se(inf: Arr, cluster: npt.NDArray[np.int64] | None = None) -> float:
    """Standard error from an influence function scaled as in DRDID (se = sqrt(sum psi^2) / n); with
    clusters, psi is summed within each cluster and the G/(G-1) small-sample factor applied."""
    n = len(inf)
    if cluster is None:
        return float(np.sqrt(np.sum(inf**2)) / n)
    s = np.bincount(cluster, weights=inf)
    g = len(s)
    return float(np.sqrt(np.sum(s**2) * g / (g - 1)) / n)


# --------------------------------------------------------------------------- public
@dataclass(frozen=True)
class _Prepared:
    y: Arr
    post: Arr
    d: Arr
    x: Arr
    cluster: npt.NDArray[np.int64] | None
    panel: bool


def _prepare(
    df: Any,
    outcome: str,
    treated: str,
    post: str,
    unit: str | None,
    covariates: tuple[str, ...],
    cluster: str | None,
) -> _Prepared:
    f = frame_columns(
        df, [outcome, treated, post, *([unit] if unit else []), *covariates, *([cluster] if cluster else [])]
    )
    y, d, p = numeric(f, outcome), binary(f, treated), binary(f, post)
    x = np.column_stack([np.ones(len(f))] + [numeric(f, c) for c in covariates])
    cl = codes(f, cluster) if cluster else None
    if unit is None:
        return _Prepared(y, p, d, x, cl, panel=False)
    u = codes(f, unit)
    nu = int(u.max()) + 1
    cnt = np.bincount(u * 2 + p.astype(np.int64), minlength=2 * nu).reshape(nu, 2)
    if not np.all(cnt == 1):
        raise DataError(
            f"panel 2x2 needs each {unit} observed exactly once before and once after; "
            f"{int(np.sum(np.any(cnt != 1, axis=1)))} unit(s) are not",
            hint="Average each unit's rows within the pre and post periods, drop units seen only once, "
            "or pass unit=None to treat the data as repeated cross-sections.",
        )
    pre_i, post_i = np.flatnonzero(p == 0), np.flatnonzero(p == 1)
    pre_i, post_i = pre_i[np.argsort(u[pre_i])], post_i[np.argsort(u[post_i])]
    if np.any(d[pre_i] != d[post_i]):
        raise DataError(f"{treated} changes within a {unit}", hint=f"{treated} must mark the treated group.")
    dy = y[post_i] - y[pre_i]
    ucl = None
    if cl is not None:
        if np.any(cl[pre_i] != cl[post_i]):
            raise DataError(f"{cluster} changes within a {unit}", hint="Cluster on a unit-level variable.")
        ucl = cl[pre_i]
    return _Prepared(dy, np.ones(nu), d[pre_i], x[pre_i], ucl, panel=True)


def did_2x2(
    df: Any,
    *,
    outcome: str,
    treated: str,
    post: str,
    unit: str | None = None,
    covariates: tuple[str, ...] | list[str] = (),
    method: str = "dr",
    cluster: str | None = None,
    level: float = 0.95,
) -> EffectResult:
    """ATT of a two-group, two-period design (Sant'Anna & Zhao 2020).

    ``treated`` and ``post`` are 0/1 columns. With ``unit`` the data are a panel (one row per unit and
    period); without it, repeated cross-sections. ``method``: ``"dr"`` (doubly robust, default),
    ``"reg"`` (outcome regression) or ``"ipw"`` (normalized inverse probability weighting); without
    covariates all three are the plain difference of mean changes. Covariates enter both the logit
    propensity score and the linear outcome model (panel: their pre-period values).
    """
    check_option(method, DidMethod, "method")
    covs = tuple(covariates)
    prep = _prepare(df, outcome, treated, post, unit, covs, cluster)
    d, n = prep.d, len(prep.d)
    if prep.panel:
        groups_ok = d.sum() > 0 and (1 - d).sum() > 0
    else:
        groups_ok = all(np.any((d == a) & (prep.post == b)) for a in (0, 1) for b in (0, 1))
    if not groups_ok:
        raise DataError(
            "a 2x2 DiD needs treated and comparison units both before and after",
            hint="Check the treated and post columns: one of the four groups is empty.",
        )
    w = np.ones(n)
    if prep.panel:
        att, inf = panel_2x2(prep.y, d, prep.x, w, method)
    else:
        att, inf = rc_2x2(prep.y, prep.post, d, prep.x, w, method)
    se = if_se(inf, prep.cluster)
    z = float(stats.norm.ppf(0.5 + level / 2))
    main = Term("att", att, se, n, att - z * se, att + z * se, float(2 * stats.norm.sf(abs(att / se))), level)
    contrasts: tuple[Term, ...] = ()
    if covs:
        if prep.panel:
            a0, i0 = panel_2x2(prep.y, d, prep.x[:, :1], w, "reg")
        else:
            a0, i0 = rc_2x2(prep.y, prep.post, d, prep.x[:, :1], w, "reg")
        contrasts = (Term("unadjusted 2x2 DiD", a0, if_se(i0, prep.cluster), n),)
    diags: list[Diagnostic] = []
    if method in ("dr", "ipw") and covs:
        ps, _ = logit_fit(d, prep.x, w)
        top = float(np.max(ps[d == 0])) if np.any(d == 0) else 0.0
        diags.append(
            Diagnostic(
                "overlap",
                top,
                TRIM_LEVEL,
                top < TRIM_LEVEL,
                "largest comparison-unit propensity score (units above the threshold are trimmed)",
            )
        )
    if prep.cluster is not None:
        g = int(prep.cluster.max()) + 1
        diags.append(
            Diagnostic("clusters", float(g), 30.0, g >= 30, "few clusters: prefer the wild cluster bootstrap")
        )
    names = {"dr": "doubly robust", "reg": "outcome regression", "ipw": "inverse probability weighting"}
    return EffectResult(
        method=f"2x2 DiD, {names[method]} (Sant'Anna & Zhao 2020)",
        design="did",
        estimand="ATT",
        terms=(main,),
        n=n,
        diagnostics=tuple(diags),
        contrasts=contrasts,
        extra={"panel": prep.panel, "covariates": list(covs), "cluster": cluster, "method": method},
    )
