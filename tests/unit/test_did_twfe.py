"""TWFE within-transformation and wild-bootstrap algebra against brute force.

The exact within step (demean by unit, solve the period effects) must equal explicit dummy-variable least
squares on an unbalanced panel (1e-10), the alternating-projection fallback must agree with it, and the
wild bootstrap's cluster-space shortcut must equal re-estimating TWFE on each bootstrap sample (1e-10):
a wrong low-rank term, a missed nesting check or a wrong small-sample factor would show here.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

import learnroi.attribution.bootstrap
import learnroi.attribution.twfe  # noqa: F401
from learnroi.core.errors import DataError, UsageError

TW = sys.modules["learnroi.attribution.twfe"]
BS = sys.modules["learnroi.attribution.bootstrap"]
SEED = 20261128


def _panel(seed: int = SEED) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_units, n_t = 120, 7
    u = np.repeat(np.arange(n_units), n_t)
    t = np.tile(np.arange(n_t), n_units)
    keep = rng.random(len(u)) > 0.25
    u, t = u[keep], t[keep]
    dept = u // 6
    g = np.array([0, 3, 5])[dept % 3]
    x = ((g > 0) & (t >= g)).astype(float)
    y = 0.4 * x + rng.normal(size=n_units)[u] + 0.2 * t + rng.normal(size=len(u)) + rng.normal(size=20)[dept]
    return pd.DataFrame({"y": y, "x": x, "u": u, "t": t, "dept": dept})


def _dummies_fit(df: pd.DataFrame, cluster: str) -> tuple[float, float]:
    keep = TW.drop_singletons(df["u"].to_numpy(), df["t"].to_numpy())
    d = df[keep]
    fe = pd.get_dummies(d[["u", "t"]].astype(str)).to_numpy(float)[:, :-1]
    x = np.column_stack([d["x"].to_numpy(), fe])
    y = d["y"].to_numpy()
    b = np.linalg.lstsq(x, y, rcond=None)[0]
    e = y - x @ b
    xtxi = np.linalg.pinv(x.T @ x)
    cl = pd.factorize(d[cluster])[0]
    s = np.zeros((cl.max() + 1, x.shape[1]))
    np.add.at(s, cl, x * e[:, None])
    v = xtxi @ s.T @ s @ xtxi
    return float(b[0]), float(np.sqrt(v[0, 0]))


@pytest.mark.parametrize("cluster", ["u", "dept"])
def test_exact_within_equals_dummy_regression(cluster: str) -> None:
    df = _panel()
    res = TW.twfe(df, outcome="y", treat="x", unit="u", time="t", cluster=cluster)
    b, se_raw = _dummies_fit(df, cluster)
    g = df[cluster].nunique()
    n = res.n
    adj = g / (g - 1) * (n - 1) / (n - res.extra["df_k"])
    assert res.estimate == pytest.approx(b, abs=1e-10)
    assert res.std_error == pytest.approx(se_raw * np.sqrt(adj), abs=1e-10)
    assert res.extra["df_k"] == 1 + (df["t"].nunique() - 1) + 1  # unit FE nested: counted as one


def test_alternating_projections_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    df = _panel()
    exact = TW.twfe(df, outcome="y", treat="x", unit="u", time="t", cluster="dept")
    monkeypatch.setattr(TW, "EXACT_MAX_LEVELS", 2)
    ap = TW.twfe(df, outcome="y", treat="x", unit="u", time="t", cluster="dept")
    assert ap.estimate == pytest.approx(exact.estimate, abs=1e-9)
    assert ap.std_error == pytest.approx(exact.std_error, abs=1e-9)


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_bootstrap_shortcut_equals_reestimation(weights: str) -> None:
    df = _panel()
    fa, fb, cl = (df[c].to_numpy().astype(np.int64) for c in ("u", "t", "dept"))
    keep = TW.drop_singletons(fa, fb)
    fa, fb, cl = (TW.compact(a[keep]) for a in (fa, fb, cl))
    y, x = df["y"].to_numpy()[keep], df["x"].to_numpy()[keep]
    fit = TW.twfe_fit(y, x, fa, fb, cl)
    alg, share, ca = BS._algebra(fit.xtil, fa, fb, cl)
    w = BS.draw_weights(np.random.default_rng(SEED), 25, fit.clusters, weights)
    adj = fit.clusters / (fit.clusters - 1) * (fit.n - 1) / (fit.n - fit.df_k)
    s = np.bincount(cl, weights=fit.xtil * fit.ytil)
    fast = BS._boot_t(s, BS._q(fit.ytil, fa, fb, cl, share, ca), alg, float(fit.xtil @ fit.xtil), adj, w, 0.0)
    slow = []
    for wb in w:
        f2 = TW.twfe_fit(wb[cl] * fit.ytil, x, fa, fb, cl)
        slow.append(f2.coef / f2.se)
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-10)
    ones = BS._boot_t(
        s,
        BS._q(fit.ytil, fa, fb, cl, share, ca),
        alg,
        float(fit.xtil @ fit.xtil),
        adj,
        np.ones((1, fit.clusters)),
        0.0,
    )
    assert ones[0] == pytest.approx(fit.coef / fit.se, abs=1e-10)  # weights of one give back the sample


def test_wcr_inversion_pieces_equal_reestimation() -> None:
    df = _panel()
    fa, fb, cl = (df[c].to_numpy().astype(np.int64) for c in ("u", "t", "dept"))
    keep = TW.drop_singletons(fa, fb)
    fa, fb, cl = (TW.compact(a[keep]) for a in (fa, fb, cl))
    y, x = df["y"].to_numpy()[keep], df["x"].to_numpy()[keep]
    fit = TW.twfe_fit(y, x, fa, fb, cl)
    w = BS.draw_weights(np.random.default_rng(SEED), 30, fit.clusters, "rademacher")
    adj = fit.clusters / (fit.clusters - 1) * (fit.n - 1) / (fit.n - fit.df_k)
    wcr = BS._wcr(fit, fa, fb, cl, w, adj)
    r0 = 0.3
    tstar = []
    for wb in w:  # H0: b = r0: y* = r0 x~ + w * (y~ - r0 x~), re-estimated
        f2 = TW.twfe_fit(r0 * fit.xtil + wb[cl] * (fit.ytil - r0 * fit.xtil), x, fa, fb, cl)
        tstar.append((f2.coef - r0) / f2.se)
    want = float(np.mean(np.abs(tstar) >= abs(fit.coef - r0) / fit.se))
    assert wcr.pvalue(r0) == want
    lo, hi = wcr.interval(0.95)
    assert lo < fit.coef < hi
    assert wcr.pvalue(lo - 1e-6) <= 0.05 < wcr.pvalue(lo + 1e-6)


def test_errors() -> None:
    df = _panel()
    with pytest.raises(DataError, match="does not vary"):
        TW.twfe(df.assign(x=1.0), outcome="y", treat="x", unit="u", time="t")
    with pytest.raises(UsageError, match="inside one"):
        BS.wild_cluster_bootstrap(df, outcome="y", treat="x", unit="u", time="t", cluster="t", reps=9)
    with pytest.raises(UsageError, match="weights"):
        BS.wild_cluster_bootstrap(df, outcome="y", treat="x", unit="u", time="t", weights="mammen")


def test_multiplier_bootstrap_uniform_band_is_wider() -> None:
    rng = np.random.default_rng(SEED)
    inf = rng.normal(size=(2000, 6))
    draws = BS.multiplier_bootstrap(inf, reps=999, seed=1)
    assert draws.shape == (999, 6)
    np.testing.assert_array_equal(draws, BS.multiplier_bootstrap(inf, reps=999, seed=1))
    crit, se = BS.uniform_critical_value(draws)
    np.testing.assert_allclose(se, np.sqrt((inf**2).sum(0)) / 2000, rtol=0.1)
    assert 2.2 < crit < 3.2  # sup-t over 6 independent estimates: about 2.6
