"""Run-time settings read from the environment, with the documented defaults (docs/reference/cli.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = Path("learnroi.duckdb")
WEEKS_PER_MONTH = 52 / 12
"""Weeks per month (contracts §3): three weeks saved at $10,000 a month is $6,923.08 per hire."""
DEFAULT_HOURS_PER_YEAR = 2080.0
DEFAULT_MIN_CELL = 5
"""Small-cell suppression: no aggregate over fewer people than this is shown."""


@dataclass(frozen=True)
class Settings:
    """Settings that are not per-program: the store, suppression and the pseudonym key location."""

    db: Path = DEFAULT_DB
    min_cell: int = DEFAULT_MIN_CELL
    pseudonym_key_env: str = "LEARNROI_PSEUDONYM_KEY"

    @classmethod
    def from_env(cls, db: Path | None = None) -> Settings:
        env_db = os.environ.get("LEARNROI_DB")
        chosen = db if db is not None else Path(env_db) if env_db else DEFAULT_DB
        min_cell = int(os.environ.get("LEARNROI_MIN_CELL", DEFAULT_MIN_CELL))
        return cls(db=chosen, min_cell=min_cell)


def config_dir() -> Path:
    """The user's learnroi config folder (``$XDG_CONFIG_HOME/learnroi`` or ``~/.config/learnroi``)."""
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "learnroi"
