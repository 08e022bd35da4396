"""The layering of src/learnroi (STYLE.md) holds: import-linter contracts in pyproject.toml all pass."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300, check=False, env=env
    )


def test_import_linter_contracts_hold() -> None:
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def test_a_layer_violation_is_caught(tmp_path: Path) -> None:
    """On a copy of the tree, a core module importing the report layer breaks the contract."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    probe = tmp_path / "src" / "learnroi" / "core" / "_layer_probe.py"
    probe.write_text("from learnroi.report import __doc__ as _d  # deliberate violation\n", encoding="utf-8")
    proc = _lint(tmp_path)
    assert proc.returncode != 0
    assert "learnroi.core._layer_probe" in proc.stdout
