"""The ``service-blend`` truth is what the simulated data identify (validation-targets.md §5 pass rules).

R = 1,000 companies of 2,000 employees (about 100 randomized support agents per arm), generated with the
simulator's own functions (``build_workforce`` + ``simulate_blend``, the streams ``simulate_tables`` uses;
tests/unit/test_sim_blend.py checks that the written KPI and HRIS tables are these arrays). Per arm, the
per-person difference in means of window KPIs (escalations, CSAT) against control, and the difference in
12-month exit shares read off the exit dates, must be unbiased for the truth (|bias| <= max(0.1 mean SE,
3 MC SE)) and their Welch 95 % intervals must cover it in 93.2-96.8 % of the replications (R = 1,000).

What it would catch: a truth that is the completers' effect (about 1.5x the ITT: bias ~0.15 escalations
against a 0.05 band), a truth over the wrong window or units, per-arm truths swapped between arms, exits
written to the HRIS that are not the assigned arm's potential exits, or a retention effect that leaks into
the evaluation window (the window means would then differ by arm through who is observed).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from learnroi.simulate.blend import ARMS, KPIS, exited_12m, simulate_blend, window_means
from learnroi.simulate.people import build_workforce

pytestmark = pytest.mark.slow

R, EMPLOYEES, SEED = 1000, 2000, 20261130
LOW, HIGH = 0.932, 0.968  # 0.95 +- 2.576 sqrt(0.95 0.05 / 1000)
NAMES = [f"{k}:{a}" for k in (*KPIS, "exit_12m") for a in ARMS[1:]]


def _welch(x: NDArray[np.float64], c: NDArray[np.float64]) -> tuple[float, float]:
    return float(x.mean() - c.mean()), float(np.sqrt(x.var(ddof=1) / x.size + c.var(ddof=1) / c.size))


@pytest.fixture(scope="module")
def runs() -> dict[str, NDArray[np.float64]]:
    est, se, att = (np.empty((R, len(NAMES))) for _ in range(3))
    for r in range(R):
        w = build_workforce(np.random.default_rng([SEED, r, 1]), EMPLOYEES)
        b, w2 = simulate_blend(np.random.default_rng([SEED, r, 30]), w)
        truth = b.truth()["arms"]
        col = 0
        for kpi in KPIS:
            m, has = window_means(b, kpi)
            for a, name in enumerate(ARMS[1:], start=1):
                est[r, col], se[r, col] = _welch(m[has & (b.arm == a)], m[has & (b.arm == 0)])
                att[r, col] = truth[name]["kpis"][kpi]["att"]
                col += 1
        gone = exited_12m(w2.exit_day[b.agents]).astype(np.float64)
        for a, name in enumerate(ARMS[1:], start=1):
            est[r, col], se[r, col] = _welch(gone[b.eligible & (b.arm == a)], gone[b.eligible & (b.arm == 0)])
            att[r, col] = truth[name]["exit_12m"]
            col += 1
    return {"est": est, "se": se, "att": att}


@pytest.mark.parametrize("j", range(len(NAMES)), ids=NAMES)
def test_difference_in_means_by_arm_recovers_the_truth(runs: dict[str, NDArray[np.float64]], j: int) -> None:
    err = runs["est"][:, j] - runs["att"][:, j]
    se = runs["se"][:, j]
    bias, mcse = float(err.mean()), float(err.std(ddof=1) / np.sqrt(R))
    assert abs(bias) <= max(0.1 * float(se.mean()), 3 * mcse), (
        f"{NAMES[j]}: bias {bias:.4f}, MC SE {mcse:.4f}"
    )
    cover = float((np.abs(err) <= 1.959964 * se).mean())
    assert LOW <= cover <= HIGH, f"{NAMES[j]}: coverage {cover:.3f}"


def test_planted_effects_have_the_documented_signs(runs: dict[str, NDArray[np.float64]]) -> None:
    """Blended and classroom cut escalations about equally, digital much less; training lowers exits."""
    att = runs["att"].mean(axis=0)
    esc = dict(zip(ARMS[1:], att[:3], strict=True))
    assert esc["blended"] < esc["classroom"] < esc["digital"] < 0
    assert esc["classroom"] / esc["blended"] > 0.8
    assert esc["digital"] / esc["blended"] < 0.5
    assert (att[3:6] > 0).all()  # CSAT rises
    assert (att[6:] < 0).all()  # fewer exits within 12 months
