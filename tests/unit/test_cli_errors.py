"""The CLI's error printer shows the user's text literally (brackets are not rich markup)."""

from __future__ import annotations

import pytest

from learnroi.cli.common import report_error
from learnroi.core.errors import DataError


def test_bracketed_column_names_survive_in_error_messages(capsys: pytest.CaptureFixture[str]) -> None:
    err = DataError(
        "timestamp [completed_at] in Welcome video is not a date",
        where="lms/events.csv row 3",
        hint="Fix the [completed_at] column or map it with --mapping.",
    )
    code = report_error(err)
    out = capsys.readouterr().err
    assert code == 1
    assert "timestamp [completed_at] in Welcome video" in out
    assert "Error:" in out
    assert "Hint: Fix the [completed_at] column" in out
