"""One error base for the whole project.

Every error says what is wrong, where (file, row, column or spec line) and ends with a
``Hint:`` that tells the user what to do next. The CLI catches :class:`LearnroiError` only;
anything else is a bug and is logged, never shown as a traceback.
"""

from __future__ import annotations


class LearnroiError(Exception):
    """Base of every error learnroi raises on purpose.

    ``where`` locates the problem (``"hris.csv row 12 column hire_date"``, ``"program.toml line 7"``);
    ``hint`` says how to fix it. ``exit_code`` is what the CLI exits with (1 data/spec/environment,
    2 usage).
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str, where: str | None = None) -> None:
        self.message = message
        self.hint = hint
        self.where = where
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\nHint: {self.hint}"


class DataError(LearnroiError):
    """A problem with the user's input data (a file, a row, a column)."""


class SpecError(LearnroiError):
    """A problem with a program spec, a mapping or another configuration file."""


class EnvironmentProblem(LearnroiError):
    """A missing tool, an unreadable store, a missing key: something about the machine."""


class UsageError(LearnroiError):
    """The command was called the wrong way."""

    exit_code = 2


class NotIdentified(LearnroiError):
    """The data do not support a causal claim; ``reasons`` say why and the hint says what would fix it."""

    def __init__(
        self, message: str, *, hint: str, reasons: list[str] | None = None, where: str | None = None
    ) -> None:
        self.reasons = list(reasons or [])
        super().__init__(message, hint=hint, where=where)
