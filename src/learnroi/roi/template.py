"""The commented example program spec that ``learnroi init`` writes (package data ``templates/program.toml``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from learnroi.core.errors import UsageError

TEMPLATE = "program.toml"


def template_text() -> str:
    """The example spec: the synthetic company's ``sales-skills`` program, every key commented."""
    return resources.files("learnroi.roi").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")


def init_spec(path: Path = Path("program.toml"), *, force: bool = False) -> Path:
    """Write the example spec to ``path``; refuse to overwrite an existing file unless ``force``."""
    if path.is_dir():
        path = path / TEMPLATE
    if path.exists() and not force:
        raise UsageError(
            f"{path} already exists",
            hint="Pass --force to overwrite it, or give another path: learnroi init other.toml",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(template_text(), encoding="utf-8")
    return path
