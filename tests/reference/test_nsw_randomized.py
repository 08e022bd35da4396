"""NSW job-training experiment: randomized estimators against published and computed numbers.

Source: LaLonde (1986), "Evaluating the econometric evaluations of training programs with experimental
data", AER 76(4); Dehejia & Wahba (1999), JASA 94(448), Table 3 (NSW row: 1,794 (633); regression-adjusted
1,672 (638)). Data: the `causaldata` package, ``nsw_mixtape`` (185 treated, 260 controls; Stata int8
columns are cast to float first, or ``age**2`` overflows). Targets: /work/shared/reference/validation-targets.md §1.

Tolerances: the computed targets are printed to two decimals (one for the regression), so we assert to half
a unit in the last printed place (0.005 / 0.05); the published figures are rounded to whole dollars, so to
0.5. These are deterministic closed-form computations: any larger gap is a formula error, not noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.randomized import (
    cuped,
    difference_in_means,
    regression_adjusted,
    sample_ratio_test,
)

causaldata = pytest.importorskip("causaldata")


@pytest.fixture(scope="module")
def nsw() -> pd.DataFrame:
    raw = causaldata.nsw_mixtape.load_pandas().data
    return raw.drop(columns=["data_id"]).astype("float64")


def _covariates(d: pd.DataFrame) -> np.ndarray:
    return np.column_stack([d.age, d.age**2, d.educ, d.nodegree, d.black, d.hisp, d.re74, d.re75])


@pytest.mark.parametrize(("se", "target_se"), [("classical", 632.85), ("welch", 671.00)])
def test_difference_in_means(nsw: pd.DataFrame, se: str, target_se: float) -> None:
    res = difference_in_means(nsw.re78, nsw.treat, se=se)  # type: ignore[arg-type]
    assert res.estimate == pytest.approx(1794.34, abs=0.005)
    assert res.std_error == pytest.approx(target_se, abs=0.005)
    assert round(res.estimate) == 1794
    assert res.n == 445
    assert res.extra["n_treated"] == 185
    assert res.extra["n_control"] == 260


def test_regression_adjusted_matches_dehejia_wahba(nsw: pd.DataFrame) -> None:
    res = regression_adjusted(nsw.re78, nsw.treat, _covariates(nsw), interacted=False, cov="nonrobust")
    assert res.estimate == pytest.approx(1672.2, abs=0.05)
    assert res.std_error == pytest.approx(638.4, abs=0.05)
    assert abs(res.estimate - 1672) <= 0.5
    assert abs(res.std_error - 638) <= 0.5


def test_lin_and_cuped_stay_near_the_experimental_answer(nsw: pd.DataFrame) -> None:
    """Lin (2013) and CUPED are different estimators of the same ITT: they must land within one
    experimental SE of the difference in means on a randomized sample."""
    lin = regression_adjusted(nsw.re78, nsw.treat, _covariates(nsw))
    cup = cuped(nsw.re78, nsw.treat, nsw.re75)
    for res in (lin, cup):
        assert abs(res.estimate - 1794.34) < 633
        assert res.conf_int()[0] > 0  # the NSW effect is significant at 5 %
    assert 0 <= cup.extra["variance_reduction"] < 1


def test_nsw_arm_sizes_are_an_srm_against_equal_allocation(nsw: pd.DataFrame) -> None:
    """185 vs 260 is not a 50/50 split (p ≈ 0.0004): the SRM check must flag it; against the
    realized 185/445 share it must pass."""
    counts = [int(nsw.treat.sum()), int((1 - nsw.treat).sum())]
    assert not sample_ratio_test(counts, [0.5, 0.5]).passed
    assert sample_ratio_test(counts, [185, 260]).passed
