"""Aggregations of ATT(g,t) cells and the parallel-trends pre-test (Callaway & Sant'Anna 2021, sec. 3 and 4).

Array functions only (no result objects), mirroring the R ``did`` package's ``compute.aggte``: each
aggregate is a weighted average of cells, and its influence function adds the effect of estimating the
group-size weights (``wif``). ``staggered.CSResult`` calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from learnroi.attribution.result import Diagnostic

Arr = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PreTest(Diagnostic):
    """Wald test that all pre-treatment ATT(g,t) are zero (``did``'s ``Wpval``); ``value`` is the p-value."""

    statistic: float = float("nan")
    df: int = 0

    @property
    def p_value(self) -> float:
        return float("nan") if self.value is None else float(self.value)


def se_from_if(inf: Arr, cluster: Ints | None) -> Arr:
    """Column standard errors sqrt(sum psi^2)/n; clustered: psi summed by cluster, times G/(G-1)."""
    inf2 = inf if inf.ndim == 2 else inf[:, None]
    n = inf2.shape[0]
    if cluster is None:
        out = np.sqrt(np.einsum("ij,ij->j", inf2, inf2)) / n
    else:
        s = cluster_sums(inf2, cluster)
        g = s.shape[0]
        out = np.sqrt(np.einsum("ij,ij->j", s, s) * g / (g - 1)) / n
    out = np.where(out <= np.sqrt(np.finfo(float).eps) * 10, np.nan, out)
    return out if inf.ndim == 2 else out[:1]


def cluster_sums(inf: Arr, cluster: Ints) -> Arr:
    """Sum the rows of ``inf`` within clusters (one row per cluster)."""
    g = int(cluster.max()) + 1
    order = np.argsort(cluster, kind="stable")
    starts = np.searchsorted(cluster[order], np.arange(g))
    return np.asarray(np.add.reduceat(inf[order], starts, axis=0), dtype=np.float64)


def vcov_from_if(inf: Arr, cluster: Ints | None) -> Arr:
    """Covariance matrix of the cell estimates from their influence functions."""
    n = inf.shape[0]
    if cluster is None:
        return np.asarray(inf.T @ inf / n**2, dtype=np.float64)
    s = cluster_sums(inf, cluster)
    g = s.shape[0]
    return np.asarray(s.T @ s / n**2 * g / (g - 1), dtype=np.float64)


def _wif(keep: Ints, pg: Arr, gi: Arr, group: Arr, w: Arr) -> Arr:
    """Influence of estimating the weights P(G=g) (``did::wif``): n x len(keep)."""
    ind = w[:, None] * (gi[:, None] == group[keep][None, :]) - pg[keep][None, :]
    tot = pg[keep].sum()
    return np.asarray(ind / tot - np.outer(ind.sum(axis=1), pg[keep] / tot**2), dtype=np.float64)


def weighted(att: Arr, inf: Arr, keep: Ints, pg: Arr, gi: Arr, group: Arr, w: Arr) -> tuple[float, Arr]:
    """Group-size weighted average of cells ``keep`` and its influence function."""
    wts = pg[keep] / pg[keep].sum()
    est = float(att[keep] @ wts)
    return est, inf[:, keep] @ wts + _wif(keep, pg, gi, group, w) @ att[keep]


@dataclass(frozen=True)
class Aggregate:
    """One aggregation: overall estimate + IF, and components (label, estimate, IF columns)."""

    estimate: float
    inf: Arr
    labels: tuple[str, ...]
    values: Arr
    comp_inf: Arr
    keys: Arr


def aggregate(
    kind: str,
    att: Arr,
    inf: Arr,
    group: Arr,
    time: Arr,
    gi: Arr,
    w: Arr,
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    balance_e: int | None = None,
    periods: Arr | None = None,
) -> Aggregate:
    """``simple``, ``group``, ``dynamic`` (event time) or ``calendar`` aggregation (C&S 2021 eq. 3.10-3.13)."""
    pg_groups = {g: float(np.mean(w * (gi == g))) for g in np.unique(group)}
    pg = np.array([pg_groups[g] for g in group])
    n = inf.shape[0]
    post = (group <= time) & (time <= group + max_e)
    if kind == "simple":
        keep = np.flatnonzero(post)
        est, f = weighted(att, inf, keep, pg, gi, group, w)
        return Aggregate(est, f, (), np.empty(0), np.empty((n, 0)), np.empty(0))
    labels: list[str] = []
    vals: list[float] = []
    cols: list[Arr] = []
    keys: list[float] = []
    if kind == "group":
        glist = np.unique(group[post])  # a cohort with no post-treatment cell has no group effect
        for g in glist:
            keep = np.flatnonzero((group == g) & post)
            vals.append(float(att[keep].mean()))
            cols.append(inf[:, keep].mean(axis=1))
            labels.append(f"group {g:g}")
            keys.append(float(g))
        vg, cg = np.array(vals), np.column_stack(cols)
        pgg = np.array([pg_groups[g] for g in glist])
        wts = pgg / pgg.sum()
        est = float(vg @ wts)
        f = cg @ wts + _wif(np.arange(len(glist)), pgg, gi, glist, w) @ vg
        return Aggregate(est, f, tuple(labels), vg, cg, np.array(keys))
    if kind == "dynamic":
        e_all = time - group
        ok = np.ones(len(att), dtype=bool)
        if balance_e is not None and periods is not None:
            ok = periods.max() - group >= balance_e
            ok &= (e_all <= balance_e) & (e_all >= balance_e - periods.max() + periods.min())
        eseq = np.unique(e_all[ok])
        eseq = eseq[(eseq >= min_e) & (eseq <= max_e)]
        for e in eseq:
            keep = np.flatnonzero((e_all == e) & ok)
            v, f = weighted(att, inf, keep, pg, gi, group, w)
            vals.append(v)
            cols.append(f)
            labels.append(f"event time {e:g}")
            keys.append(float(e))
        vd, cd, ks = np.array(vals), np.column_stack(cols), np.array(keys)
        pos = ks >= 0
        return Aggregate(float(vd[pos].mean()), cd[:, pos].mean(axis=1), tuple(labels), vd, cd, ks)
    if kind == "calendar":
        for t in np.unique(time[time >= group.min()]):
            keep = np.flatnonzero((time == t) & (group <= t))
            if len(keep) == 0:
                continue
            v, f = weighted(att, inf, keep, pg, gi, group, w)
            vals.append(v)
            cols.append(f)
            labels.append(f"period {t:g}")
            keys.append(float(t))
        vc, cc = np.array(vals), np.column_stack(cols)
        return Aggregate(float(vc.mean()), cc.mean(axis=1), tuple(labels), vc, cc, np.array(keys))
    raise ValueError(kind)


def pretest(att: Arr, inf: Arr, group: Arr, time: Arr, cluster: Ints | None) -> PreTest:
    """Wald pre-test of parallel trends over the pre-treatment cells (``did::att_gt``'s ``Wpval``)."""
    pre = np.flatnonzero((group > time) & np.any(inf != 0, axis=0))
    if len(pre) == 0:
        return PreTest("parallel_trends_pretest", None, 0.05, True, "no pre-treatment cells to test")
    v = vcov_from_if(inf[:, pre], cluster)
    a = att[pre]
    stat = float(a @ np.linalg.pinv(v) @ a)
    q = int(np.linalg.matrix_rank(v))
    p = float(stats.chi2.sf(stat, q))
    note = (
        f"Wald chi2({q}) = {stat:.3f} over {len(pre)} pre-treatment ATT(g,t); small p = trends differ before"
    )
    return PreTest("parallel_trends_pretest", p, 0.05, p > 0.05, note, statistic=stat, df=q)
