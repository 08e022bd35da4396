"""Estimate-based isolation (Phillips): participants' own estimates of how much of an improvement the
program caused, discounted by their confidence. Always labelled the least credible method.

Each respondent's claim counts ``improvement x share_attributed x confidence`` (the confidence is an
error adjustment); people who did not answer count zero; claims outside [0, 1] shares or confidences,
and extreme improvements (more than ``extreme_mads`` median absolute deviations from the median), are
excluded — the Phillips "guiding principles" 6 (isolate), 7 (adjust estimates for error), 8 (use the most
conservative alternative: no data = no improvement) and 9 (exclude extreme data and unsupported claims).

References: Phillips & Phillips (2016), *Handbook of Training Evaluation and Measurement Methods*, 4th ed.,
ch. 7–8; Phillips (2003), *Return on Investment in Training and Performance Improvement Programs*.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from learnroi.attribution.result import Diagnostic, EffectResult, make_term
from learnroi.core.errors import DataError

LEAST_CREDIBLE = (
    "participants' own estimates, adjusted for their confidence: the least credible way to isolate "
    "a program's effect (no comparison group); use only when no design is identified"
)


def isolate_benefit(benefit: float, share_attributed: float, confidence: float) -> float:
    """Phillips' adjusted claim: benefit x share attributed x confidence ($100,000 x 0.30 x 0.90 = $27,000)."""
    for name, v in (("share_attributed", share_attributed), ("confidence", confidence)):
        if not 0 <= v <= 1:
            raise DataError(
                f"{name} must lie in [0, 1]; got {v}", hint="Enter shares as fractions (30% = 0.3)."
            )
    return float(benefit) * float(share_attributed) * float(confidence)


def estimate_isolation(
    improvement: npt.ArrayLike,
    share_attributed: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    n_participants: int | None = None,
    extreme_mads: float = 5.0,
) -> EffectResult:
    """Average adjusted improvement per participant (non-respondents count zero).

    ``n_participants`` is everyone who took the program (default: the respondents). The SE is the
    sampling SE of that average over participants; it says nothing about the estimates' own bias.
    """
    imp = np.asarray(improvement, dtype=np.float64)
    share = np.asarray(share_attributed, dtype=np.float64)
    conf = np.asarray(confidence, dtype=np.float64)
    if not (imp.shape == share.shape == conf.shape):
        raise DataError(
            "improvement, share and confidence differ in length", hint="Pass one row per respondent."
        )
    valid = np.isfinite(imp) & (share >= 0) & (share <= 1) & (conf >= 0) & (conf <= 1)
    med = float(np.median(imp[valid])) if valid.any() else 0.0
    mad = float(np.median(np.abs(imp[valid] - med))) if valid.any() else 0.0
    extreme = (
        valid & (np.abs(imp - med) > extreme_mads * max(mad, 1e-12)) if mad > 0 else np.zeros_like(valid)
    )
    used = valid & ~extreme
    n_resp = len(imp)
    n_all = n_participants if n_participants is not None else n_resp
    if n_all < n_resp:
        raise DataError(
            f"{n_resp} respondents but only {n_all} participants",
            hint="n_participants counts everyone who took the program.",
        )
    claims = np.zeros(n_all)
    claims[: int(used.sum())] = (imp * share * conf)[used]  # everyone else counts zero
    mean = float(claims.mean())
    se = float(claims.std(ddof=1) / np.sqrt(n_all)) if n_all > 1 else float("nan")
    diags = (
        Diagnostic("least_credible_method", None, None, True, LEAST_CREDIBLE),
        Diagnostic(
            "response_rate",
            n_resp / n_all if n_all else 0.0,
            None,
            True,
            f"{n_resp} of {n_all} participants answered; non-respondents count zero",
        ),
        Diagnostic(
            "excluded_claims",
            float((~used).sum()),
            None,
            True,
            f"{int((~valid).sum())} invalid and {int(extreme.sum())} extreme claims excluded",
        ),
    )
    return EffectResult(
        method="estimate-based isolation (Phillips)",
        design="estimates",
        estimand="claimed ATT",
        terms=(make_term("adjusted improvement per participant", mean, se, n_all),),
        n=n_all,
        diagnostics=diags,
        extra={
            "credibility": "least",
            "n_respondents": n_resp,
            "n_used": int(used.sum()),
            "raw_mean_claim": float(imp[valid].mean()) if valid.any() else None,
        },
    )


def estimates_from_frame(
    df: pd.DataFrame,
    *,
    kpi: str | None = None,
    program_id: str | None = None,
    n_participants: int | None = None,
    role: str = "participant",
) -> EffectResult:
    """:func:`estimate_isolation` on ``surveys/estimates.csv`` rows (data-layout.md), filtered to a program,
    KPI and respondent role."""
    rows = df
    if program_id is not None and "program_id" in rows:
        rows = rows[rows["program_id"] == program_id]
    if kpi is not None and "kpi" in rows:
        rows = rows[rows["kpi"] == kpi]
    if "respondent_role" in rows:
        rows = rows[rows["respondent_role"] == role]
    if rows.empty:
        raise DataError(
            "no participants' estimates for this program and KPI",
            hint="Ingest surveys/estimates.csv for the program (learnroi ingest surveys).",
        )
    return estimate_isolation(
        rows["improvement"], rows["share_attributed"], rows["confidence"], n_participants=n_participants
    )
