"""Two-way fixed effects on ``mpdta`` (validation-targets.md section 3) and against pyfixest 0.60.

Source: ``lemp ~ post | county + year`` with county-clustered SEs gives -0.03655 (0.01327) (fixest /
pyfixest, as quoted in validation-targets.md section 3; published to 4 significant digits, so 5e-6 there).
Against pyfixest run in the test: 1e-10 on the balanced panel; 1e-8 on an unbalanced one, where pyfixest
demeans iteratively to its own tolerance (its SE is then up to ~5e-9 off, p-values ~4e-8; ours matches
explicit dummy-variable least squares to 1e-15, see tests/unit/test_did_twfe.py).
The contrast with Callaway-Sant'Anna's -0.0400 is the point: TWFE is not the staggered answer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.bootstrap import wild_cluster_bootstrap
from learnroi.attribution.staggered import callaway_santanna
from learnroi.attribution.twfe import twfe

md = pytest.importorskip("moderndid")
pf = pytest.importorskip("pyfixest")


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    d = md.load_mpdta().to_pandas()
    d["post"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    return d


def test_twfe_published(mpdta: pd.DataFrame) -> None:
    res = twfe(mpdta, outcome="lemp", treat="post", unit="countyreal", time="year", cluster="countyreal")
    assert res.estimate == pytest.approx(-0.03655, abs=5e-6)
    assert res.std_error == pytest.approx(0.01327, abs=5e-6)
    cs = callaway_santanna(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    assert abs(cs.aggregate("simple").estimate - res.estimate) > 0.003  # not the CS answer


@pytest.mark.parametrize("drop", [0.0, 0.2])
@pytest.mark.parametrize("cluster", ["countyreal", "state"])
def test_twfe_matches_pyfixest(mpdta: pd.DataFrame, drop: float, cluster: str) -> None:
    df = mpdta.assign(state=mpdta["countyreal"] // 1000)
    if drop:  # unbalanced panel: drop 20% of rows at random (fixed seed)
        df = df[np.random.default_rng(20261128).random(len(df)) > drop].reset_index(drop=True)
    res = twfe(df, outcome="lemp", treat="post", unit="countyreal", time="year", cluster=cluster)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("lemp ~ post | countyreal + year", data=df, vcov={"CRV1": cluster})
    tol = 1e-8 if drop else 1e-10
    assert res.estimate == pytest.approx(float(ref.coef().iloc[0]), abs=tol)
    assert res.std_error == pytest.approx(float(ref.se().iloc[0]), abs=tol)
    tol_p = 1e-6 if drop else 1e-8  # pyfixest's SE error (~5e-9 on unbalanced data) moves p by ~4e-8
    assert res.terms[0].p_value == pytest.approx(float(ref.pvalue().iloc[0]), abs=tol_p)
    lo, hi = res.conf_int()
    assert lo == pytest.approx(float(ref.confint().iloc[0, 0]), abs=tol_p)
    assert hi == pytest.approx(float(ref.confint().iloc[0, 1]), abs=tol_p)


def test_wild_bootstrap_on_mpdta(mpdta: pd.DataFrame) -> None:
    df = mpdta.assign(state=mpdta["countyreal"] // 1000)
    a = wild_cluster_bootstrap(
        df, outcome="lemp", treat="post", unit="countyreal", time="year", cluster="state", seed=1
    )
    b = wild_cluster_bootstrap(
        df, outcome="lemp", treat="post", unit="countyreal", time="year", cluster="state", seed=1
    )
    assert a.estimate == pytest.approx(-0.03655, abs=5e-6)
    assert a.terms[0].p_value == b.terms[0].p_value  # seeded
    lo, hi = a.conf_int()
    assert lo < a.estimate < hi
    assert 0 < a.terms[0].pvalue() <= 1
