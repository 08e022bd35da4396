"""The simulated company's calendar: 24 months, 2024-01 .. 2025-12, as day and month indices."""

from __future__ import annotations

import numpy as np

START = np.datetime64("2024-01-01", "D")
N_MONTHS = 24
MONTH_STARTS = np.arange("2024-01", "2026-01", dtype="datetime64[M]").astype("datetime64[D]")
MONTH_ENDS = (np.arange("2024-02", "2026-02", dtype="datetime64[M]").astype("datetime64[D]")) - 1
DAY0 = int(START.astype(np.int64))
"""2024-01-01 as days since 1970-01-01."""
LAST_DAY = int(MONTH_ENDS[-1].astype(np.int64))
EPOCH_DAY0 = -(10**6)
"""Anything below this day number means 'no date' (missing)."""
MONTH_START_DAYS = MONTH_STARTS.astype(np.int64)
MONTH_END_DAYS = MONTH_ENDS.astype(np.int64)
MONTH_OF_YEAR = np.arange(N_MONTHS) % 12 + 1


def day(text: str) -> int:
    """``YYYY-MM-DD`` -> days since 1970-01-01."""
    return int(np.datetime64(text, "D").astype(np.int64))


def month_index(days: np.ndarray) -> np.ndarray:
    """Days since 1970 -> month index (0 = 2024-01; negative before, >= 24 after)."""
    months = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - int(np.datetime64("2024-01", "M").astype(np.int64))
