"""did_2x2 against the DRDID formulas (moderndid 0.2.0's array estimators, a port of R ``DRDID``) on the
2003-2004 slice of ``mpdta`` (2004 cohort vs never treated, covariate ``lpop``), plus input checks.

Tolerance 1e-9: the same closed-form estimators; only the logit's stopping rule differs (we agree ~1e-15).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.did import did_2x2
from learnroi.core.errors import DataError, UsageError

md = pytest.importorskip("moderndid")
pl = pytest.importorskip("polars")


@pytest.fixture(scope="module")
def slice2x2():  # type: ignore[no-untyped-def]
    d = md.load_mpdta().filter(pl.col("year").is_in([2003, 2004]) & pl.col("first.treat").is_in([0, 2004]))
    d = d.sort(["year", "countyreal"]).with_columns(
        post=(pl.col("year") == 2004).cast(pl.Int64), tr=(pl.col("first.treat") == 2004).cast(pl.Int64)
    )
    return d


PANEL = {"dr": "drdid_panel", "reg": "reg_did_panel", "ipw": "std_ipw_did_panel"}
RC = {"dr": "drdid_rc", "reg": "reg_did_rc", "ipw": "std_ipw_did_rc"}


@pytest.mark.parametrize("method", ["dr", "reg", "ipw"])
@pytest.mark.parametrize("panel", [True, False])
def test_matches_drdid(slice2x2, method, panel):  # type: ignore[no-untyped-def]
    d = slice2x2
    res = did_2x2(
        d.to_pandas(), outcome="lemp", treated="tr", post="post", unit="countyreal" if panel else None,
        covariates=["lpop"], method=method,
    )  # fmt: skip
    if panel:
        pre, po = d.filter(pl.col("post") == 0), d.filter(pl.col("post") == 1)
        x = np.column_stack([np.ones(pre.height), pre["lpop"].to_numpy()])
        ref = getattr(md, PANEL[method])(
            y1=po["lemp"].to_numpy(), y0=pre["lemp"].to_numpy(), d=pre["tr"].to_numpy(), covariates=x
        )
    else:
        x = np.column_stack([np.ones(d.height), d["lpop"].to_numpy()])
        ref = getattr(md, RC[method])(
            y=d["lemp"].to_numpy(), post=d["post"].to_numpy(), d=d["tr"].to_numpy(), covariates=x
        )
    assert res.estimate == pytest.approx(ref.att, abs=1e-9)
    assert res.std_error == pytest.approx(ref.se, abs=1e-9)
    assert res.contrasts[0].term == "unadjusted 2x2 DiD"
    assert res.tidy()["term"].tolist() == ["att"]
    assert res.to_dict()["design"] == "did"


def test_no_covariates_is_difference_of_mean_changes(slice2x2):  # type: ignore[no-untyped-def]
    df = slice2x2.to_pandas()
    wide = df.pivot(index="countyreal", columns="year", values="lemp")
    tr = df.groupby("countyreal")["tr"].first()
    dy = wide[2004] - wide[2003]
    want = dy[tr == 1].mean() - dy[tr == 0].mean()
    for m in ("dr", "reg", "ipw"):
        r = did_2x2(df, outcome="lemp", treated="tr", post="post", unit="countyreal", method=m)
        assert r.estimate == pytest.approx(want, abs=1e-12)


def test_cluster_equal_to_unit_gives_g_over_g_minus_1(slice2x2):  # type: ignore[no-untyped-def]
    df = slice2x2.to_pandas()
    a = did_2x2(df, outcome="lemp", treated="tr", post="post", unit="countyreal")
    b = did_2x2(df, outcome="lemp", treated="tr", post="post", unit="countyreal", cluster="countyreal")
    g = df["countyreal"].nunique()
    assert b.std_error == pytest.approx(a.std_error * np.sqrt(g / (g - 1)), rel=1e-12)


def test_input_errors(slice2x2):  # type: ignore[no-untyped-def]
    df = slice2x2.to_pandas()
    with pytest.raises(DataError, match="not in the data"):
        did_2x2(df, outcome="nope", treated="tr", post="post")
    with pytest.raises(DataError, match="exactly once"):
        did_2x2(pd.concat([df, df.iloc[:3]]), outcome="lemp", treated="tr", post="post", unit="countyreal")
    with pytest.raises(UsageError, match="method"):
        did_2x2(df, outcome="lemp", treated="tr", post="post", method="ols")
    bad = df.assign(lemp=df["lemp"].where(df.index != 5))
    with pytest.raises(DataError, match="missing"):
        did_2x2(bad, outcome="lemp", treated="tr", post="post")
    with pytest.raises(DataError, match="four groups"):
        did_2x2(df[df["tr"] == 0], outcome="lemp", treated="tr", post="post")
