"""The core layer: errors, option types, settings and the program spec. Imports nothing else of learnroi."""

from __future__ import annotations

from learnroi.core.errors import (
    DataError,
    EnvironmentProblem,
    LearnroiError,
    NotIdentified,
    SpecError,
    UsageError,
)

__all__ = ["DataError", "EnvironmentProblem", "LearnroiError", "NotIdentified", "SpecError", "UsageError"]
