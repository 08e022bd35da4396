"""Two-way fixed effects (unit + period) regression with cluster-robust standard errors.

``y_it = a_i + l_t + b * treat_it + e_it``, estimated by the within transformation (Frisch-Waugh-Lovell).
The within step is exact rather than iterative when one of the two factors has few levels (periods
almost always do): demean by the many-level factor with ``bincount`` group means, then partial out the
few-level factor's dummies by solving its small (T-1)x(T-1) normal equations, built from the unit x
period count matrix (a sparse product). That is O(n) with no convergence tolerance, balanced or not;
when both factors are large it falls back to alternating projections (Gaure 2013) to 1e-12.

Written by hand because pyfixest (the reference: same coefficient and SE to 1e-8, benchmarks/bench_did.py)
is a test-only dependency with a numba JIT start-up. Small-sample correction as fixest/pyfixest CRV1:
G/(G-1) * (n-1)/(n-K), K = regressors + fixed effects not nested in the clusters; inference on t(G-1).
Singleton fixed-effect groups are dropped first, as pyfixest does.

TWFE is only a valid ATT when effects are homogeneous; with staggered adoption and effects that vary by
cohort or time since treatment it is biased (Goodman-Bacon 2021; de Chaisemartin & D'Haultfoeuille
2020). It is reported as a contrast beside Callaway & Sant'Anna, not instead of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy import stats

from learnroi.attribution.did import codes, frame_columns, numeric
from learnroi.attribution.result import Diagnostic, EffectResult, Term
from learnroi.core.errors import DataError

Arr = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
EXACT_MAX_LEVELS = 3000
"""Solve the smaller factor exactly when it has at most this many levels; else alternate projections."""


def _demean(v: Arr, f: Ints, cnt: Arr) -> Arr:
    out = np.empty_like(v)
    for j in range(v.shape[1]):
        out[:, j] = v[:, j] - (np.bincount(f, weights=v[:, j], minlength=len(cnt)) / cnt)[f]
    return out


def within(v: Arr, fa: Ints, fb: Ints) -> Arr:
    """Residuals of the columns of ``v`` (n x k) on two sets of fixed effects (codes 0..levels-1)."""
    if fa.max() < fb.max():
        fa, fb = fb, fa
    na, nb = int(fa.max()) + 1, int(fb.max()) + 1
    ca = np.bincount(fa, minlength=na).astype(np.float64)
    cb = np.bincount(fb, minlength=nb).astype(np.float64)
    va = _demean(v, fa, ca)
    if nb <= EXACT_MAX_LEVELS:
        c = sp.csr_matrix((np.ones(len(fa)), (fa, fb)), shape=(na, nb))
        c.sum_duplicates()
        ct_scaled = (c.T @ sp.diags(1.0 / ca)).tocsr()
        gram = np.diag(cb) - (ct_scaled @ c).toarray()
        rhs = np.column_stack([np.bincount(fb, weights=va[:, j], minlength=nb) for j in range(v.shape[1])])
        gamma = np.zeros((nb, v.shape[1]))
        gamma[1:] = np.linalg.lstsq(gram[1:, 1:], rhs[1:], rcond=None)[0]
        back = np.asarray(ct_scaled.T @ gamma)
        return np.asarray(va - gamma[fb] + back[fa], dtype=np.float64)
    out = va
    for _ in range(10_000):
        prev = out
        out = _demean(_demean(out, fb, cb), fa, ca)
        if np.max(np.abs(out - prev)) < 1e-12:
            break
    return out


def drop_singletons(fa: Ints, fb: Ints) -> npt.NDArray[np.bool_]:
    """Rows kept after repeatedly removing fixed-effect levels seen once (pyfixest ``fixef_rm='singleton'``)."""
    keep = np.ones(len(fa), dtype=bool)
    while True:
        bad = np.zeros(len(fa), dtype=bool)
        for f in (fa, fb):
            cnt = np.bincount(f[keep], minlength=int(f.max()) + 1)
            bad |= keep & (cnt[f] == 1)
        if not bad.any():
            return keep
        keep &= ~bad


def compact(a: Ints) -> Ints:
    """Renumber codes to 0..k-1 after rows were dropped (O(n))."""
    present = np.zeros(int(a.max()) + 1, dtype=np.int64)
    present[a] = 1
    return np.asarray((np.cumsum(present) - 1)[a], dtype=np.int64)


def nested_in(f: Ints, cl: Ints) -> bool:
    """Whether every level of ``f`` lies inside one cluster (O(n), no sort)."""
    owner = np.zeros(int(f.max()) + 1, dtype=np.int64)
    owner[f] = cl
    return bool(np.all(owner[f] == cl))


def panel_arrays(
    df: Any, outcome: str, treat: str, unit: str, time: str, cluster: str
) -> tuple[Arr, Arr, Ints, Ints, Ints, int]:
    """``y, x`` and compact unit / time / cluster codes of a panel frame, singleton fixed-effect groups
    dropped (as pyfixest does), and how many rows were dropped."""
    f = frame_columns(df, [outcome, treat, unit, time, cluster])
    y, x = numeric(f, outcome), numeric(f, treat)
    fa, fb, cl = codes(f, unit), codes(f, time), codes(f, cluster)
    keep = drop_singletons(fa, fb)
    dropped = int(np.sum(~keep))
    if dropped:
        y, x = y[keep], x[keep]
        fa, fb, cl = (compact(a[keep]) for a in (fa, fb, cl))
    return y, x, fa, fb, cl, dropped


@dataclass(frozen=True)
class TwfeFit:
    """The numbers behind :func:`twfe`, for the bootstrap and the benchmarks."""

    coef: float
    se: float
    n: int
    clusters: int
    df_k: int
    ytil: Arr
    xtil: Arr
    resid: Arr
    cluster: Ints


def twfe_fit(y: Arr, x: Arr, fa: Ints, fb: Ints, cl: Ints) -> TwfeFit:
    """Array core of :func:`twfe` (singletons already dropped, codes compact)."""
    v = within(np.column_stack([y, x]), fa, fb)
    yt, xt = v[:, 0], v[:, 1]
    sxx = float(xt @ xt)
    if sxx <= 1e-12 * max(1.0, float(x @ x)):
        raise DataError(
            "the treatment does not vary once unit and period effects are removed",
            hint="Check that some units switch treatment status within the window.",
        )
    b = float(xt @ yt) / sxx
    e = yt - b * xt
    score = np.bincount(cl, weights=xt * e)
    g, n = len(score), len(y)
    na, nb = int(fa.max()) + 1, int(fb.max()) + 1
    k_fe = na + nb - 1
    nested = [(na, nested_in(fa, cl)), (nb, nested_in(fb, cl))]
    df_k = 1 + k_fe - sum(lv for lv, isn in nested if isn) + sum(1 for _, isn in nested if isn)
    adj = g / (g - 1) * (n - 1) / (n - df_k)
    se = float(np.sqrt(adj * float(score @ score)) / sxx)
    return TwfeFit(b, se, n, g, df_k, yt, xt, e, cl)


def twfe(
    df: Any,
    *,
    outcome: str,
    treat: str,
    unit: str,
    time: str,
    cluster: str | None = None,
    level: float = 0.95,
) -> EffectResult:
    """Two-way fixed effects ``outcome ~ treat | unit + time`` with CRV1 standard errors clustered on
    ``cluster`` (default: ``unit``). Same coefficient and SE as pyfixest/fixest."""
    cluster = cluster or unit
    y, x, fa, fb, cl, dropped = panel_arrays(df, outcome, treat, unit, time, cluster)
    fit = twfe_fit(y, x, fa, fb, cl)
    tq = float(stats.t.ppf(0.5 + level / 2, fit.clusters - 1))
    p = float(2 * stats.t.sf(abs(fit.coef / fit.se), fit.clusters - 1))
    term = Term(treat, fit.coef, fit.se, fit.n, fit.coef - tq * fit.se, fit.coef + tq * fit.se, p, level)
    diags = (
        Diagnostic(
            "clusters",
            float(fit.clusters),
            30.0,
            fit.clusters >= 30,
            "few clusters: use wild_cluster_bootstrap",
        ),
        Diagnostic(
            "homogeneous_effects",
            None,
            None,
            True,
            "TWFE assumes one effect for all cohorts and times; with staggered roll-outs use callaway_santanna",
        ),
    )
    return EffectResult(
        method="two-way fixed effects (CRV1)",
        design="did",
        estimand="ATT (homogeneous-effect)",
        terms=(term,),
        n=fit.n,
        diagnostics=diags,
        extra={"clusters": fit.clusters, "singletons_dropped": dropped, "df_k": fit.df_k, "cluster": cluster},
    )
