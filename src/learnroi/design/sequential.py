"""Interim looks without inflating false positives: always-valid p-values and confidence sequences.

Method: the normal-mixture sequential probability ratio test (mSPRT) of Johari, Koomen, Pekelis & Walsh
(2017, "Peeking at A/B tests", eq. 11 and Prop. 2) on the difference in means, with variance ``V_n`` of
the estimate at look ``n``::

    Lambda_n = sqrt(V_n / (V_n + tau2)) * exp(tau2 * est_n^2 / (2 V_n (V_n + tau2)))
    p_n      = min(p_{n-1}, 1 / Lambda_n)          (always-valid p-value)

and its dual, the normal-mixture confidence sequence (Robbins 1970; Howard, Ramdas, McAuliffe & Sekhon
2021, "Time-uniform, nonparametric, nonasymptotic confidence sequences", §3.5 on tuning)::

    est_n +- sqrt(V_n (V_n + tau2) / tau2 * (2 log(1/alpha) + log((V_n + tau2) / V_n)))

intersected over looks. With estimated variances the guarantee is asymptotic (Waudby-Smith et al. 2021,
"Time-uniform central limit theory"). ``tau2`` is tuned so the sequence is tightest at the planned size.

An always-valid test pays for arbitrary peeking with a larger final threshold (|z| ~ 3 instead of 1.96
at alpha = 5%), so on its own it loses ~35 points of power at the planned size. The default design
therefore splits alpha (a Bonferroni union bound): ``alpha_interim`` (default 1%) is spent on the
always-valid monitor, usable at any number of looks, and ``alpha - alpha_interim`` on the pre-registered
fixed-horizon test at the planned size. The false-positive rate stays <= alpha however often one looks,
and power at the planned size stays within a few points of the fixed-horizon test. ``alpha_interim =
alpha`` gives the pure always-valid procedure. Hand-written: statsmodels has no anytime-valid tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from learnroi.core.errors import DataError, SpecError


def mixture_tau2(planned_variance: float, alpha: float = 0.05) -> float:
    """Mixture variance making the confidence sequence narrowest when the estimate's variance is planned.

    The radius^2 / V is ``(1 + 1/r) (2 log(1/alpha) + log(1 + r))`` with ``r = tau2 / V``; minimized in r
    (Howard et al. 2021, §3.5).
    """
    c = 2 * math.log(1 / alpha)
    res = optimize.minimize_scalar(
        lambda r: (1 + 1 / r) * (c + math.log1p(r)), bounds=(1e-3, 1e4), method="bounded"
    )
    return float(res.x) * planned_variance


def always_valid(
    estimate: Any, variance: Any, *, tau2: float, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Always-valid p-values and confidence-sequence bounds at each look (looks on the last axis).

    Arrays broadcast, so ``(replications, looks)`` arrays are handled in one call.
    """
    est = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    log_lr = 0.5 * np.log(v / (v + tau2)) + tau2 * est**2 / (2 * v * (v + tau2))
    p = np.minimum.accumulate(np.minimum(1.0, np.exp(-log_lr)), axis=-1)
    radius = np.sqrt(v * (v + tau2) / tau2 * (2 * math.log(1 / alpha) + np.log((v + tau2) / v)))
    lo = np.maximum.accumulate(est - radius, axis=-1)
    hi = np.minimum.accumulate(est + radius, axis=-1)
    return p, lo, hi


def sequential_reject(
    estimate: Any,
    variance: Any,
    *,
    planned_variance: float,
    alpha: float = 0.05,
    alpha_interim: float = 0.01,
    reached: Any = None,
) -> np.ndarray:
    """Whether the sequential design rejects "no effect" by the planned size (looks on the last axis).

    Rejects at any look where the always-valid p <= ``alpha_interim``, or at the first look reaching the
    planned size where the fixed-horizon p <= ``alpha - alpha_interim``; looks after it are ignored.
    ``reached`` flags the looks at or past the planned size (by head count); by default a look has reached
    it when its variance is <= ``planned_variance``.
    """
    est = np.asarray(estimate, dtype=float)
    v = np.asarray(variance, dtype=float)
    _check_alphas(alpha, alpha_interim)
    if reached is None:
        reached = v <= planned_variance * (1 + 1e-9)
    reached = np.broadcast_to(np.asarray(reached, dtype=bool), est.shape)
    before_final = np.cumsum(reached, axis=-1) <= 1  # looks up to and including the final one
    p_av, _, _ = always_valid(est, v, tau2=mixture_tau2(planned_variance, alpha_interim), alpha=alpha_interim)
    early = ((p_av <= alpha_interim) & before_final).any(axis=-1)
    alpha_final = alpha - alpha_interim
    if alpha_final <= 0:
        return np.asarray(early)
    p_fixed = 2 * stats.norm.sf(np.abs(est) / np.sqrt(v))
    final_mask = reached & (np.cumsum(reached, axis=-1) == 1)
    final = ((p_fixed <= alpha_final) & final_mask).any(axis=-1)
    return np.asarray(early | final)


def _check_alphas(alpha: float, alpha_interim: float) -> None:
    if not (0 < alpha < 1 and 0 < alpha_interim <= alpha):
        raise SpecError(
            f"need 0 < alpha_interim <= alpha < 1; got alpha={alpha}, alpha_interim={alpha_interim}",
            hint="Use e.g. alpha 0.05 with alpha_interim 0.01 (or equal to alpha for a purely sequential test).",
        )


@dataclass(frozen=True)
class SequentialResult:
    """The always-valid reading of a pilot at each look, and the decision so far."""

    looks: pd.DataFrame
    alpha: float
    alpha_interim: float
    planned_variance: float
    tau2: float
    decision: str
    method: str = "mSPRT (Johari et al. 2017) + fixed-horizon final test"

    def tidy(self) -> pd.DataFrame:
        return self.looks.copy()

    def summary(self) -> str:
        last = self.looks.iloc[-1]
        return (
            f"{len(self.looks)} looks; latest: estimate {last['estimate']:,.4g}, always-valid "
            f"{1 - self.alpha_interim:.0%} interval [{last['conf_low']:,.4g}, {last['conf_high']:,.4g}], "
            f"always-valid p {last['p_value']:.3g}, information {last['information']:.0%}. "
            f"Decision: {self.decision}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "alpha": self.alpha,
            "alpha_interim": self.alpha_interim,
            "planned_variance": self.planned_variance,
            "tau2": self.tau2,
            "decision": self.decision,
            "method": self.method,
            "looks": self.looks.to_dict(orient="records"),
        }


def difference_in_means(
    n_treatment: Any,
    mean_treatment: Any,
    var_treatment: Any,
    n_control: Any,
    mean_control: Any,
    var_control: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimate and variance of the difference in means from per-arm sufficient statistics at each look."""
    n1, n0 = np.asarray(n_treatment, dtype=float), np.asarray(n_control, dtype=float)
    est = np.asarray(mean_treatment, dtype=float) - np.asarray(mean_control, dtype=float)
    var = np.asarray(var_treatment, dtype=float) / n1 + np.asarray(var_control, dtype=float) / n0
    return est, var


def sequential_test(
    estimate: Any,
    variance: Any,
    *,
    planned_variance: float,
    n: Any = None,
    planned_n: int | None = None,
    alpha: float = 0.05,
    alpha_interim: float = 0.01,
    reached: Any = None,
) -> SequentialResult:
    """Read a pilot's looks so far: always-valid p-value and interval at each look, and the decision.

    ``planned_variance`` is the estimate's variance at the planned size (``sd^2 (1/n1 + 1/n0)`` for a
    mean KPI; see :func:`planned_variance`). With ``n`` (people at each look) and ``planned_n``, the final
    look is the first with ``n >= planned_n``; otherwise the first whose variance reaches the planned one.
    ``reached`` (one flag per look) says it directly, e.g. when the measurement window has ended.
    """
    _check_alphas(alpha, alpha_interim)
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    v = np.atleast_1d(np.asarray(variance, dtype=float))
    if est.shape != v.shape or est.ndim != 1 or not (v > 0).all():
        raise DataError(
            "each look needs one estimate and a positive variance",
            hint="Pass one estimate and variance per look, in time order.",
        )
    tau2 = mixture_tau2(planned_variance, alpha_interim)
    if reached is not None:
        reached = np.asarray(reached, dtype=bool)
    elif n is not None and planned_n is not None:
        reached = np.asarray(n, dtype=float) >= planned_n
    else:
        reached = v <= planned_variance * (1 + 1e-9)
    p, lo, hi = always_valid(est, v, tau2=tau2, alpha=alpha_interim)
    rejects = np.array(
        [
            bool(
                sequential_reject(
                    est[: i + 1],
                    v[: i + 1],
                    planned_variance=planned_variance,
                    alpha=alpha,
                    alpha_interim=alpha_interim,
                    reached=reached[: i + 1],
                )
            )
            for i in range(len(est))  # a handful of looks: the running decision at each
        ]
    )
    z = est / np.sqrt(v)
    looks = pd.DataFrame(
        {
            "look": np.arange(1, len(est) + 1),
            "term": "effect",
            "estimate": est,
            "std_error": np.sqrt(v),
            "conf_low": lo,
            "conf_high": hi,
            "p_value": p,
            "n": np.asarray(n, dtype=float) if n is not None else np.nan,
            "method": "always-valid (mSPRT)",
            "naive_p_value": 2 * stats.norm.sf(np.abs(z)),
            "information": planned_variance / v,
            "reject": rejects,
        }
    )
    if rejects.any():
        first = int(np.argmax(rejects)) + 1
        decision = f"effect detected at look {first}: stop and analyse as planned"
    elif reached.any():
        decision = "planned size reached without a significant effect: analyse as planned"
    else:
        decision = "continue: no effect detected yet and the planned size is not reached"
    return SequentialResult(
        looks=looks,
        alpha=alpha,
        alpha_interim=alpha_interim,
        planned_variance=planned_variance,
        tau2=tau2,
        decision=decision,
    )


def planned_variance(
    sd: float, n_treatment: int, n_control: int, *, rho: float = 0.0, deff: float = 1.0
) -> float:
    """Variance of the difference in means at the planned size (after CUPED and the design effect)."""
    return float(sd**2 * (1 - rho**2) * deff * (1 / n_treatment + 1 / n_control))


def record_looks(con: Any, program_id: str, kpi: str, result: SequentialResult) -> int:
    """Store a pilot's looks (the store's ``interim_looks`` table), replacing earlier ones; rows written."""
    looks = result.looks
    con.execute("DELETE FROM interim_looks WHERE program_id = ? AND kpi = ?", [program_id, kpi])
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).to_pydatetime()
    rows = [
        [
            program_id,
            kpi,
            int(r["look"]),
            now,
            None if pd.isna(r["n"]) else float(r["n"]),
            float(r["estimate"]),
            float(r["std_error"]),
            float(r["conf_low"]),
            float(r["conf_high"]),
            float(r["p_value"]),
            bool(r["reject"]),
            result.decision,
        ]
        for r in looks.to_dict(orient="records")
    ]  # a handful of looks
    con.executemany("INSERT INTO interim_looks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)
