"""Estimate-based isolation (Phillips): participants' own estimates of how much of an improvement the
program caused, discounted by their confidence. Always labelled the least credible method.

This module is the single source of truth for the Phillips rules; ``learnroi.roi.estimates`` (the
estimate-based ROI) calls :func:`phillips_claims`. The rules, each the most conservative reading of the
Phillips "guiding principles":

* principle 7 (adjust for error): a claim counts ``improvement x share_attributed x confidence``;
* principle 4 (most conservative alternative): with several answers about one person (participant and
  manager), the **lowest** adjusted claim counts;
* principle 6 (no data, no improvement): non-respondents count **zero** (``n_participants`` is everyone
  who took the program); unsupported claims (share or confidence outside [0, 1], non-finite improvement)
  count zero too;
* principle 8 (exclude extreme claims): a person's claim above Tukey's far-out fence ``Q3 + 3 IQR`` of the
  per-person claims (Tukey 1977; needs >= 4 people) counts **zero**.

Why this rule for extremes (it replaced "more than 5 MADs from the median of the raw improvement"): it
is judged on the quantity that is actually averaged (the adjusted per-person claim, not the raw
improvement), and it is one-sided — dropping an unusually *low* claim would raise the estimate, which is
the opposite of conservative. The quartiles are robust to the very outliers being screened, and unlike
a MAD rule it still screens when most people give the same claim (MAD = 0). Hand-written because it is
three numpy lines; no library implements Phillips' principles.

References: Phillips & Phillips (2016), *Handbook of Training Evaluation and Measurement Methods*, 4th ed.,
ch. 7–8; Phillips (2003), *Return on Investment in Training and Performance Improvement Programs*; Tukey
(1977), *Exploratory Data Analysis*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from learnroi.attribution.result import Diagnostic, EffectResult, make_term
from learnroi.core.errors import DataError

LEAST_CREDIBLE = (
    "participants' own estimates, adjusted for their confidence: the least credible way to isolate "
    "a program's effect (no comparison group); use only when no design is identified"
)
FAR_OUT = 3.0
"""Tukey (1977) far-out fence multiplier of the interquartile range."""
MIN_FOR_FENCE = 4
"""Fewer people than this: no quartiles worth the name, so no claim is called extreme."""


def phillips_adjust(
    improvement: npt.ArrayLike, share: npt.ArrayLike, confidence: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Improvement x share attributed x confidence ($100,000 x 30 % x 90 % = $27,000), elementwise."""
    return np.asarray(
        np.asarray(improvement, dtype=np.float64)
        * np.asarray(share, dtype=np.float64)
        * np.asarray(confidence, dtype=np.float64),
        dtype=np.float64,
    )


def isolate_benefit(benefit: float, share_attributed: float, confidence: float) -> float:
    """Phillips' adjusted claim: benefit x share attributed x confidence ($100,000 x 0.30 x 0.90 = $27,000)."""
    for name, v in (("share_attributed", share_attributed), ("confidence", confidence)):
        if not 0 <= v <= 1:
            raise DataError(
                f"{name} must lie in [0, 1]; got {v}", hint="Enter shares as fractions (30% = 0.3)."
            )
    return float(phillips_adjust(benefit, share_attributed, confidence))


@dataclass(frozen=True)
class PhillipsClaims:
    """The adjusted claims that count, one per person, under the module's rules."""

    claims: npt.NDArray[np.float64]
    """One claim per person counted (respondents, then non-respondents as zeros when counted)."""
    n_answers: int
    n_people: int
    """People with at least one answer (valid or not)."""
    n_invalid: int
    """Answers excluded as unsupported (share/confidence outside [0, 1], non-finite improvement)."""
    n_extreme: int
    """People whose claim was above the far-out fence (counted zero)."""
    n_used: int
    """People whose claim counts as given (valid and not extreme)."""
    n_non_respondents: int

    @property
    def mean(self) -> float:
        return float(self.claims.mean()) if self.claims.size else float("nan")

    @property
    def se(self) -> float:
        """Sampling SE of the mean claim (NaN with fewer than two people); not the claims' own bias."""
        n = self.claims.size
        return float(self.claims.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "se": self.se,
            "n": int(self.claims.size),
            "n_answers": self.n_answers,
            "n_people": self.n_people,
            "n_invalid": self.n_invalid,
            "n_extreme": self.n_extreme,
            "n_used": self.n_used,
            "n_non_respondents": self.n_non_respondents,
        }


def phillips_claims(
    improvement: npt.ArrayLike,
    share_attributed: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    subject: npt.ArrayLike | None = None,
    n_participants: int | None = None,
    adjust_by_confidence: bool = True,
    exclude_extremes: bool = True,
    count_non_respondents: bool = True,
) -> PhillipsClaims:
    """Apply the module's Phillips rules to one row per answer.

    ``subject`` names the person each answer is about (default: each answer is its own person);
    ``n_participants`` is everyone who took the program (default: the people who have answers). The
    switches turn off principles 7, 8 and 6 (``learnroi.roi.PhillipsRules``); the lowest claim per
    person always counts.
    """
    imp = np.asarray(improvement, dtype=np.float64)
    share = np.asarray(share_attributed, dtype=np.float64)
    conf = np.asarray(confidence, dtype=np.float64)
    if not (imp.shape == share.shape == conf.shape) or imp.ndim != 1:
        raise DataError(
            "improvement, share and confidence differ in length", hint="Pass one row per respondent."
        )
    valid = _supported(imp, share, conf)
    adjusted = phillips_adjust(imp, share, conf if adjust_by_confidence else np.ones_like(conf))
    adjusted = np.where(valid, adjusted, np.nan).astype(np.float64)
    per_person: npt.NDArray[np.float64] = adjusted
    if subject is not None:
        who = np.asarray(subject).astype(str)
        if who.shape != imp.shape:
            raise DataError("subject differs in length from the answers", hint="Pass one row per answer.")
        per_person = np.asarray(pd.Series(adjusted).groupby(who, sort=False).min(), dtype=np.float64)
    supported = np.isfinite(per_person)
    extreme = np.zeros(per_person.shape, dtype=bool)
    if exclude_extremes and int(supported.sum()) >= MIN_FOR_FENCE:
        q1, q3 = np.quantile(per_person[supported], [0.25, 0.75])
        extreme = supported & (per_person > q3 + FAR_OUT * (q3 - q1))
    counted = np.where(supported & ~extreme, per_person, 0.0)
    n_people = int(per_person.size)
    n_all = n_participants if n_participants is not None else n_people
    if n_all < n_people:
        raise DataError(
            f"{n_people} people have estimates but only {n_all} participants",
            where="surveys",
            hint="n_participants counts everyone who took the program (at least the respondents).",
        )
    n_missing = n_all - n_people
    if count_non_respondents:
        counted = np.concatenate([counted, np.zeros(n_missing)])
    return PhillipsClaims(
        claims=counted,
        n_answers=int(imp.size),
        n_people=n_people,
        n_invalid=int((~valid).sum()),
        n_extreme=int(extreme.sum()),
        n_used=int((supported & ~extreme).sum()),
        n_non_respondents=n_missing,
    )


def _supported(
    imp: npt.NDArray[np.float64], share: npt.NDArray[np.float64], conf: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    """Answers that count: a finite improvement, share and confidence in [0, 1] (principle 8's
    "unsupported claims" otherwise)."""
    return np.asarray(np.isfinite(imp) & (share >= 0) & (share <= 1) & (conf >= 0) & (conf <= 1))


def estimate_isolation(
    improvement: npt.ArrayLike,
    share_attributed: npt.ArrayLike,
    confidence: npt.ArrayLike,
    *,
    subject: npt.ArrayLike | None = None,
    n_participants: int | None = None,
) -> EffectResult:
    """Average adjusted improvement per participant under :func:`phillips_claims` (all rules on).

    ``n_participants`` is everyone who took the program (default: the respondents). The SE is the
    sampling SE of that average over participants; it says nothing about the estimates' own bias.
    """
    pc = phillips_claims(
        improvement, share_attributed, confidence, subject=subject, n_participants=n_participants
    )
    imp = np.asarray(improvement, dtype=np.float64)
    n_all = int(pc.claims.size)
    raw = imp[_supported(imp, np.asarray(share_attributed, float), np.asarray(confidence, float))]
    diags = (
        Diagnostic("least_credible_method", None, None, True, LEAST_CREDIBLE),
        Diagnostic(
            "response_rate",
            pc.n_people / n_all if n_all else 0.0,
            None,
            True,
            f"{pc.n_people} of {n_all} participants answered; non-respondents count zero",
        ),
        Diagnostic(
            "excluded_claims",
            float(pc.n_invalid + pc.n_extreme),
            None,
            True,
            f"{pc.n_invalid} invalid answers and {pc.n_extreme} extreme claims (above Q3 + 3 IQR) "
            "counted zero",
        ),
    )
    return EffectResult(
        method="estimate-based isolation (Phillips)",
        design="estimates",
        estimand="claimed ATT",
        terms=(make_term("adjusted improvement per participant", pc.mean, pc.se, n_all),),
        n=n_all,
        diagnostics=diags,
        extra={
            "credibility": "least",
            "n_respondents": pc.n_people,
            "n_answers": pc.n_answers,
            "n_used": pc.n_used,
            "raw_mean_claim": float(raw.mean()) if raw.size else None,
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
    KPI and respondent role (the lowest claim per ``subject_id`` counts when that column is present)."""
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
        rows["improvement"],
        rows["share_attributed"],
        rows["confidence"],
        subject=rows.get("subject_id"),
        n_participants=n_participants,
    )
