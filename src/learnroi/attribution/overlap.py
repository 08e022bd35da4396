"""Covariate balance and overlap for matched and weighted comparisons: standardized mean differences
(Austin 2009), common support and the weighted comparison group's effective size (Kish), and the trimming
rule of thumb of Crump, Hotz, Imbens & Mitnik (2009). Used by :mod:`learnroi.attribution.matching`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from learnroi.attribution.result import Diagnostic

BoolArray = npt.NDArray[np.bool_]
SMD_THRESHOLD = 0.1
"""Austin (2009): an absolute standardized mean difference above 0.1 is meaningful imbalance."""


def balance(
    covariates: pd.DataFrame, treated: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> pd.DataFrame:
    """Standardized mean differences before and after weighting (Austin 2009): the denominator is the
    unweighted pooled SD √((s²_t + s²_c)/2) in both, so the columns are comparable."""
    X = covariates.to_numpy(dtype=np.float64)
    d = np.asarray(treated).astype(bool)
    sd = np.sqrt((X[d].var(axis=0, ddof=1) + X[~d].var(axis=0, ddof=1)) / 2)
    sd = np.where(sd > 0, sd, 1.0)
    out = pd.DataFrame(
        {
            "covariate": list(covariates.columns),
            "mean_treated": X[d].mean(axis=0),
            "mean_control": X[~d].mean(axis=0),
            "smd_before": (X[d].mean(axis=0) - X[~d].mean(axis=0)) / sd,
        }
    )
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)
        mt = np.average(X[d], axis=0, weights=w[d])
        mc = np.average(X[~d], axis=0, weights=w[~d])
        out["mean_control_weighted"] = mc
        out["smd_after"] = (mt - mc) / sd
    return out


def overlap(
    score: npt.ArrayLike,
    treated: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    max_outside: float = 0.10,
) -> tuple[Diagnostic, ...]:
    """Common support: the share of treated units whose score lies outside the comparison units' range,
    and (with weights) the comparison group's effective sample size (Kish) relative to the treated."""
    s = np.asarray(score, dtype=np.float64)
    d = np.asarray(treated).astype(bool)
    lo, hi = s[~d].min(), s[~d].max()
    outside = float(np.mean((s[d] < lo) | (s[d] > hi)))
    diags = [
        Diagnostic(
            "overlap_outside_support",
            outside,
            max_outside,
            outside <= max_outside,
            f"{outside:.1%} of treated units have a propensity score outside the comparison range "
            f"[{lo:.3f}, {hi:.3f}]",
        )
    ]
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)[~d]
        ess = float(w.sum() ** 2 / np.sum(w**2)) if w.sum() > 0 else 0.0
        need = max(10.0, 0.1 * d.sum())
        diags.append(
            Diagnostic(
                "overlap_effective_controls",
                ess,
                need,
                ess >= need,
                f"the weighted comparison group is worth {ess:.0f} units (needs >= {need:.0f})",
            )
        )
    return tuple(diags)


def trim_mask(score: npt.ArrayLike, alpha: float = 0.1) -> BoolArray:
    """Crump et al. (2009) rule of thumb: keep units with alpha <= score <= 1 − alpha."""
    s = np.asarray(score, dtype=np.float64)
    return np.asarray((s >= alpha) & (s <= 1 - alpha))


__all__ = ["SMD_THRESHOLD", "balance", "overlap", "trim_mask"]
