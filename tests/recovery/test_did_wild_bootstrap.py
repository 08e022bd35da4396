"""Recovery: wild cluster bootstrap with few clusters (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017).

DGP: 14 departments of unequal size (4 to 16 employees), 8 periods, 4 departments treated from period 5
(a 2x2-style roll-out where TWFE is the right estimator: the effect is homogeneous), department x period
shocks (sd 1) on top of employee effects and noise. With 14 clusters of which 4 treated, the CRV1 t-test
over-rejects.
Rules (validation-targets.md section 5; bootstrap-based, R = 500): the WCR false-positive rate under a zero
effect must be at most 0.05 + 2.326 sqrt(0.05 * 0.95 / R) = 7.3%, and the WCU interval's coverage under
an effect of 1 (the interval inverts the WCR test) must lie in 92.5-97.5%. Seeds fixed below; 399
bootstrap replications each.

At these seeds: WCR false-positive rate 6.4%, interval coverage 94.6%; CRV1 (t(G-1)) 12.0% and 88.2%.
What it catches: CRV1 fails both rules here (asserted); a bootstrap that draws weights per row instead of
per cluster, or forgets the period effects in the bootstrap residuals, over-rejects the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.bootstrap import wild_cluster_bootstrap
from learnroi.attribution.twfe import twfe

SEED = 20261128
R = 500
FPR_MAX = 0.05 + 2.326 * np.sqrt(0.05 * 0.95 / R)
COVER_LO = 0.95 - 2.576 * np.sqrt(0.95 * 0.05 / R)
COVER_HI = 0.95 + 2.576 * np.sqrt(0.95 * 0.05 / R)
SIZES = np.array([4, 5, 6, 6, 7, 8, 8, 9, 10, 11, 12, 14, 16, 16])
TREATED = np.array([1, 5, 9, 12])
T = 8


def data(rng: np.random.Generator, tau: float) -> pd.DataFrame:
    dept_of_emp = np.repeat(np.arange(len(SIZES)), SIZES)
    n_emp = len(dept_of_emp)
    emp = np.repeat(np.arange(n_emp), T)
    t = np.tile(np.arange(T), n_emp)
    dept = dept_of_emp[emp]
    d = (np.isin(dept, TREATED) & (t >= 4)).astype(float)
    shock = rng.normal(size=(len(SIZES), T))
    y = rng.normal(size=n_emp)[emp] + 0.2 * t + shock[dept, t] + tau * d + rng.normal(size=len(t))
    return pd.DataFrame({"y": y, "d": d, "emp": emp, "t": t, "dept": dept})


@pytest.mark.slow
def test_wild_bootstrap_size_and_coverage_with_few_clusters() -> None:
    kw = {"outcome": "y", "treat": "d", "unit": "emp", "time": "t", "cluster": "dept"}
    rej_boot, rej_crv, cover, cover_crv = [], [], [], []
    for r in range(R):
        null = data(np.random.default_rng([SEED, 0, r]), 0.0)
        b = wild_cluster_bootstrap(null, **kw, reps=399, weights="webb", seed=r)
        rej_boot.append(b.terms[0].pvalue() < 0.05)
        rej_crv.append(twfe(null, **kw).terms[0].pvalue() < 0.05)
        alt = data(np.random.default_rng([SEED, 1, r]), 1.0)
        lo, hi = wild_cluster_bootstrap(alt, **kw, reps=399, seed=r).conf_int()
        cover.append(lo <= 1.0 <= hi)
        lo, hi = twfe(alt, **kw).conf_int()
        cover_crv.append(lo <= 1.0 <= hi)
    assert np.mean(rej_boot) <= FPR_MAX
    assert COVER_LO <= np.mean(cover) <= COVER_HI
    assert np.mean(rej_crv) > FPR_MAX
    assert np.mean(cover_crv) < COVER_LO
