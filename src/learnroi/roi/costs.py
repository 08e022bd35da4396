"""Fully loaded costs (Phillips principle 10) from a cost ledger frame, the spec's cost lines and
participants' time.

Cost = ledger lines of the program + spec ``[[costs]]`` lines (a line with ``prorate_over_users`` counts
``amount x N / prorate_over_users``, capped at ``amount``) + participants' time (hours x loaded hourly rate).
Frames may be pandas, polars or Arrow; roi never reads the store (the caller hands it the frames).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from learnroi.core.errors import DataError, SpecError
from learnroi.core.options import CostCategory, choices
from learnroi.core.program import ProgramSpec

Array = NDArray[np.float64]
CATEGORIES: tuple[str, ...] = choices(CostCategory)
LEDGER_COLUMNS = ("category", "amount")
TIME_COLUMNS = ("employee_id", "hours", "hourly_rate")


def as_pandas(frame: Any, what: str) -> pd.DataFrame:
    """A pandas view of a pandas, polars or Arrow frame (the caller's frame is never modified)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    to_pandas = getattr(frame, "to_pandas", None)
    if callable(to_pandas):
        out = to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    raise DataError(
        f"the {what} must be a pandas, polars or Arrow table; got {type(frame).__name__}",
        hint="Pass a DataFrame (pandas.read_csv, polars.read_csv or a pyarrow Table).",
    )


@dataclass(frozen=True)
class CostModel:
    """Costs that do not depend on reach (``fixed``, by category) and prorated lines that do."""

    fixed: tuple[tuple[str, float], ...]
    prorated: tuple[tuple[str, float, int], ...]
    learners: int | None
    """Distinct participants in the participant-time frame (for cost per learner), if given."""
    notes: tuple[str, ...] = ()

    def total(self, people: Array) -> Array:
        """Fully loaded cost for N = ``people`` (one value per draw)."""
        base = sum(a for _, a in self.fixed)
        out = np.full(np.shape(people), float(base))
        for _, amount, users in self.prorated:
            out = out + np.minimum(amount * people / users, amount)
        return out

    def by_category(self, people: float) -> dict[str, float]:
        """The cost breakdown at N = ``people``, in the order of :data:`CATEGORIES`."""
        acc = dict.fromkeys(CATEGORIES, 0.0)
        for cat, amount in self.fixed:
            acc[cat] += amount
        for cat, amount, users in self.prorated:
            acc[cat] += min(amount * people / users, amount)
        return {k: v for k, v in acc.items() if v != 0.0}


def cost_model(
    spec: ProgramSpec, ledger: Any | None = None, participant_time: Any | None = None
) -> CostModel:
    """Collect the program's cost lines from the ledger, the spec and participants' time."""
    fixed: list[tuple[str, float]] = []
    notes: list[str] = []
    if ledger is not None:
        fixed += _ledger_lines(as_pandas(ledger, "cost ledger"), spec, notes)
    prorated: list[tuple[str, float, int]] = []
    for line in spec.costs:
        if line.prorate_over_users:
            prorated.append((line.category, float(line.amount), int(line.prorate_over_users)))
        else:
            fixed.append((line.category, float(line.amount)))
    learners = None
    if participant_time is not None:
        amount, learners = _participant_time(as_pandas(participant_time, "participant-time frame"))
        fixed.append(("participant_time", amount))
        notes.append(f"participants' time: {learners} learners, {amount:,.2f} at their loaded hourly rates")
    return CostModel(fixed=tuple(fixed), prorated=tuple(prorated), learners=learners, notes=tuple(notes))


def _ledger_lines(df: pd.DataFrame, spec: ProgramSpec, notes: list[str]) -> list[tuple[str, float]]:
    missing = [c for c in LEDGER_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the cost ledger has no column {', '.join(missing)}",
            where="cost ledger",
            hint="Pass the costs/ledger.csv layout (docs/reference/data-layout.md): "
            "program_id, line_id, date, category, description, amount, currency, modality.",
        )
    if "program_id" in df.columns:
        df = df[df["program_id"].astype(str) == spec.id]
    if df.empty:
        notes.append(f"the cost ledger has no lines for program {spec.id!r}")
        return []
    cats = df["category"].astype(str).str.strip()
    bad = ~cats.isin(CATEGORIES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"unknown cost category {cats.iloc[row]!r}",
            where=f"cost ledger row {row + 1} column category",
            hint="Use one of: " + ", ".join(CATEGORIES) + ".",
        )
    amount = pd.to_numeric(df["amount"], errors="coerce")
    nan = amount.isna().to_numpy()
    if nan.any():
        row = int(np.flatnonzero(nan)[0])
        raise DataError(
            f"cost amount {df['amount'].iloc[row]!r} is not a number",
            where=f"cost ledger row {row + 1} column amount",
            hint="Write amounts as plain numbers in the program's currency (no symbols or thousands separators).",
        )
    if "currency" in df.columns:
        cur = df["currency"].dropna().astype(str).str.strip()
        other = sorted(set(cur[cur != ""]) - {spec.program.currency})
        if other:
            raise SpecError(
                f"the cost ledger has amounts in {', '.join(other)}, the program is in {spec.program.currency}",
                where="cost ledger column currency",
                hint="Convert the ledger to the program's currency, or set [program] currency to match.",
            )
    sums = amount.groupby(cats.to_numpy()).sum()
    notes.append(f"cost ledger: {len(df)} lines for program {spec.id!r}")
    return [(str(cat), float(v)) for cat, v in sums.items()]


def _participant_time(df: pd.DataFrame) -> tuple[float, int]:
    missing = [c for c in TIME_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the participant-time frame has no column {', '.join(missing)}",
            where="participant time",
            hint="Pass one row per learner: employee_id, hours (LMS duration / 3600) and hourly_rate "
            "(HRIS loaded_salary / standard_hours).",
        )
    hours = pd.to_numeric(df["hours"], errors="coerce").to_numpy(dtype=float)
    rate = pd.to_numeric(df["hourly_rate"], errors="coerce").to_numpy(dtype=float)
    for name, arr in (("hours", hours), ("hourly_rate", rate)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"{name} is missing or negative for employee {df['employee_id'].iloc[row]!r}",
                where=f"participant time row {row + 1} column {name}",
                hint="Every learner needs LMS hours and an HRIS loaded salary; fix the HRIS record or "
                "drop learners who are not in the HRIS (and say so).",
            )
    return float(np.sum(hours * rate)), int(df["employee_id"].nunique())
