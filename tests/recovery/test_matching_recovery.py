"""Recovery of a known ATT by propensity matching, IPW and AIPW under selection on observables
(validation-targets.md §5).

R = 1000, seed fixed below; coverage band [0.932, 0.968] (0.95 ± 2.576·√(0.95·0.05/R)); bias rule
|bias| ≤ max(0.1·mean SE, 3·MC SE). History, for honesty: at R = 500 with this seed the AIPW bias was
−0.0113 against a bound of 0.0106 (3.3 MC SE); over three other seeds it averaged −0.004 (≈ 5 % of an
SE: the O(1/n) bias of normalized weights), so we doubled R (validation-targets §5 prefers R ≥ 1,000
where the budget allows) rather than touch the seed. DGP: two covariates, a logit selection on both, outcome linear in
both with a heterogeneous effect τ(x) = 2 + 0.5·x1; truth = the treated sample's mean τ(x).

What it would catch: a matching tie or caliper bug (bias), a wrong Abadie–Imbens variance (checked
with the true score, where the formula is exact: coverage ~95 %), IPW weights that ignore the logit
estimation (the stacked influence function is needed for nominal coverage), an AIPW that is not
doubly robust (bias when the outcome model is wrong). The naive treated-vs-untreated difference at the
same seeds: bias ~ +0.6, coverage ~2 %.

AIPW with one nuisance model wrong (ATT): the SE is the stacked M-estimation sandwich (the logit's and
the outcome regression's influence functions appended). Measured at this seed (R = 1,000): wrong outcome
model (x1² only) — sandwich SE 0.136 against a Monte Carlo SD of 0.134, coverage 0.964; the plain
influence-function SE that ignores the nuisance estimation (the previous default) gives 0.215 and
covers 0.998 (asserted above the band below). Wrong score (x2 left out of the logit, outcome model
right): 0.954 (plain SE 0.946). Both models right: 0.943, same as the plain SE (Neyman orthogonality).
Not asserted, recorded: the ATE with a wrong outcome model covers ~0.91–0.92 at n = 1,000 and 4,000
(heavy-tailed 1/p weights; the SE equals a numerically differentiated stacked sandwich to 1e-9,
tests/unit/test_attr_matching.py).

Matching on the *estimated* score: the Abadie–Imbens (2006) SE, which treats the score as known, is
conservative here (coverage 98.2 % at this seed, mean SE 0.206 against a Monte Carlo SD of 0.163);
the Abadie & Imbens (2016, Econometrica 84(2), Theorem 2) adjustment, the default when the logit fit is
passed, brings it to 95.1 % (mean SE 0.160), so the full two-sided band is asserted for it and the
old SE is kept as the failing contrast.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from learnroi.attribution.matching import aipw, fit_propensity, ipw, match_att, nearest_neighbor_match

R = 1000
N = 1000
SEED = 424242
COVER_LO, COVER_HI = 0.95 - 2.576 * math.sqrt(0.95 * 0.05 / R), 0.95 + 2.576 * math.sqrt(0.95 * 0.05 / R)


@pytest.fixture(scope="module")
def sims() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = rng.normal(size=(R, N, 2))
    p = 1 / (1 + np.exp(-(-0.8 + 0.8 * x[..., 0] - 0.5 * x[..., 1])))
    d = rng.random((R, N)) < p
    tau = 2 + 0.5 * x[..., 0]
    y = 1 + 1.5 * x[..., 0] + 1.0 * x[..., 1] + tau * d + rng.normal(size=(R, N))
    truth = np.array([tau[r][d[r]].mean() for r in range(R)])
    out: dict[str, list[tuple[float, float]]] = {
        k: []
        for k in (
            "nn_true", "nn", "nn_ai2006", "ipw", "aipw", "aipw_bad_outcome", "aipw_bad_score", "aipw_ate",
            "plain_bad_outcome", "naive",
        )
    }  # fmt: skip
    truth_ate = tau.mean(axis=1)
    for r in range(R):  # replications; the estimators are vectorized within each
        fit = fit_propensity(x[r], d[r])
        out["nn_true"].append(match_att(y[r], p[r], nearest_neighbor_match(p[r], d[r]))[:2])
        mt = nearest_neighbor_match(fit.score, d[r])
        out["nn"].append(match_att(y[r], fit.score, mt, fit=fit)[:2])  # se="ai2016" by default
        out["nn_ai2006"].append(match_att(y[r], fit.score, mt, se="ai2006")[:2])
        out["ipw"].append(ipw(y[r], d[r], fit)[:2])
        out["aipw"].append(aipw(y[r], d[r], x[r], fit)[:2])
        bad = aipw(y[r], d[r], x[r][:, :1] ** 2, fit)  # wrong outcome model
        out["aipw_bad_outcome"].append(bad[:2])
        out["plain_bad_outcome"].append((bad[0], _plain_if_se(y[r], d[r], x[r][:, :1] ** 2, fit.score)))
        out["aipw_bad_score"].append(aipw(y[r], d[r], x[r], fit_propensity(x[r][:, :1], d[r]))[:2])
        ate = aipw(y[r], d[r], x[r], fit, estimand="ATE")
        out["aipw_ate"].append((ate[0] - truth_ate[r] + truth[r], ate[1]))  # compared with the ATT truth
        y1, y0 = y[r][d[r]], y[r][~d[r]]
        out["naive"].append(
            (y1.mean() - y0.mean(), math.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0)))
        )
    res = {k: np.array(v) for k, v in out.items()}
    res["truth"] = truth
    return res


def _plain_if_se(y: np.ndarray, d: np.ndarray, x: np.ndarray, p: np.ndarray) -> float:
    """The doubly robust ATT's own influence function only (nuisance estimation ignored): the contrast."""
    X = np.column_stack([np.ones(len(y)), x])
    c = ~d
    r0 = y - X @ np.linalg.lstsq(X[c], y[c], rcond=None)[0]
    w1, w0 = d / d.mean(), c * p / (1 - p)
    w0 = w0 / w0.mean()
    inf = w1 * (r0 - np.mean(w1 * r0)) - w0 * (r0 - np.mean(w0 * r0))
    return math.sqrt(np.mean(inf**2) / len(y))


def _bias_ok(est: np.ndarray, se: np.ndarray, truth: np.ndarray) -> bool:
    err = est - truth
    return bool(abs(err.mean()) <= max(0.1 * se.mean(), 3 * err.std(ddof=1) / math.sqrt(R)))


def _cover(est: np.ndarray, se: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.abs(est - truth) <= 1.959964 * se))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["nn_true", "ipw", "aipw", "aipw_bad_score", "aipw_ate"])
def test_att_recovered_with_nominal_coverage(sims: dict[str, np.ndarray], name: str) -> None:
    est, se = sims[name][:, 0], sims[name][:, 1]
    assert _bias_ok(est, se, sims["truth"])
    assert COVER_LO <= _cover(est, se, sims["truth"]) <= COVER_HI


@pytest.mark.slow
def test_aipw_is_doubly_robust(sims: dict[str, np.ndarray]) -> None:
    """A wrong outcome model (x1² only) with a right score: still unbiased, and the stacked sandwich SE
    covers at the nominal rate; the plain influence-function SE on the same estimates over-covers."""
    est, se = sims["aipw_bad_outcome"][:, 0], sims["aipw_bad_outcome"][:, 1]
    assert _bias_ok(est, se, sims["truth"])
    assert COVER_LO <= _cover(est, se, sims["truth"]) <= COVER_HI
    assert _cover(est, sims["plain_bad_outcome"][:, 1], sims["truth"]) > COVER_HI


@pytest.mark.slow
def test_matching_on_estimated_score_has_nominal_coverage(sims: dict[str, np.ndarray]) -> None:
    """Abadie–Imbens (2016) SE: nominal; the known-score (2006) SE on the same estimates: over-covers."""
    est, se = sims["nn"][:, 0], sims["nn"][:, 1]
    assert _bias_ok(est, se, sims["truth"])
    assert COVER_LO <= _cover(est, se, sims["truth"]) <= COVER_HI
    assert _cover(est, sims["nn_ai2006"][:, 1], sims["truth"]) > COVER_HI


@pytest.mark.slow
def test_naive_contrast_fails_at_the_same_seeds(sims: dict[str, np.ndarray]) -> None:
    est, se = sims["naive"][:, 0], sims["naive"][:, 1]
    assert not _bias_ok(est, se, sims["truth"])
    assert _cover(est, se, sims["truth"]) < 0.2
