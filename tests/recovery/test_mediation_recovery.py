"""Recovery of known indirect and direct effects through the competency gain (validation-targets §5).

Bootstrap intervals, so R = 200 replications (§5 allows R ≥ 200 for bootstrap-based intervals), B = 400
resamples each, seeds fixed below. Band at R = 200: 0.95 ± 2.576·√(0.95·0.05/200) = [0.910, 0.990].
DGP (randomized program, sequential ignorability holds): M = 0.5·D + 0.3·C + u; Y = 1 + 0.4·D + 0.8·M +
0.2·C + e. Truth: indirect 0.5·0.8 = 0.4, direct 0.4, total 0.8.

What it would catch: a product taken from the wrong coefficients, bootstrap weights applied to one
model only, an unseeded bootstrap (results would differ between identical calls: asserted), and the
naive "gain-in-score vs KPI" slope (regressing Y on M alone), which is biased by C and D at the same seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from learnroi.attribution.mediation import mediation

R = 200
N = 300
B = 400
SEED = 7_2026
BAND = 2.576 * math.sqrt(0.95 * 0.05 / R)
TRUTH = {"indirect": 0.4, "direct": 0.4, "total": 0.8}


@pytest.fixture(scope="module")
def fits() -> np.ndarray:
    rng = np.random.default_rng(SEED)
    d = rng.integers(0, 2, (R, N)).astype(float)
    c = rng.normal(size=(R, N))
    m = 0.5 * d + 0.3 * c + rng.normal(size=(R, N))
    y = 1 + 0.4 * d + 0.8 * m + 0.2 * c + rng.normal(size=(R, N))
    rows = []
    for r in range(R):  # replications; the bootstrap inside is one batched solve
        res = mediation(y[r], d[r], m[r], c[r], n_boot=B, seed=r)
        rows.append([[t.estimate, t.std_error, *t.interval()] for t in res.terms[:3]])
    naive = np.array([np.polyfit(m[r], y[r], 1)[0] for r in range(R)])
    return np.concatenate([np.array(rows).reshape(R, -1), naive[:, None]], axis=1)


@pytest.mark.slow
@pytest.mark.parametrize(("j", "name"), [(0, "indirect"), (1, "direct"), (2, "total")])
def test_effects_recovered(fits: np.ndarray, j: int, name: str) -> None:
    est, se, lo, hi = fits[:, 4 * j], fits[:, 4 * j + 1], fits[:, 4 * j + 2], fits[:, 4 * j + 3]
    truth = TRUTH[name]
    err = est - truth
    assert abs(err.mean()) <= max(0.1 * se.mean(), 3 * err.std(ddof=1) / math.sqrt(R))
    cover = np.mean((lo <= truth) & (truth <= hi))
    assert 0.95 - BAND <= cover <= 0.95 + BAND


@pytest.mark.slow
def test_naive_score_slope_is_not_the_indirect_effect(fits: np.ndarray) -> None:
    """Slope of the KPI on the score gain (ignoring D and C) x the program's gain of 0.5: ~0.45, not 0.4.
    It fails the same §5 bias rule the mediation estimate passes (its own MC SE ~0.002)."""
    naive = fits[:, -1] * 0.5
    err = naive - TRUTH["indirect"]
    mcse = err.std(ddof=1) / math.sqrt(R)
    assert abs(err.mean()) > max(0.1 * fits[:, 1].mean(), 3 * mcse)


def test_bootstrap_is_seeded() -> None:
    rng = np.random.default_rng(1)
    d = rng.integers(0, 2, 200).astype(float)
    m = d + rng.normal(size=200)
    y = m + rng.normal(size=200)
    a, b = mediation(y, d, m, n_boot=200, seed=3), mediation(y, d, m, n_boot=200, seed=3)
    assert a.terms[0].interval() == b.terms[0].interval()
    assert mediation(y, d, m, n_boot=200, seed=4).terms[0].interval() != a.terms[0].interval()
