"""Estimate-based effect for the ROI: participants' or managers' estimates of the improvement, the share
due to the program and their confidence, adjusted for error — the least credible basis, always labelled.

The Phillips rules themselves (lowest adjusted claim per person, non-respondents zero, extreme claims
above Tukey's far-out fence Q3 + 3 IQR counted zero) live in one place,
:func:`learnroi.attribution.estimates.phillips_claims`; this module reads the survey frame, refuses
malformed answers by row (rather than silently counting them zero), maps :class:`PhillipsRules` onto
that function and wraps the result as an :class:`EffectInput`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from learnroi.attribution.estimates import phillips_adjust, phillips_claims
from learnroi.core.errors import DataError
from learnroi.roi.costs import as_pandas
from learnroi.roi.effect import EffectInput
from learnroi.roi.rules import PhillipsRules

__all__ = ["SURVEY_COLUMNS", "effect_from_estimates", "phillips_adjust"]

SURVEY_COLUMNS = ("subject_id", "kpi", "improvement", "share_attributed", "confidence")


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
    pc = phillips_claims(
        cols["improvement"],
        cols["share_attributed"],
        cols["confidence"],
        subject=rows["subject_id"].astype(str).to_numpy(),
        n_participants=participants,
        adjust_by_confidence=rules.adjust_by_confidence,
        exclude_extremes=rules.exclude_extremes,
        count_non_respondents=rules.no_data_no_improvement,
    )
    notes = [f"participants' estimates on {kpi}: {pc.n_answers} answers about {pc.n_people} people"]
    if pc.n_extreme:
        notes.append(f"{pc.n_extreme} extreme claims above Q3 + 3 IQR counted as zero (principle 8)")
    if rules.no_data_no_improvement:
        notes.append(f"{pc.n_non_respondents} non-respondents counted as no improvement (principle 6)")
    values = pc.claims
    if values.size == 0:
        raise DataError(
            f"no estimates on {kpi}",
            where="surveys",
            hint="Collect estimates, or keep the 'no data means no improvement' rule on (effect 0).",
        )
    return EffectInput(
        kpi=kpi,
        estimate=pc.mean,
        std_error=pc.se if values.size > 1 else 0.0,
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
