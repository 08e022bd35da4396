"""The ROI arithmetic of docs/dev/roi-formulas.md, on numpy arrays (one value per Monte Carlo draw).

Phillips: BCR = benefits / fully loaded costs; ROI % = (benefits - costs) / costs x 100 = (BCR - 1) x 100;
payback (months) = costs / monthly benefits. Time factors: the benefit of month m is weighted by
d(m) (1 for m <= W, 0.5^((m - W)/h) after the evaluation window) and (1 + r)^(-m/12).
Written by hand because it is five lines of numpy; no library computes exactly this schedule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]
_CHUNK = 20_000


def roi_pct(benefit: ArrayLike, cost: ArrayLike) -> Array:
    """ROI % = (benefit - cost) / cost x 100."""
    b, c = np.asarray(benefit, dtype=float), np.asarray(cost, dtype=float)
    return np.asarray((b - c) / c * 100.0, dtype=float)


def bcr(benefit: ArrayLike, cost: ArrayLike) -> Array:
    """Benefit-cost ratio = benefit / cost."""
    return np.asarray(np.asarray(benefit, dtype=float) / np.asarray(cost, dtype=float), dtype=float)


def payback_months(benefit: float, cost: float, horizon_months: int) -> float | None:
    """Months until the benefits repay the cost, at the average monthly benefit; None if they never do."""
    if benefit <= 0:
        return None
    return cost / (benefit / horizon_months)


def decay_weights(
    months: NDArray[np.int64],
    window: int,
    half_life: ArrayLike,
    profile: Sequence[float] | None = None,
) -> Array:
    """d(m) per month (columns) and draw (rows of ``half_life``); inf half-life = no decay.

    With an event-study ``profile`` (multipliers of the headline effect for months 1..K) the profile
    replaces the window: d(m) = profile[m-1] for m <= K, then profile[K-1] x 0.5^((m-K)/h).
    """
    h = np.asarray(half_life, dtype=float).reshape(-1, 1)
    m = months.reshape(1, -1).astype(float)
    if profile is None or len(profile) == 0:
        after = np.maximum(m - window, 0.0)
        return np.asarray(np.power(0.5, after / h), dtype=float)
    p = np.asarray(profile, dtype=float)
    k = len(p)
    head = p[np.minimum(months, k) - 1].reshape(1, -1)
    after = np.maximum(m - k, 0.0)
    return np.asarray(head * np.power(0.5, after / h), dtype=float)


def discount_weights(months: NDArray[np.int64], rate: ArrayLike) -> Array:
    """(1 + r)^(-m/12) per month (columns) and draw (rows of ``rate``)."""
    r = np.asarray(rate, dtype=float).reshape(-1, 1)
    return np.asarray(np.power(1.0 + r, -months.reshape(1, -1) / 12.0), dtype=float)


def time_factor(
    horizon: int,
    window: int,
    half_life: ArrayLike,
    rate: ArrayLike,
    profile: Sequence[float] | None = None,
) -> Array:
    """S = sum over m = 1..H of d(m) (1 + r)^(-m/12), one value per draw (chunked to bound memory)."""
    h = np.atleast_1d(np.asarray(half_life, dtype=float))
    r = np.atleast_1d(np.asarray(rate, dtype=float))
    n = max(h.size, r.size)
    h, r = np.broadcast_to(h, (n,)), np.broadcast_to(r, (n,))
    months = np.arange(1, horizon + 1, dtype=np.int64)
    out = np.empty(n, dtype=float)
    for lo in range(0, n, _CHUNK):
        sl = slice(lo, lo + _CHUNK)
        w = decay_weights(months, window, h[sl], profile) * discount_weights(months, r[sl])
        out[sl] = w.sum(axis=1)
    return out


def monthly_weights(
    horizon: int, window: int, half_life: float, rate: float, profile: Sequence[float] | None = None
) -> Array:
    """d(m) (1 + r)^(-m/12) for m = 1..H at point values (the benefit schedule)."""
    months = np.arange(1, horizon + 1, dtype=np.int64)
    return np.asarray(
        (decay_weights(months, window, [half_life], profile) * discount_weights(months, [rate]))[0],
        dtype=float,
    )
