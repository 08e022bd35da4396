"""The correlation matrix a spec's ``[[correlations]]`` imply, and whether a Gaussian copula can use it.

A Gaussian copula (Nelsen, *An Introduction to Copulas*, 2006, §5.3.1) draws correlated standard normals
through the Cholesky factor of the correlation matrix, so the matrix must be positive definite. Pairs
that are each plausible can still be jointly impossible (a~b = 0.9, b~c = 0.9, a~c = -0.9): then
:func:`pair_to_lower` names the pair whose |rho| needs the smallest cut, and how far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

Pair = tuple[str, str, float]
PD_MARGIN = 1e-6
"""Smallest eigenvalue a usable correlation matrix must exceed (keeps the Cholesky factor well conditioned)."""


def correlation_matrix(
    pairs: Sequence[Pair], names: Sequence[str] | None = None
) -> tuple[tuple[str, ...], NDArray[np.float64]]:
    """The names (first appearance, unless given) and the symmetric matrix with 1 on the diagonal."""
    order = list(names) if names is not None else list(dict.fromkeys(n for a, b, _ in pairs for n in (a, b)))
    index = {n: i for i, n in enumerate(order)}
    m = np.eye(len(order))
    for a, b, rho in pairs:
        m[index[a], index[b]] = m[index[b], index[a]] = rho
    return tuple(order), m


def smallest_eigenvalue(pairs: Sequence[Pair]) -> float:
    """The smallest eigenvalue of the implied matrix (> :data:`PD_MARGIN` means usable)."""
    _, m = correlation_matrix(pairs)
    return float(np.linalg.eigvalsh(m)[0]) if len(m) else 1.0


def is_usable(pairs: Sequence[Pair]) -> bool:
    return smallest_eigenvalue(pairs) > PD_MARGIN


def pair_to_lower(pairs: Sequence[Pair]) -> tuple[int, float | None]:
    """Index of the pair to lower and the largest |rho| (same sign, 2 decimals) that makes the set usable.

    Each pair is tried alone: on the line rho_i -> t rho_i the usable set is convex and holds t = 0 when
    dropping the pair is enough, so bisection finds the largest t. The pair needing the smallest cut wins;
    when no single pair suffices, the strongest pair is named with ``None``.
    """
    best: tuple[float, int, float] | None = None
    for i, (a, b, rho) in enumerate(pairs):

        def with_rho(r: float, i: int = i, a: str = a, b: str = b) -> list[Pair]:
            return [*pairs[:i], (a, b, r), *pairs[i + 1 :]]

        if not is_usable(with_rho(0.0)):
            continue
        lo, hi = 0.0, 1.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if is_usable(with_rho(rho * mid)) else (lo, mid)
        keep = float(np.trunc(abs(rho) * lo * 100) / 100)
        while keep > 0 and not is_usable(with_rho(np.sign(rho) * keep)):
            keep = round(keep - 0.01, 2)
        cut = abs(rho) - keep
        if best is None or cut < best[0]:
            best = (cut, i, float(np.sign(rho) * keep))
    if best is None:
        strongest = max(range(len(pairs)), key=lambda j: abs(pairs[j][2]))
        return strongest, None
    return best[1], best[2]


def first_problem(pairs: Sequence[Pair], ranged: Mapping[str, bool]) -> tuple[int, str, str, str] | None:
    """The first problem of a spec's correlations as (entry, key, message, hint), or None.

    ``ranged``: every assumption name, True when it has ``low < high``. Checks, in order: both names are
    ranged assumptions, each pair appears once, and the matrix is positive definite.
    """
    seen: dict[frozenset[str], int] = {}
    for i, (a, b, _) in enumerate(pairs):
        for key, name in (("a", a), ("b", b)):
            if name not in ranged:
                return (
                    i,
                    key,
                    f"correlation {a!r}~{b!r}: assumption {name!r} is not under [assumptions]",
                    f"Add [assumptions.{name}] with value, low, high and source, or fix the name.",
                )
            if not ranged[name]:
                return (
                    i,
                    key,
                    f"correlation {a!r}~{b!r}: assumption {name!r} has no range (low < high)",
                    f"Give [assumptions.{name}] low < high: a fixed value cannot move with another.",
                )
        pair = frozenset((a, b))
        if pair in seen:
            return (
                i,
                "a",
                f"correlation {a!r}~{b!r} is listed twice (entries {seen[pair] + 1} and {i + 1})",
                "Keep one [[correlations]] entry per pair of assumptions.",
            )
        seen[pair] = i
    if not pairs or is_usable(pairs):
        return None
    i, keep = pair_to_lower(pairs)
    a, b, _ = pairs[i]
    return (
        i,
        "rho",
        "the correlations contradict each other: their matrix is not positive definite "
        f"(smallest eigenvalue {smallest_eigenvalue(pairs):.3f})",
        f"Lower |rho| of {a}~{b}"
        + (f" to {keep:g} or less" if keep is not None else " and of the other strong pairs")
        + ": pairs that are each plausible can be impossible together "
        "(a~b and b~c both 0.9 force a~c above 0.6).",
    )
