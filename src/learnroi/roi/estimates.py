"""Estimate-based isolation (Phillips): participants' or managers' estimates of the improvement, the share
due to the program and their confidence, adjusted for error — the least credible basis, always labelled.

Per Phillips & Phillips: a claim counts as improvement x share attributed x confidence (principle 7);
with several respondents about one person the lowest adjusted claim counts (principle 4, most
conservative); non-respondents count as no improvement (principle 6); extreme claims are excluded
(principle 8; here: above Tukey's far-out fence Q3 + 3 IQR, counted as zero).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from learnroi.core.errors import DataError
from learnroi.roi.costs import as_pandas
from learnroi.roi.effect import EffectInput
from learnroi.roi.rules import PhillipsRules

SURVEY_COLUMNS = ("subject_id", "kpi", "improvement", "share_attributed", "confidence")
FAR_OUT = 3.0
"""Tukey (1977) far-out fence multiplier of the interquartile range."""


def phillips_adjust(improvement: ArrayLike, share: ArrayLike, confidence: ArrayLike) -> NDArray[np.float64]:
    """Improvement x share attributed x confidence ($100,000 x 30 % x 90 % = $27,000)."""
    return np.asarray(
        np.asarray(improvement, dtype=float)
        * np.asarray(share, dtype=float)
        * np.asarray(confidence, dtype=float),
        dtype=float,
    )


def effect_from_estimates(
    surveys: Any,
    kpi: str,
    *,
    participants: int,
    program: str | None = None,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen
) -> EffectInput:
    """An estimate-based effect on ``kpi`` (per person, in the KPI's unit) from a survey frame.

    ``surveys`` has the data-layout ``surveys/estimates.csv`` columns; ``participants`` is how many
    people took the program (respondents plus non-respondents).
    """
    df = as_pandas(surveys, "survey frame")
    missing = [c for c in SURVEY_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the survey frame has no column {', '.join(missing)}",
            where="surveys",
            hint="Pass the surveys/estimates.csv layout (docs/reference/data-layout.md).",
        )
    keep = df["kpi"].astype(str) == kpi
    if program is not None and "program_id" in df.columns:
        keep &= df["program_id"].astype(str) == program
    rows = df[keep]
    cols = {c: pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=float) for c in SURVEY_COLUMNS[2:]}
    _check(cols, rows.index.to_numpy())
    confidence = cols["confidence"] if rules.adjust_by_confidence else np.ones(len(rows))
    adjusted = phillips_adjust(cols["improvement"], cols["share_attributed"], confidence)
    per_subject = pd.Series(adjusted).groupby(rows["subject_id"].astype(str).to_numpy()).min().to_numpy()
    notes = [f"participants' estimates on {kpi}: {len(rows)} answers about {per_subject.size} people"]
    if rules.exclude_extremes and per_subject.size >= 4:
        q1, q3 = np.quantile(per_subject, [0.25, 0.75])
        extreme = per_subject > q3 + FAR_OUT * (q3 - q1)
        if extreme.any():
            per_subject = np.where(extreme, 0.0, per_subject)
            notes.append(
                f"{int(extreme.sum())} extreme claims above Q3 + 3 IQR counted as zero (principle 8)"
            )
    if per_subject.size > participants:
        raise DataError(
            f"{per_subject.size} people have estimates but participants = {participants}",
            where="surveys",
            hint="Pass participants = the number of people who took the program (at least the respondents).",
        )
    values = per_subject
    if rules.no_data_no_improvement:
        values = np.concatenate([per_subject, np.zeros(participants - per_subject.size)])
        notes.append(
            f"{participants - per_subject.size} non-respondents counted as no improvement (principle 6)"
        )
    if values.size == 0:
        raise DataError(
            f"no estimates on {kpi}",
            where="surveys",
            hint="Collect estimates, or keep the 'no data means no improvement' rule on (effect 0).",
        )
    se = float(np.std(values, ddof=1) / math.sqrt(values.size)) if values.size > 1 else 0.0
    return EffectInput(
        kpi=kpi,
        estimate=float(np.mean(values)),
        std_error=se,
        identified=False,
        reasons=("participants' and managers' estimates (least credible isolation method)",),
        source="estimates",
        n=int(values.size),
        method="phillips_estimates",
        notes=tuple(notes),
    )


def _check(cols: dict[str, NDArray[np.float64]], index: NDArray[Any]) -> None:
    for name, arr in cols.items():
        bad = ~np.isfinite(arr)
        if name != "improvement":
            bad |= (arr < 0) | (arr > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name} must be " + ("a number" if name == "improvement" else "a share between 0 and 1"),
                where=f"surveys row {int(index[i]) + 1} column {name}",
                hint="Fix or drop that answer; shares and confidence are fractions (0.3 = 30 %).",
            )
