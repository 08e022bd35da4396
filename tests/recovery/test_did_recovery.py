"""Recovery: the doubly robust 2x2 DiD (Sant'Anna & Zhao 2020) under covariate-dependent trends.

DGP: P(treated | x) = logistic(-0.3 + x) (correct logit); the untreated trend is 1 + 0.8 x + 0.4 (x^2 - 1)
(nonlinear in x, so the linear outcome model is misspecified); true ATT = 0.5. DR stays consistent
because its propensity model is right; the plain 2x2 DiD (no covariates) and the linear outcome
regression are biased. Rules (validation-targets.md section 5): seeds fixed below, R = 500,
coverage in 92.5-97.5%, bias within max(0.1 mean SE, 3 MC SE); panel and repeated cross-sections.

What it catches: plain 2x2 bias ~ +0.68 (coverage ~0%), linear outcome regression bias ~ +0.28; a DR estimator
whose influence function ignores the estimated propensity score or outcome model has wrong coverage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution.did import did_2x2

SEED = 20261128
R = 500
COVER_LO = 0.95 - 2.576 * np.sqrt(0.95 * 0.05 / R)
COVER_HI = 0.95 + 2.576 * np.sqrt(0.95 * 0.05 / R)
Z = 1.959963984540054
ATT = 0.5
N = 1000


def data(rng: np.random.Generator, panel: bool) -> pd.DataFrame:
    x = rng.normal(size=N)
    d = (rng.random(N) < 1 / (1 + np.exp(0.3 - x))).astype(float)
    trend = 1 + 0.8 * x + 0.4 * (x**2 - 1)
    y0 = 2 + x + rng.normal(size=N)
    y1 = y0 + trend + ATT * d + rng.normal(size=N)
    if panel:
        return pd.DataFrame(
            {"y": np.r_[y0, y1], "d": np.r_[d, d], "post": np.r_[np.zeros(N), np.ones(N)],
             "x": np.r_[x, x], "id": np.r_[np.arange(N), np.arange(N)]}
        )  # fmt: skip
    post = (rng.random(N) < 0.5).astype(float)
    return pd.DataFrame({"y": np.where(post == 1, y1, y0), "d": d, "post": post, "x": x})


def _check(est: np.ndarray, se: np.ndarray) -> tuple[bool, float]:
    err = est - ATT
    bias_ok = abs(err.mean()) <= max(0.1 * se.mean(), 3 * err.std(ddof=1) / np.sqrt(len(err)))
    return bool(bias_ok), float(np.mean(np.abs(err) <= Z * se))


@pytest.mark.slow
@pytest.mark.parametrize("panel", [True, False], ids=["panel", "repeated_cross_section"])
def test_dr_recovers_under_covariate_dependent_trends(panel: bool) -> None:
    res: dict[str, list[tuple[float, float]]] = {"dr": [], "reg": [], "plain": []}
    for r in range(R):
        df = data(np.random.default_rng([SEED, int(panel), r]), panel)
        kw = {"outcome": "y", "treated": "d", "post": "post", "unit": "id" if panel else None}
        dr = did_2x2(df, covariates=["x"], method="dr", **kw)  # type: ignore[arg-type]
        reg = did_2x2(df, covariates=["x"], method="reg", **kw)  # type: ignore[arg-type]
        res["dr"].append((dr.estimate, dr.std_error))
        res["reg"].append((reg.estimate, reg.std_error))
        res["plain"].append((dr.contrasts[0].estimate, dr.contrasts[0].std_error))
    arr = {k: np.array(v) for k, v in res.items()}
    bias_ok, cover = _check(arr["dr"][:, 0], arr["dr"][:, 1])
    assert bias_ok
    assert COVER_LO <= cover <= COVER_HI
    plain_ok, plain_cover = _check(arr["plain"][:, 0], arr["plain"][:, 1])
    assert not plain_ok
    assert plain_cover < COVER_LO
    reg_ok, _ = _check(arr["reg"][:, 0], arr["reg"][:, 1])
    assert not reg_ok
