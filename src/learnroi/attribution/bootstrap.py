"""Wild cluster bootstrap for TWFE / 2x2 DiD and the multiplier bootstrap for Callaway-Sant'Anna bands.

``wild_cluster_bootstrap``: WCR (null imposed) p-value and the interval that inverts the WCR test, for the
TWFE coefficient, with Rademacher or Webb (6-point) weights drawn per cluster (Cameron, Gelbach & Miller
2008; MacKinnon & Webb 2017; Roodman, MacKinnon, Nielsen & Webb 2019, "Fast and wild"). Nothing is
re-estimated per replication: with the unit effects nested in the clusters, the within transformation of a
cluster-wise reweighted residual is diagonal-plus-low-rank in cluster space (the period effects' T x T
system), so each replication costs O(G x T) in matrix products, whatever the number of rows. Under
H0: b = r the bootstrap numerator is linear and the squared cluster scores quadratic in r, so five numbers
per replication give the bootstrap p-value at any r, and the interval is found by bisection on r (the
unrestricted WCU percentile-t interval under-covers with few treated clusters; the inverted WCR does not).

``multiplier_bootstrap``: draws of the ATT(g,t) (or aggregate) estimators from their influence functions
with cluster-level Rademacher/Webb multipliers (Callaway & Sant'Anna 2021, sec. 4; ``did::mboot``), and
the uniform (sup-t) critical value for simultaneous bands.

Written by hand: ``wildboottest`` is not a project dependency and re-demeans per call; the algebra is short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy import stats

from learnroi.attribution.result import Diagnostic, EffectResult, Term
from learnroi.attribution.twfe import EXACT_MAX_LEVELS, TwfeFit, nested_in, panel_arrays, twfe_fit
from learnroi.core.errors import UsageError
from learnroi.core.options import check_option

Arr = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
BootWeights = Literal["rademacher", "webb"]
_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def draw_weights(rng: np.random.Generator, reps: int, g: int, kind: str) -> Arr:
    """reps x g cluster multipliers (mean 0, variance 1)."""
    if kind == "webb":
        return np.asarray(_WEBB[rng.integers(0, 6, size=(reps, g))], dtype=np.float64)
    return np.asarray(rng.integers(0, 2, size=(reps, g)) * 2.0 - 1.0, dtype=np.float64)


@dataclass(frozen=True)
class _ClusterAlgebra:
    """x~'M u_d per cluster as diag(s) - R K Q' (see module docstring)."""

    h: Arr
    r: Arr
    k: Arr


def _algebra(xt: Arr, fa: Ints, fb: Ints, cl: Ints) -> tuple[_ClusterAlgebra, sp.csr_matrix, Arr]:
    na, nb, g = int(fa.max()) + 1, int(fb.max()) + 1, int(cl.max()) + 1
    ca = np.bincount(fa, minlength=na).astype(np.float64)
    c = sp.csr_matrix((np.ones(len(fa)), (fa, fb)), shape=(na, nb))
    c.sum_duplicates()
    gram = (
        np.diag(np.bincount(fb, minlength=nb).astype(np.float64)) - (c.T @ sp.diags(1.0 / ca) @ c).toarray()
    )
    k = np.zeros((nb, nb))
    k[1:, 1:] = np.linalg.pinv(gram[1:, 1:])
    # M_A D restricted to rows: D_i - (unit mean of D)_i ; R[c, t] = sum_{i in c} x~_i (M_A D)_{i t}
    unit_share = (sp.diags(1.0 / ca) @ c).tocsr()  # na x nb
    xs_unit = np.bincount(fa, weights=xt, minlength=na)  # sum of x~ by unit (0 when FE exact)
    cl_of_unit = np.zeros(na, dtype=np.int64)
    cl_of_unit[fa] = cl
    sel = sp.csr_matrix((np.ones(na), (cl_of_unit, np.arange(na))), shape=(g, na))
    r = (
        sp.csr_matrix((xt, (cl, fb)), shape=(g, nb)).toarray()
        - (sel @ sp.diags(xs_unit) @ unit_share).toarray()
    )
    h = np.asarray(np.bincount(cl, weights=xt * xt, minlength=g), dtype=np.float64)
    return _ClusterAlgebra(h, r, k), sel @ unit_share, ca


def _q(u: Arr, fa: Ints, fb: Ints, cl: Ints, share: sp.csr_matrix, ca: Arr) -> Arr:
    """Q[d, t] = sum_{i in d, period t} (M_A u_d)_i, the period sums of the unit-demeaned cluster piece."""
    g, nb = share.shape
    raw = sp.csr_matrix((u, (cl, fb)), shape=(g, nb)).toarray()
    ubar = np.bincount(fa, weights=u, minlength=len(ca)) / ca
    cl_of_unit = np.zeros(len(ca), dtype=np.int64)
    cl_of_unit[fa] = cl
    counts = sp.csr_matrix((np.ones(len(fa)), (fa, fb)), shape=(len(ca), nb))
    counts.sum_duplicates()
    sel = sp.csr_matrix((ubar, (cl_of_unit, np.arange(len(ca)))), shape=(g, len(ca)))
    return np.asarray(raw - (sel @ counts).toarray(), dtype=np.float64)


def _boot_t(
    s: Arr, q: Arr, alg: _ClusterAlgebra, sxx: float, adj: float, w: Arr, center: float, chunk: int = 64
) -> Arr:
    """Bootstrap t statistics for weight draws w (reps x G) from cluster pieces (s, q) of one residual
    (the direct form of the algebra in ``_wcr``; the tests check both against re-estimation)."""
    out = np.empty(w.shape[0])
    rk = alg.r @ alg.k  # G x T
    for i in range(0, w.shape[0], chunk):
        wb = w[i : i + chunk]
        b = wb @ s / sxx
        score = wb * s[None, :] - (wb @ q) @ rk.T - np.outer(b, alg.h)
        se = np.sqrt(adj * np.einsum("ij,ij->i", score, score)) / sxx
        out[i : i + chunk] = (b - center) / se
    return out


@dataclass(frozen=True)
class _Wcr:
    """Per replication: b*(r) - r = by - r bx; squared score sum = uu - 2 r uv + r^2 vv (see docstring)."""

    by: Arr
    bx: Arr
    uu: Arr
    uv: Arr
    vv: Arr
    coef: float
    se: float
    sxx: float
    adj: float

    def pvalue(self, r: float) -> float:
        """Bootstrap p-value of H0: b = r (share of |t*| at least the observed |t|)."""
        ss = np.maximum(self.uu - 2 * r * self.uv + r * r * self.vv, 0.0)
        tstar = (self.by - r * self.bx) / (np.sqrt(self.adj * ss) / self.sxx)
        return float(np.mean(np.abs(tstar) >= abs(self.coef - r) / self.se))

    def interval(self, level: float) -> tuple[float, float]:
        """The set of r not rejected at 1 - level, by bisection on each side of the estimate."""
        alpha = 1 - level
        ends = []
        for sign in (-1.0, 1.0):
            inner, step = self.coef, self.se
            outer = self.coef + sign * step
            while self.pvalue(outer) > alpha and step < 1e6 * self.se:
                inner, step = outer, step * 2
                outer = self.coef + sign * step
            for _ in range(60):
                mid = (inner + outer) / 2
                inner, outer = (mid, outer) if self.pvalue(mid) > alpha else (inner, mid)
            ends.append((inner + outer) / 2)
        return ends[0], ends[1]


def _wcr(fit: TwfeFit, fa: Ints, fb: Ints, cl: Ints, w: Arr, adj: float, chunk: int = 64) -> _Wcr:
    g = fit.clusters
    sxx = float(fit.xtil @ fit.xtil)
    alg, share, ca = _algebra(fit.xtil, fa, fb, cl)
    s_y = np.asarray(np.bincount(cl, weights=fit.xtil * fit.ytil, minlength=g), dtype=np.float64)
    q_y, q_x = _q(fit.ytil, fa, fb, cl, share, ca), _q(fit.xtil, fa, fb, cl, share, ca)
    rk = alg.r @ alg.k
    parts: list[list[Arr]] = [[], [], [], [], []]
    for i in range(0, w.shape[0], chunk):
        wb = w[i : i + chunk]
        by, bx = wb @ s_y / sxx, wb @ alg.h / sxx
        u = wb * s_y[None, :] - (wb @ q_y) @ rk.T - np.outer(by, alg.h)
        v = wb * alg.h[None, :] - (wb @ q_x) @ rk.T - np.outer(bx, alg.h)
        for lst, val in zip(
            parts,
            (by, bx, np.einsum("ij,ij->i", u, u), np.einsum("ij,ij->i", u, v), np.einsum("ij,ij->i", v, v)),
            strict=True,
        ):
            lst.append(val)
    by, bx, uu, uv, vv = (np.concatenate(p) for p in parts)
    return _Wcr(by, bx, uu, uv, vv, fit.coef, fit.se, sxx, adj)


def wild_cluster_bootstrap(
    df: Any,
    *,
    outcome: str,
    treat: str,
    unit: str,
    time: str,
    cluster: str | None = None,
    reps: int = 999,
    weights: str = "rademacher",
    seed: int = 0,
    level: float = 0.95,
) -> EffectResult:
    """TWFE ``outcome ~ treat | unit + time`` with wild cluster bootstrap inference: the WCR p-value for
    b = 0 and the interval that inverts the WCR test. ``unit`` must be nested in ``cluster`` (default:
    ``unit``); a 2x2 panel DiD is the case with two periods and ``treat = treated x post``."""
    check_option(weights, BootWeights, "weights")
    cluster = cluster or unit
    y, x, fa, fb, cl, _ = panel_arrays(df, outcome, treat, unit, time, cluster)
    if int(fb.max()) + 1 > EXACT_MAX_LEVELS or not nested_in(fa, cl):
        raise UsageError(
            f"the wild cluster bootstrap needs each {unit} inside one {cluster} and few {time} levels",
            hint=f"Cluster on {unit} or on a grouping of units (department), not on {time}.",
        )
    fit = twfe_fit(y, x, fa, fb, cl)
    g, n = fit.clusters, fit.n
    adj = g / (g - 1) * (n - 1) / (n - fit.df_k)
    w = draw_weights(np.random.default_rng(seed), reps, g, weights)
    wcr = _wcr(fit, fa, fb, cl, w, adj)
    p = wcr.pvalue(0.0)
    lo, hi = wcr.interval(level)
    term = Term(treat, fit.coef, fit.se, n, lo, hi, p, level)
    return EffectResult(
        method=f"two-way fixed effects, wild cluster bootstrap ({weights}, {reps} reps)",
        design="did",
        estimand="ATT (homogeneous-effect)",
        terms=(term,),
        n=n,
        diagnostics=(
            Diagnostic("clusters", float(g), None, True, "wild bootstrap is reliable with few clusters"),
        ),
        extra={
            "reps": reps,
            "seed": seed,
            "weights": weights,
            "t": fit.coef / fit.se,
            "interval": "WCR inverted",
        },
    )


def multiplier_bootstrap(
    inf: Arr, cluster: Ints | None = None, *, reps: int = 999, seed: int = 0, weights: str = "rademacher"
) -> Arr:
    """reps x k draws of (estimate* - estimate) from an n x k influence-function matrix (``did::mboot``)."""
    check_option(weights, BootWeights, "weights")
    n = inf.shape[0]
    if cluster is None:
        base = inf
    else:
        order = np.argsort(cluster, kind="stable")
        starts = np.searchsorted(cluster[order], np.arange(int(cluster.max()) + 1))
        base = np.add.reduceat(inf[order], starts, axis=0)
    rng = np.random.default_rng(seed)
    out = np.empty((reps, inf.shape[1]))
    step = max(1, int(2e7 // max(1, base.shape[0])))
    for i in range(0, reps, step):
        m = min(step, reps - i)
        out[i : i + m] = draw_weights(rng, m, base.shape[0], weights) @ base / n
    return out


def uniform_critical_value(draws: Arr, level: float = 0.95) -> tuple[float, Arr]:
    """Sup-t critical value for simultaneous bands and the bootstrap SEs (IQR / 1.349, as ``did``)."""
    iqr = np.quantile(draws, 0.75, axis=0) - np.quantile(draws, 0.25, axis=0)
    se = iqr / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = se > 0
    tmax = np.max(np.abs(draws[:, ok]) / se[ok], axis=1)
    return float(np.quantile(tmax, level)), np.asarray(se, dtype=np.float64)
