"""The recommended actions are a pure function of the result with documented rules.

What it would catch: recommending "scale" while the ROI range still reaches below zero or on an effect
that was not identified, or a second action that ignores the weakest driver.
"""

from __future__ import annotations

import pytest

from learnroi.report.actions import Driver, completion_rate, design_sentence, recommend_actions
from learnroi.report.data import RoiFigures
from learnroi.report.tables import to_table


def _roi(p: float, low: float, roi: float = 50.0) -> RoiFigures:
    return RoiFigures("attributed", 150.0, 100.0, 50.0, roi, low, 120.0, p, 1.5, 8.0, 50.0, 1.0)


def _drivers(rate: float | None = 0.8, gain: float | None = 5.0) -> tuple[Driver, ...]:
    return (
        Driver("engagement", rate, ""),
        Driver("competency gain", gain, ""),
        Driver("cost", 300.0, "Cost: $300"),
    )


@pytest.mark.parametrize(
    ("p", "low", "identified", "first"),
    [
        (0.95, 10.0, True, "scale"),
        (0.95, -5.0, True, "iterate"),  # probable, but the range still reaches below zero
        (0.7, -30.0, True, "iterate"),
        (0.3, -80.0, True, "stop"),
        (0.99, 50.0, False, "iterate"),  # never scale an unidentified effect
    ],
)
def test_first_action_follows_the_rules(p: float, low: float, identified: bool, first: str) -> None:
    a = recommend_actions(_roi(p, low), identified, _drivers())
    assert a[0].verb == first
    assert len(a) == 2


@pytest.mark.parametrize(
    ("rate", "gain", "needle"),
    [(0.4, 5.0, "completion"), (0.9, -1.0, "content"), (0.9, 5.0, "cost")],
)
def test_second_action_works_on_the_weakest_driver(rate: float, gain: float, needle: str) -> None:
    a = recommend_actions(_roi(0.95, 10.0), True, _drivers(rate, gain))
    assert a[1].verb == "iterate"
    assert needle in a[1].text


def test_unidentified_with_a_losing_forecast_says_stop() -> None:
    a = recommend_actions(_roi(0.2, -90.0), False, _drivers())
    assert [x.verb for x in a] == ["iterate", "stop"]


def test_design_sentence_and_completion() -> None:
    assert design_sentence("randomized", 412, 6, True) == "Randomized pilot, 412 people, 6 months."
    # a time series counts months, not people
    assert (
        design_sentence("its", 48, 21, True)
        == "Interrupted time series, 48 months of data, 21 after the start."
    )
    assert "not identified" in design_sentence("did", 10, 6, False)
    funnel = to_table([{"stage": "enrolled", "n": 200}, {"stage": "completed", "n": 150}])
    assert completion_rate(funnel) == pytest.approx(0.75)
    assert (
        completion_rate(to_table([{"stage": "enrolled", "n": 200}, {"stage": "completed", "n": None}]))
        is None
    )


def test_competency_driver_falls_back_to_the_quiz_when_there_is_no_pre_test() -> None:
    from learnroi.report.actions import drivers

    funnel = to_table([{"stage": "enrolled", "n": 200}, {"stage": "completed", "n": 150}])
    quiz = to_table([{"group": "all learners", "quiz_score_mean": 0.841, "n": 150}])
    d = {x.name: x for x in drivers(funnel, quiz, 3000.0, 150, "USD")}
    assert d["competency gain"].value is None  # no gain without a pre-test: nothing to rank the driver on
    assert d["competency gain"].text == "Competency gain: no pre-test; post-course quiz mean 84.1 / 100"
    none = {x.name: x for x in drivers(funnel, to_table([]), 3000.0, 150, "USD")}
    assert none["competency gain"].text == "Competency gain: no assessment data"
