"""Multi-arm comparisons (learnroi.attribution.multiarm) against closed forms and reference libraries.

References: Dunnett (1955) critical values = the multivariate t box probability (scipy's Genz integration,
non-singular families); Tukey's all-pairs critical value = studentized range q(k, df)/√2 (scipy); Holm
(1979) p-values = statsmodels' multipletests; two arms = learnroi's own difference_in_means / cuped.
The simulated critical value carries Monte Carlo error (~±0.005 at 100,000 draws): tolerances 0.015.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.optimize import brentq
from statsmodels.stats.multitest import multipletests

from learnroi.attribution import cuped, difference_in_means, multiarm
from learnroi.attribution.multiarm import holm, max_t_distribution
from learnroi.core.errors import DataError, UsageError

ARMS = ["control", "digital", "blended", "classroom"]


def _pilot(
    seed: int, n: int = 400, sizes: tuple[float, ...] = (0.25, 0.25, 0.25, 0.25)
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arm = rng.choice(ARMS, size=n, p=list(sizes))
    pre = rng.normal(10, 2, size=n)
    lift = np.select([arm == "digital", arm == "blended", arm == "classroom"], [0.2, 1.0, 0.6], 0.0)
    y = 5 + 0.8 * pre + lift + rng.normal(0, 1 + 0.5 * (arm == "classroom"), size=n)
    team = rng.integers(0, 60, size=n)
    return {"y": y, "arm": arm, "pre": pre, "team": team}


def _genz_critical(corr: np.ndarray, df: float) -> float:
    m = corr.shape[0]

    def f(c: float) -> float:
        box = np.full(m, c)
        return (
            float(stats.multivariate_t.cdf(box, shape=corr, df=df, lower_limit=-box, random_state=1)) - 0.95
        )

    return float(brentq(f, 1.5, 6.0, xtol=1e-6))


def test_two_arms_equal_welch_difference_in_means_and_cuped() -> None:
    d = _pilot(1)
    keep = np.isin(d["arm"], ["control", "blended"])
    y, arm, pre = d["y"][keep], d["arm"][keep], d["pre"][keep]
    res = multiarm(y, arm, reference="control")
    ref = difference_in_means(y, arm == "blended")
    assert len(res.terms) == 1
    assert res.terms[0].term == "blended - control"
    assert res.estimate == pytest.approx(ref.estimate, rel=1e-12)
    assert res.std_error == pytest.approx(ref.std_error, rel=1e-12)
    assert res.conf_int() == pytest.approx(ref.conf_int(), rel=1e-10)
    assert res.terms[0].pvalue() == pytest.approx(ref.terms[0].pvalue(), rel=1e-8)
    res_c = multiarm(y, arm, reference="control", pre=pre)
    ref_c = cuped(y, arm == "blended", pre)
    assert res_c.estimate == pytest.approx(ref_c.estimate, rel=1e-12)
    assert res_c.std_error == pytest.approx(ref_c.std_error, rel=1e-12)
    assert res_c.extra["theta"] == pytest.approx(ref_c.extra["theta"])


def test_two_arms_cluster_matches_cluster_difference_in_means() -> None:
    d = _pilot(2)
    keep = np.isin(d["arm"], ["control", "digital"])
    res = multiarm(d["y"][keep], d["arm"][keep], reference="control", cluster=d["team"][keep])
    ref = difference_in_means(d["y"][keep], d["arm"][keep] == "digital", cluster=d["team"][keep])
    assert res.std_error == pytest.approx(ref.std_error, rel=1e-10)
    assert res.conf_int() == pytest.approx(ref.conf_int(), rel=1e-10)
    assert res.extra["df"] == len(np.unique(d["team"][keep])) - 1


def test_team_randomized_cluster_equals_welch_on_team_means() -> None:
    """Whole teams randomized, equal team sizes: per-arm CR1 is Welch on team means (df from G_a − 1)."""
    rng = np.random.default_rng(9)
    team_arm = np.repeat(np.arange(3), [6, 8, 10])
    team = np.repeat(np.arange(24), 5)
    arm = team_arm[team]
    y = 0.5 * arm + rng.normal(0, 0.7, 24)[team] + rng.normal(size=team.size)
    res = multiarm(y, arm, cluster=team, family="reference")
    team_means = np.bincount(team, weights=y) / 5
    for j, t in zip((1, 2), res.terms, strict=True):
        keep = np.isin(team_arm, [0, j])
        ref = difference_in_means(team_means[keep], team_arm[keep] == j)
        assert t.estimate == pytest.approx(ref.estimate, rel=1e-12)
        assert t.std_error == pytest.approx(ref.std_error, rel=1e-12)
        row = res.extra["contrasts"][j - 1]
        assert (row["conf_low_unadjusted"], row["conf_high_unadjusted"]) == pytest.approx(
            ref.conf_int(), rel=1e-10
        )
    with pytest.raises(DataError, match="two teams"):
        multiarm(y, arm, cluster=np.where(arm == 0, 0, team))


@pytest.mark.parametrize("df", [10.0, 20.0, 60.0])
def test_dunnett_critical_value_matches_multivariate_t(df: float) -> None:
    """Dunnett (1955) with 3 treatments, equal n: correlation 1/2; Table value at df = 20 is 2.54."""
    corr = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    sim = float(np.quantile(max_t_distribution(corr, df, seed=3), 0.95))
    assert sim == pytest.approx(_genz_critical(corr, df), abs=0.015)
    if df == 20.0:
        assert sim == pytest.approx(2.54, abs=0.015)


def test_pooled_reference_family_is_dunnett_on_data() -> None:
    """Unequal arm sizes: correlations √(n_i n_j / ((n_i + n_0)(n_j + n_0))); df = N − k."""
    d = _pilot(3, sizes=(0.4, 0.2, 0.2, 0.2))
    res = multiarm(d["y"], d["arm"], reference="control", family="reference", se="pooled")
    n = np.array([r["n"] for r in res.extra["arms"]], dtype=float)
    lam = np.sqrt(n[1:] / (n[1:] + n[0]))
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1.0)
    assert res.extra["df"] == len(d["y"]) - 4
    assert res.extra["critical_value"] == pytest.approx(_genz_critical(corr, res.extra["df"]), abs=0.015)
    # the pooled SE of arm j - control is s·√(1/n_j + 1/n_0)
    resid = d["y"] - np.array([d["y"][d["arm"] == a].mean() for a in d["arm"]])
    s = math.sqrt((resid**2).sum() / (len(d["y"]) - 4))
    t = res.terms[0]
    nj = n[[r["arm"] for r in res.extra["arms"]].index(t.term.split(" - ")[0])]
    assert t.std_error == pytest.approx(s * math.sqrt(1 / nj + 1 / n[0]), rel=1e-10)


@pytest.mark.parametrize("k", [3, 4])
def test_pairwise_equal_n_pooled_is_tukey(k: int) -> None:
    rng = np.random.default_rng(k)
    arm = np.repeat(np.arange(k), 50)
    y = rng.normal(size=arm.size)
    res = multiarm(y, arm, family="pairwise", se="pooled")
    tukey = float(stats.studentized_range.ppf(0.95, k, arm.size - k)) / math.sqrt(2)
    assert len(res.terms) == k * (k - 1) // 2
    assert res.extra["critical_value"] == pytest.approx(tukey, abs=0.015)


def test_holm_matches_statsmodels() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5, 0.04])
    assert holm(p) == pytest.approx(multipletests(p, method="holm")[1], rel=1e-12)
    d = _pilot(4)
    rows = multiarm(d["y"], d["arm"], reference="control").extra["contrasts"]
    raw = np.array([r["p_value_unadjusted"] for r in rows])
    assert [r["p_value_holm"] for r in rows] == pytest.approx(multipletests(raw, method="holm")[1])


def test_adjusted_intervals_wider_and_consistent_with_adjusted_p() -> None:
    d = _pilot(5)
    res = multiarm(d["y"], d["arm"], reference="control", pre=d["pre"])
    assert [t.term for t in res.terms][:3] == [
        "blended - control",
        "classroom - control",
        "digital - control",
    ]
    tidy = res.tidy()
    assert list(tidy.columns) == [
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "p_value",
        "n",
        "method",
    ]
    for t, row in zip(res.terms, res.extra["contrasts"], strict=True):
        assert t.conf_low is not None
        assert t.conf_high is not None
        assert (
            t.conf_low < row["conf_low_unadjusted"] < t.estimate < row["conf_high_unadjusted"] < t.conf_high
        )
        assert row["p_value_adjusted"] >= row["p_value_unadjusted"]
        excludes_zero = t.conf_low > 0 or t.conf_high < 0
        assert excludes_zero == (t.pvalue() < 0.05)
    means = {r["arm"]: r["mean"] for r in res.extra["arms"]}
    assert res.estimate == pytest.approx(means["blended"] - means["control"])
    json.dumps(res.to_dict())  # the API can serialize it
    assert "Dunnett" in res.summary()  # the headline only; tidy() has every contrast


def test_cluster_covariance_matches_statsmodels() -> None:
    d = _pilot(6)
    res = multiarm(d["y"], d["arm"], reference="control", cluster=d["team"], family="reference")
    dummies = (d["arm"][:, None] == np.array(ARMS)[None, :]).astype(float)
    fit = sm.OLS(d["y"], dummies).fit(cov_type="cluster", cov_kwds={"groups": d["team"]})
    V = fit.cov_params()
    j = ARMS.index("digital")
    se = math.sqrt(V[j, j] + V[0, 0] - 2 * V[0, j])
    term = next(t for t in res.terms if t.term == "digital - control")
    assert term.std_error == pytest.approx(se, rel=1e-10)
    assert res.extra["n_clusters"] == 60
    assert res.extra["df"] == 59


def test_sample_ratio_mismatch_refuses() -> None:
    d = _pilot(7, sizes=(0.55, 0.15, 0.15, 0.15))
    res = multiarm(d["y"], d["arm"], reference="control", planned=dict.fromkeys(ARMS, 0.25))
    assert not res.identified
    assert res.diagnostics[0].name == "sample_ratio_mismatch"
    ok = multiarm(
        d["y"],
        d["arm"],
        reference="control",
        planned={"control": 0.55, "digital": 0.15, "blended": 0.15, "classroom": 0.15},
    )
    assert ok.identified
    with pytest.raises(UsageError, match="Hint:"):
        multiarm(d["y"], d["arm"], planned={"control": 0.5, "digital": 0.5})


def test_deterministic_given_seed() -> None:
    d = _pilot(8)
    a = multiarm(d["y"], d["arm"], seed=11).extra["critical_value"]
    assert a == multiarm(d["y"], d["arm"], seed=11).extra["critical_value"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "a", "a"]}, DataError),
        ({"y": [1.0, 2.0, 3.0, 4.0, 5.0], "arm": ["a", "a", "b", "b", "c"]}, DataError),
        ({"y": [1.0, np.nan, 3.0, 4.0], "arm": ["a", "a", "b", "b"]}, DataError),
        ({"y": [1.0, 1.0, 1.0, 1.0], "arm": ["a", "a", "b", "b"]}, DataError),
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "b"]}, DataError),
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "b", None]}, DataError),
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "b", "b"], "reference": "z"}, UsageError),
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "b", "b"], "arms": ["a"]}, DataError),
        ({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["a", "a", "b", "b"], "level": 1.5}, UsageError),
    ],
)
def test_bad_input_raises_with_hint(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match="Hint:"):
        multiarm(**kwargs)  # type: ignore[arg-type]
