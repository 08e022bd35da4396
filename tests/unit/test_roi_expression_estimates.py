"""The custom-expression evaluator never runs code (ast only) and the estimate-based effect follows the
Phillips rules: share x confidence, lowest claim per person, non-respondents zero, extremes excluded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from learnroi.core.errors import DataError
from learnroi.core.expression import parse_expression
from learnroi.roi import PhillipsRules, effect_from_estimates
from learnroi.roi.expression import evaluate


def test_arithmetic_over_named_arrays() -> None:
    out = evaluate(
        "max(gain, 0) * price - sqrt(fee) + 2 ** 3 / 4",
        {"gain": np.array([-1.0, 2.0]), "price": 10.0, "fee": 9.0},
    )
    np.testing.assert_allclose(out, [0 - 3 + 2, 20 - 3 + 2])


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('true')",
        "gain.__class__",
        "[gain for gain in price]",
        "gain if price else 0",
        "open('x')",
        "'text' * 3",
        "lambda: 1",
        "price[0]",
        "gain < price",
        "min(gain, key=price)",
    ],
)
def test_anything_but_arithmetic_is_refused(expr: str) -> None:
    with pytest.raises(ValueError, match="expression"):
        parse_expression(expr)


def test_names_are_reported() -> None:
    _, names = parse_expression("max(gain, 0) * price * exp(-rate)")
    assert names == {"gain", "price", "rate"}


SURVEY = pd.DataFrame(
    {
        "program_id": ["p"] * 7 + ["q"],
        "respondent_id": ["R1", "M1", "R2", "R3", "R4", "R5", "R6", "R9"],
        "subject_id": ["E1", "E1", "E2", "E3", "E4", "E5", "E6", "E9"],
        "kpi": ["k"] * 8,
        "improvement": [100.0, 50.0, 100.0, 100.0, 100.0, 100.0, 100_000.0, 5.0],
        "share_attributed": [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1.0],
        "confidence": [0.8, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8, 1.0],
    }
)


def test_estimate_based_effect_rules() -> None:
    eff = effect_from_estimates(SURVEY, "k", participants=10, program="p")
    # E1: min(100 x .5 x .8, 50 x .5 x 1) = 25; E2..E5: 40; E6 is an extreme claim (counted 0); 4 non-respondents 0
    claims = np.array([25.0, 40, 40, 40, 40, 0, 0, 0, 0, 0])
    assert eff.estimate == pytest.approx(claims.mean())
    assert eff.std_error == pytest.approx(claims.std(ddof=1) / np.sqrt(10))
    assert (eff.source, eff.identified, eff.n) == ("estimates", False, 10)
    assert any("extreme" in n for n in eff.notes)
    assert any("4 non-respondents" in n for n in eff.notes)
    loose = effect_from_estimates(
        SURVEY,
        "k",
        participants=10,
        program="p",
        rules=PhillipsRules(exclude_extremes=False, no_data_no_improvement=False),
    )
    assert loose.estimate == pytest.approx(np.mean([25.0, 40, 40, 40, 40, 40_000.0]))


def test_bad_survey_rows_are_named() -> None:
    bad = SURVEY.assign(share_attributed=[0.5, 0.5, 30.0, 0.5, 0.5, 0.5, 0.5, 1.0])
    with pytest.raises(DataError, match="share") as info:
        effect_from_estimates(bad, "k", participants=10, program="p")
    assert info.value.where == "surveys row 3 column share_attributed"
    with pytest.raises(DataError, match="participants"):
        effect_from_estimates(SURVEY, "k", participants=2, program="p")
