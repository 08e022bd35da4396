"""Callaway & Sant'Anna (2021) on ``mpdta`` against the R ``did`` package and ``moderndid``.

Sources: the 12 ATT(g,t), their analytic SEs, the simple aggregate and the pre-test p-value are the R
``did`` package's (never-treated comparison, doubly robust, no covariates, ``bstrap=FALSE``), as listed in
/work/shared/reference/validation-targets.md section 3. The group / dynamic / calendar aggregations, the
not-yet-treated comparison, covariates, IPW / outcome regression, the universal base period, anticipation
and repeated cross-sections are checked against ``moderndid`` 0.2.0 (a Python port of ``did`` that
reproduces the R values above; it is a dev dependency) run on the same data inside the test.

Tolerances: R's numbers are printed to ~15 significant digits and both are the same closed-form
estimator, so 1e-9 absolute is a loose bound (we agree to ~1e-16). Against moderndid 1e-9, except where a
logit propensity score is fitted (moderndid's statsmodels IRLS stops at its own tolerance): 1e-8.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

md = pytest.importorskip("moderndid")

from learnroi.attribution.staggered import callaway_santanna  # noqa: E402

R_DID = [  # group, period, ATT(g,t), SE  (R did, validation-targets.md section 3)
    (2004, 2004, -0.0105032462209624, 0.0232510363681664),
    (2004, 2005, -0.0704231581031467, 0.0309847667572767),
    (2004, 2006, -0.137258738889403, 0.0364356642876865),
    (2004, 2007, -0.100811363085404, 0.0343592258346732),
    (2006, 2004, 0.00652011242423301, 0.0233268051418047),
    (2006, 2005, -0.00275081875051882, 0.0195585610358817),
    (2006, 2006, -0.00459460695286304, 0.0177551966592763),
    (2006, 2007, -0.0412244715462175, 0.0202291807041068),
    (2007, 2004, 0.0305066555832928, 0.01503356028013),
    (2007, 2005, -0.00272589288611625, 0.0163958328955344),
    (2007, 2006, -0.0310871193896889, 0.0178775113133435),
    (2007, 2007, -0.0260544107191966, 0.0166554353492522),
]
KW = {"outcome": "lemp", "unit": "countyreal", "time": "year", "group": "first.treat"}


@pytest.fixture(scope="module")
def mpdta():  # type: ignore[no-untyped-def]
    return md.load_mpdta()


@pytest.mark.parametrize("kind", ["polars", "pandas", "arrow"])
def test_att_gt_match_r_did(mpdta, kind):  # type: ignore[no-untyped-def]
    data = {"polars": mpdta, "pandas": mpdta.to_pandas(), "arrow": mpdta.to_arrow()}[kind]
    res = callaway_santanna(data, **KW)
    ref = np.array(R_DID)
    np.testing.assert_array_equal(res.group, ref[:, 0])
    np.testing.assert_array_equal(res.time, ref[:, 1])
    np.testing.assert_allclose(res.att, ref[:, 2], rtol=0, atol=1e-9)
    np.testing.assert_allclose(res.se, ref[:, 3], rtol=0, atol=1e-9)
    simple = res.aggregate("simple")
    assert simple.estimate == pytest.approx(-0.0399512751551763, abs=1e-9)
    assert simple.std_error == pytest.approx(0.0120340127701854, abs=1e-9)
    pt = res.pretest()
    assert pt.p_value == pytest.approx(0.168, abs=5e-4)
    assert pt.df == 5
    assert pt.passed
    tidy = res.tidy()
    assert list(tidy.columns[:8]) == [
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n",
        "method",
    ]
    assert res.to_dict()["simple"]["estimate"] == pytest.approx(simple.estimate)


VARIANTS = [
    ({}, {}),
    ({"control": "notyet"}, {"control_group": "notyettreated"}),
    ({"covariates": ["lpop"]}, {"xformla": "~lpop"}),
    ({"covariates": ["lpop"], "est": "reg"}, {"xformla": "~lpop", "est_method": "reg"}),
    (
        {"covariates": ["lpop"], "est": "ipw", "control": "notyet"},
        {"xformla": "~lpop", "est_method": "ipw", "control_group": "notyettreated"},
    ),
    ({"base_period": "universal"}, {"base_period": "universal"}),
    ({"anticipation": 1, "control": "notyet"}, {"anticipation": 1, "control_group": "notyettreated"}),
    ({"panel": False}, {"panel": False}),
    (
        {"panel": False, "base_period": "universal", "covariates": ["lpop"]},
        {"panel": False, "base_period": "universal", "xformla": "~lpop"},
    ),
    ({"panel": False, "covariates": ["lpop"]}, {"panel": False, "xformla": "~lpop"}),
    (
        {"panel": False, "covariates": ["lpop"], "est": "reg", "control": "notyet"},
        {"panel": False, "xformla": "~lpop", "est_method": "reg", "control_group": "notyettreated"},
    ),
]


@pytest.mark.parametrize(("ours", "theirs"), VARIANTS, ids=[str(v[0]) for v in VARIANTS])
def test_variants_and_aggregations_match_moderndid(mpdta, ours, theirs):  # type: ignore[no-untyped-def]
    tol = 1e-8 if ours.get("covariates") else 1e-9
    res = callaway_santanna(mpdta, **KW, **ours)
    panel = theirs.get("panel", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # moderndid scales repeated cross-section IFs by the number of ids when idname is given: leave it out.
        ref = md.att_gt(
            mpdta, yname="lemp", tname="year", gname="first.treat", idname="countyreal" if panel else None,
            boot=False, **theirs,
        )  # fmt: skip
        aggs = {
            k: md.aggte(ref, type=k, boot=False, cband=False)
            for k in ("simple", "group", "dynamic", "calendar")
        }
    np.testing.assert_allclose(res.att, np.asarray(ref.att_gt), rtol=0, atol=tol)
    np.testing.assert_allclose(res.se, np.asarray(ref.se_gt, dtype=float), rtol=0, atol=tol)
    assert res.pretest().p_value == pytest.approx(ref.wald_pvalue, abs=1e-5)  # moderndid rounds to 5 digits
    for kind, a in aggs.items():
        agg = res.aggregate(kind)
        assert agg.estimate == pytest.approx(a.overall_att, abs=tol)
        assert agg.std_error == pytest.approx(a.overall_se, abs=tol)
        if kind != "simple":
            np.testing.assert_allclose([t.estimate for t in agg.terms[1:]], a.att_by_event, rtol=0, atol=tol)
            np.testing.assert_allclose([t.std_error for t in agg.terms[1:]], a.se_by_event, rtol=0, atol=tol)


def test_event_study_table(mpdta):  # type: ignore[no-untyped-def]
    es = callaway_santanna(mpdta, **KW).event_study()
    assert list(es["event_time"]) == [-3, -2, -1, 0, 1, 2, 3]
    assert es.loc[es["event_time"] == 2, "estimate"].item() == pytest.approx(R_DID[2][2], abs=1e-12)


@pytest.mark.parametrize(
    ("kind", "opts"),
    [
        ("dynamic", {"balance_e": 1}),
        ("dynamic", {"min_e": -2, "max_e": 2}),
        ("dynamic", {"balance_e": 0, "max_e": 1}),
        ("simple", {"max_e": 1}),
        ("group", {"max_e": 1}),
    ],
)
def test_event_window_options_match_moderndid(mpdta, kind, opts):  # type: ignore[no-untyped-def]
    res = callaway_santanna(mpdta, **KW).aggregate(kind, **opts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = md.att_gt(
            mpdta, yname="lemp", tname="year", idname="countyreal", gname="first.treat", boot=False
        )
        a = md.aggte(ref, type=kind, boot=False, cband=False, **opts)
    assert res.estimate == pytest.approx(a.overall_att, abs=1e-12)
    assert res.std_error == pytest.approx(a.overall_se, abs=1e-12)
    if kind != "simple":
        np.testing.assert_allclose([t.estimate for t in res.terms[1:]], a.att_by_event, rtol=0, atol=1e-12)
        np.testing.assert_allclose([t.std_error for t in res.terms[1:]], a.se_by_event, rtol=0, atol=1e-12)
