"""callaway_santanna: input checks, options and result objects (numbers are in tests/reference)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.result import Diagnostic
from learnroi.attribution.staggered import callaway_santanna
from learnroi.core.errors import DataError, UsageError

md = pytest.importorskip("moderndid")
KW = {"outcome": "lemp", "unit": "countyreal", "time": "year", "group": "first.treat"}


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return md.load_mpdta().to_pandas()


def test_result_objects(mpdta: pd.DataFrame) -> None:
    res = callaway_santanna(mpdta, **KW)
    tidy = res.tidy()
    assert {"group", "time", "event_time", "post"} <= set(tidy.columns)
    assert tidy["post"].sum() == 7  # 2004: 4 post cells, 2006: 2, 2007: 1
    assert "Callaway-Sant'Anna" in res.summary()
    json.dumps(res.to_dict())
    json.dumps(res.aggregate("dynamic", cband=True).to_dict())
    pt = res.pretest()
    assert isinstance(pt, Diagnostic)
    assert 0 < pt.p_value < 1
    agg = res.aggregate("dynamic")
    assert agg.design == "staggered"
    assert agg.diagnostics[0].name == "parallel_trends_pretest"
    assert [t.term for t in agg.terms][:2] == ["ATT by event time", "event time -3"]
    es = res.event_study()
    assert list(es.columns[:3]) == ["event_time", "term", "estimate"]


def test_uniform_band_is_wider_and_seeded(mpdta: pd.DataFrame) -> None:
    res = callaway_santanna(mpdta, **KW)
    point = res.aggregate("dynamic")
    band = res.aggregate("dynamic", cband=True, seed=7)
    again = res.aggregate("dynamic", cband=True, seed=7)
    assert band.extra["critical_value"] > 1.96
    assert band.extra["critical_value"] == again.extra["critical_value"]
    for p, b in zip(point.terms[1:], band.terms[1:], strict=True):
        assert b.conf_high - b.conf_low > p.conf_high - p.conf_low  # type: ignore[operator]


def test_cluster_on_unit_scales_by_g_over_g_minus_1(mpdta: pd.DataFrame) -> None:
    a = callaway_santanna(mpdta, **KW)
    b = callaway_santanna(mpdta, **KW, cluster="countyreal")
    g = mpdta["countyreal"].nunique()
    np.testing.assert_allclose(b.se, a.se * np.sqrt(g / (g - 1)), rtol=1e-12)


def test_notyet_without_never_treated(mpdta: pd.DataFrame) -> None:
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(DataError, match="never-treated"):
        callaway_santanna(d, **KW)
    res = callaway_santanna(d, **KW, control="notyet")
    assert res.periods.max() < 2007  # the last cohort serves as the comparison before it starts
    assert set(res.group) == {2004.0, 2006.0}


def test_input_errors(mpdta: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="balanced"):
        callaway_santanna(mpdta.iloc[1:], **KW)
    bad = mpdta.copy()
    bad.loc[0, "first.treat"] = 2006
    with pytest.raises(DataError, match="constant"):
        callaway_santanna(bad, **KW)
    with pytest.raises(UsageError, match="control"):
        callaway_santanna(mpdta, **KW, control="later")
    with pytest.raises(UsageError, match="kind"):
        callaway_santanna(mpdta, **KW).aggregate("cohort")
    with pytest.raises(DataError, match="not in the data"):
        callaway_santanna(mpdta, **{**KW, "outcome": "emp"})


def test_repeated_cross_section_counts_rows(mpdta: pd.DataFrame) -> None:
    res = callaway_santanna(mpdta, **KW, panel=False, cluster="countyreal")
    assert res.n == len(mpdta)
    panel = callaway_santanna(mpdta, **KW)
    np.testing.assert_allclose(res.att, panel.att, atol=1e-12)  # balanced panel: same point estimates


def _wild(d: pd.DataFrame, res: object, **kw: object) -> object:
    from learnroi.attribution.did import codes
    from learnroi.attribution.staggered_pretest import wild_pretest_of

    cols = [d[c].to_numpy(dtype=float) for c in ("lemp", "year", "first.treat")]
    return wild_pretest_of(res, *cols, codes(d, "countyreal"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_wild_pretest_has_the_analytic_wald_statistic(mpdta: pd.DataFrame, base_period: str) -> None:
    """On a balanced panel (cluster = county) the bootstrap's observed statistic is did's Wald statistic
    (p = 0.168 with chi2), whatever the base period; its bootstrap p-value is close with 500 counties."""
    res = callaway_santanna(mpdta, **KW, cluster="countyreal", base_period=base_period)
    pt = _wild(mpdta, res, reps=499, seed=3)
    assert pt.statistic == pytest.approx(res.pretest().statistic, rel=1e-9)  # type: ignore[attr-defined]
    assert pt.df == res.pretest().df  # type: ignore[attr-defined]
    assert abs(pt.p_value - res.pretest().p_value) < 0.08  # type: ignore[attr-defined]
    assert pt.p_value == _wild(mpdta, res, reps=499, seed=3).p_value  # type: ignore[attr-defined]


def test_wild_pretest_notyet_and_refusals(mpdta: pd.DataFrame) -> None:
    d = mpdta[mpdta["first.treat"] > 0].reset_index(drop=True)
    res = callaway_santanna(d, **KW, control="notyet", cluster="countyreal")
    keep = d[d["year"] < 2007].reset_index(drop=True)  # the rows callaway_santanna keeps
    pt = _wild(keep.assign(**{"first.treat": keep["first.treat"].where(keep["first.treat"] < 2007, 0)}), res)
    assert pt.statistic == pytest.approx(res.pretest().statistic, rel=1e-9)  # type: ignore[attr-defined]
    cov = callaway_santanna(mpdta, **KW, covariates=["lpop"])
    with pytest.raises(UsageError, match="covariates"):
        _wild(mpdta, cov)


def test_wild_bootstrap_t_and_slopes_with_many_clusters(mpdta: pd.DataFrame) -> None:
    """With 500 counties the bootstrap-t critical value is near 1.96 and the slopes are the OLS slopes
    of each cohort's universal-base pre-period cells (base period a zero point)."""
    from learnroi.attribution.did import codes
    from learnroi.attribution.staggered_pretest import wild_simple_of, wild_slopes_of

    res = callaway_santanna(mpdta, **KW, cluster="countyreal", base_period="universal")
    cols = [mpdta[c].to_numpy(dtype=float) for c in ("lemp", "year", "first.treat")]
    crit, p = wild_simple_of(res, *cols, codes(mpdta, "countyreal"), reps=499)  # type: ignore[misc]
    assert 1.8 < crit < 2.2
    assert p < 0.01  # simple ATT -0.040 (SE 0.012)
    sl = wild_slopes_of(res, *cols, codes(mpdta, "countyreal"), reps=499)  # type: ignore[misc]
    assert sl is not None
    assert list(sl.cohort) == [2006.0, 2007.0]  # 2004 has only its base period before treatment
    tidy = res.tidy()
    pre = tidy[(tidy.group == 2007) & (tidy.time < 2007)]
    ols = np.polyfit(pre.time.to_numpy(float), pre.estimate.to_numpy(float), 1)[0]
    assert sl.slope[1] == pytest.approx(ols, rel=1e-9)
    assert np.all(sl.std_error > 0)
    assert sl.crit > 1.9
    varying = callaway_santanna(mpdta, **KW, cluster="countyreal")
    with pytest.raises(UsageError, match="universal"):
        wild_slopes_of(varying, *cols, codes(mpdta, "countyreal"))  # type: ignore[misc]


@pytest.mark.parametrize("control", ["never", "notyet"])
def test_jackknife_simple_equals_leave_one_cluster_out_refits(control: str) -> None:
    """The algebraic CV3 jackknife equals refitting callaway_santanna without each cluster in turn
    (repeated cross-sections, departments as clusters, cohort weights recomputed per replicate)."""
    from learnroi.attribution.did import codes
    from learnroi.attribution.staggered_pretest import jackknife_simple_of

    rng = np.random.default_rng(11)
    n, n_cl = 600, 12
    cl = rng.integers(0, n_cl, n)
    wave = (
        np.array([0, 0, 0, 2, 2, 2, 3, 3, 3, 4, 4, 4])[cl]
        if control == "never"
        else np.array([2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5])[cl]
    )
    t = rng.integers(1, 6, n).astype(float)
    y = cl * 0.3 + 0.2 * t + 1.5 * ((wave > 0) & (t >= wave)) + rng.normal(size=n)
    d = pd.DataFrame({"y": y, "u": np.arange(n), "t": t, "g": wave.astype(float), "cl": cl})
    kw = {"outcome": "y", "unit": "u", "time": "t", "group": "g", "control": control, "panel": False,
          "base_period": "universal", "cluster": "cl"}  # fmt: skip
    res = callaway_santanna(d, **kw)  # type: ignore[arg-type]
    se, crit, g = jackknife_simple_of(res, y, t, wave.astype(float), codes(d, "cl"))
    theta = np.array(
        [callaway_santanna(d[cl != c], **kw).aggregate("simple").estimate for c in range(n_cl)]  # type: ignore[arg-type]
    )
    assert g == n_cl
    assert se == pytest.approx(np.sqrt((n_cl - 1) / n_cl * np.sum((theta - theta.mean()) ** 2)), rel=1e-10)
    assert crit == pytest.approx(2.200985, rel=1e-6)  # t(11) 97.5 % quantile
