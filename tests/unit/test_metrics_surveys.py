"""Level 1 and Level 3 survey summaries through the real store, against hand-computed means and t intervals.

Program ``p1``: 20 invited to the reaction survey, 10 answer (satisfaction 5,4,4,3,5,2,4,5,3,4: mean 3.9, 7 of
10 favourable; relevance from 4 people only: suppressed; intent 3 for all: zero spread). Program ``p2``: 3 of 8
answer: suppressed, response count hidden too. Application (``p1``, 12 invited per wave): 10 subjects rated at 30
days (E01 by the manager, 5, and by themself, 1: counted once, as 3), 6 at 60, 4 at 90 (suppressed).

Would catch: a response rate over respondents instead of invitations, a subject with two raters counted twice,
a normal instead of a t interval, a small cell shown, the non-response caveat missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from learnroi.core.errors import UsageError
from learnroi.metrics import application_summary, connect, reaction_summary
from learnroi.pipeline.inmemory import store_from_tables

SAT = [5.0, 4.0, 4.0, 3.0, 5.0, 2.0, 4.0, 5.0, 3.0, 4.0]
WAVE30 = [3.0, 4.0, 4.0, 5.0, 2.0, 4.0, 3.0, 5.0, 4.0, 4.0]  # E01's 3 = mean of manager 5 and self 1


def _t_interval(x: list[float]) -> tuple[float, float, float]:
    a = np.asarray(x)
    m, se = a.mean(), a.std(ddof=1) / np.sqrt(len(a))
    q = stats.t.ppf(0.975, len(a) - 1)
    return m, m - q * se, m + q * se


def _tables() -> dict[str, pa.Table]:
    emp = pd.DataFrame({"employee_id": [f"E{i:02d}" for i in range(1, 31)],
                        "email": [f"e{i:02d}@x.example" for i in range(1, 31)], "hire_date": "2023-01-01"})  # fmt: skip
    react = [{"program_id": "p1", "respondent_id": f"E{i:02d}", "response_date": "2025-03-01",
              "satisfaction": SAT[i - 1], "relevance": 4.0 if i <= 4 else None, "intent_to_apply": 3.0}
             for i in range(1, 11)]  # fmt: skip
    react += [{"program_id": "p2", "respondent_id": f"E{i:02d}", "satisfaction": 5.0} for i in (21, 22, 23)]
    inv = [{"program_id": "p1", "survey": "reaction", "employee_id": f"E{i:02d}", "invited_date": "2025-02-20"}
           for i in range(1, 21)]  # fmt: skip
    inv += [{"program_id": "p2", "survey": "reaction", "employee_id": f"E{i:02d}", "invited_date": "2025-02-20"}
            for i in range(21, 29)]  # fmt: skip
    app = []
    for days, n in ((30, 10), (60, 6), (90, 4)):
        inv += [{"program_id": "p1", "survey": "application", "employee_id": f"E{i:02d}", "days_after": days,
                 "invited_date": "2025-04-01"} for i in range(1, 13)]  # fmt: skip
        for i in range(1, n + 1):
            score = (5.0 if i == 1 else WAVE30[i - 1]) if days == 30 else 4.0
            app.append({"program_id": "p1", "subject_id": f"E{i:02d}", "rater_id": "E30", "rater_role": "manager",
                        "days_after": days, "behaviour_score": score})  # fmt: skip
    app.append({"program_id": "p1", "subject_id": "E01", "rater_id": "E01", "rater_role": "self",
                "days_after": 30, "behaviour_score": 1.0})  # fmt: skip

    def arrow(rows: Any) -> pa.Table:
        return pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)

    return {"hris/employees.csv": arrow(emp), "surveys/reaction.csv": arrow(react),
            "surveys/application.csv": arrow(app), "surveys/invitations.csv": arrow(inv)}  # fmt: skip


@pytest.fixture(scope="module")
def backend() -> Iterator[Any]:
    with store_from_tables(_tables()) as store:
        yield connect(store.con)


def test_reaction_summary(backend: Any) -> None:
    r = reaction_summary(backend, min_cell=5)
    t = r.table.set_index(["program_id", "item"])
    sat = t.loc[("p1", "satisfaction")]
    _, lo, hi = _t_interval(SAT)
    assert (sat["invited"], sat["responded"], sat["n"]) == (20, 10, 10)
    assert sat["response_rate"] == pytest.approx(0.5)
    assert sat["mean"] == pytest.approx(3.9)
    assert (sat["conf_low"], sat["conf_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert sat["share_favourable"] == pytest.approx(0.7)
    rel = t.loc[("p1", "relevance")]
    assert rel["suppressed"]
    assert np.isnan(rel["mean"])
    assert rel["responded"] == 10
    intent = t.loc[("p1", "intent_to_apply")]
    assert (intent["mean"], intent["conf_low"], intent["share_favourable"]) == (3.0, 3.0, 0.0)
    p2 = t.loc[("p2", "satisfaction")]
    assert p2["suppressed"]
    assert pd.isna(p2["responded"])
    assert np.isnan(p2["response_rate"])
    assert p2["invited"] == 8
    text = r.summary()
    assert "Respondents may differ from non-respondents" in text
    assert "response rate 50%" in text
    assert json.loads(json.dumps(r.to_dict()))["note"] == r.note
    assert list(reaction_summary(backend, "p2").table["program_id"].unique()) == ["p2"]


def test_application_summary_by_days_after(backend: Any) -> None:
    a = application_summary(backend, "p1", min_cell=5)
    t = a.table.set_index("days_after")
    assert list(t.index) == [30, 60, 90]
    mean, lo, hi = _t_interval(WAVE30)
    w30 = t.loc[30]
    assert (w30["invited"], w30["responded"], w30["n"]) == (12, 10, 10)
    assert w30["response_rate"] == pytest.approx(10 / 12)
    assert w30["mean"] == pytest.approx(mean)
    assert (w30["conf_low"], w30["conf_high"]) == (pytest.approx(lo), pytest.approx(hi))
    assert w30["share_favourable"] == pytest.approx(0.7)
    assert t.loc[60, "response_rate"] == pytest.approx(0.5)
    assert t.loc[90, "suppressed"]
    assert np.isnan(t.loc[90, "mean"])
    managers = application_summary(backend, "p1", rater_role="manager").table.set_index("days_after")
    assert managers.loc[30, "mean"] == pytest.approx((5.0 + sum(WAVE30[1:])) / 10)
    assert set(a.tidy()["term"]) == {"behaviour_score@30d", "behaviour_score@60d", "behaviour_score@90d"}
    with pytest.raises(UsageError):
        application_summary(backend, min_cell=0)
    assert application_summary(backend, "nope").table.empty
    assert reaction_summary(backend, "nope").table.empty
