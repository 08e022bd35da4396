"""Shared fixtures: system-tool gating (skip locally, fail under CI=true) and temporary stores."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_tool(name: str, why: str) -> str:
    """Return the path of a system tool, or skip (fail under CI=true) with a message saying how to get it."""
    found = shutil.which(name)
    if found:
        return found
    msg = f"{name} is not installed ({why}); `bash scripts/test.sh` installs it when run as root"
    if IN_CI:
        pytest.fail(f"CI=true and {msg}")
    pytest.skip(msg)


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """A path for a fresh DuckDB store file."""
    return tmp_path / "learnroi.duckdb"
