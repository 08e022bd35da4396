"""Unit checks of the design chooser's contract: DesignInfo from a spec, the attribute --json shape
(contracts §1), forced designs, the estimates fallback, refusals as results (never tracebacks)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from learnroi.attribution import PANEL_COLUMNS, DesignInfo, attribute
from learnroi.core.errors import DataError, UsageError
from learnroi.core.program import parse_spec

SPEC = """
[program]
id = "sales"
name = "Selling"
audience = "reps"
design = "randomized"
primary_kpi = "revenue"
start = 2025-07-01
evaluation_window_months = 6

[pilot]
allocation = 0.4
cluster = "team_id"
"""


def panel(
    seed: int = 0, *, n: int = 400, months: int = 18, start: str = "2025-07-01", everyone: bool = False,
    pre: bool = True, arms: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """A small person x month panel: selection on tenure only, effect 3 after ``start``."""
    rng = np.random.default_rng(seed)
    per = pd.date_range(end=pd.Timestamp(start) + pd.DateOffset(months=5), periods=months, freq="MS")
    tenure = rng.integers(1, 100, n)
    trained = np.ones(n, bool) if everyone else rng.random(n) < 1 / (1 + np.exp(-(tenure - 50) / 25))
    arm = np.where(rng.random(n) < 0.5, "treatment", "control") if arms else np.full(n, None)
    if arms:
        trained = arm == "treatment"
    post = per >= pd.Timestamp(start)
    y = (
        50
        + 0.1 * tenure[:, None]
        + rng.normal(0, 1, months)[None, :]
        + 3.0 * (trained[:, None] & post[None, :])
    )
    y = y + rng.normal(0, 2, (n, months))
    f = pd.DataFrame({
        "employee_id": np.repeat([f"E{i}" for i in range(n)], months), "period": np.tile(per, n),
        "kpi": "revenue", "value": y.ravel(), "program_id": "sales", "arm": np.repeat(arm, months),
        "enrolled": np.repeat(trained, months), "completed": np.repeat(trained, months),
        "first_treated_period": np.repeat(np.where(trained, np.datetime64(start, "ns"), np.datetime64("NaT", "ns")), months),
        "wave": np.repeat(trained.astype(int), months), "cohort": pd.NaT,
        "department": np.repeat([f"D{i % 35}" for i in range(n)], months),
        "team_id": np.repeat([f"T{i % 50}" for i in range(n)], months),
        "role": np.repeat(np.where(tenure > 30, "senior", "rep"), months), "location": "NYC",
        "hire_date": pd.NaT, "tenure_months": np.repeat(tenure, months), "post": np.tile(post, n),
    })  # fmt: skip
    f["treated"] = f.first_treated_period.notna() & (f.period >= f.first_treated_period)
    f["baseline"] = f.value.where(~f.post).groupby(f.employee_id).transform("mean")
    if not pre:
        f = f[f.post].assign(baseline=np.nan)
    return f[list(PANEL_COLUMNS)].reset_index(drop=True)


def obs_info(**kw: object) -> DesignInfo:
    return DesignInfo("sales", "revenue", "observational", start=date(2025, 7, 1), **kw)  # type: ignore[arg-type]


def test_design_info_from_spec() -> None:
    info = DesignInfo.from_spec(parse_spec(SPEC))
    assert info.program_id == "sales"
    assert info.kpi == "revenue"
    assert info.design == "randomized"
    assert info.allocation == 0.4
    assert info.cluster == "team_id"
    assert info.start == date(2025, 7, 1)
    assert DesignInfo.from_spec(parse_spec(SPEC), kpi="deals", min_clusters=10).min_clusters == 10


def test_json_shape_follows_contracts() -> None:
    out = attribute(panel(arms=True), DesignInfo("sales", "revenue", "randomized", start=date(2025, 7, 1)))
    d = out.to_dict()
    for key in ("program", "kpi", "design", "estimand", "estimate", "std_error", "conf_low", "conf_high", "n",
                "identified", "reasons", "contrasts"):  # fmt: skip
        assert key in d
    assert d["design"] == "randomized"
    assert d["estimand"] == "ITT"
    assert out.result is not None
    assert out.result.extra["kpi"] == "revenue"  # read by learnroi.roi.effect
    assert abs(d["estimate"] - 3.0) < 4 * d["std_error"]
    assert {c["name"] for c in d["contrasts"]} == {
        "naive trained vs untrained",
        "naive before/after (trained)",
    }
    tidy = out.tidy()
    assert list(tidy.kind.unique()) == ["effect", "naive contrast"]
    assert "NOT IDENTIFIED" not in out.summary()


def test_observational_without_pre_period_uses_matching() -> None:
    out = attribute(panel(pre=False), obs_info())
    assert out.design == "matched"
    assert out.identified, out.reasons
    assert abs(out.estimate - 3.0) < 4 * out.std_error  # type: ignore[operator]
    used = [c for c in out.candidates if c.used]
    assert [c.design for c in used] == ["matched"]


def test_no_comparison_group_falls_back_to_its() -> None:
    out = attribute(panel(everyone=True), obs_info())
    assert out.design == "its"
    assert out.identified, out.reasons
    assert "no_comparison_group" in {d.name for d in out.result.diagnostics}  # type: ignore[union-attr]
    short = attribute(panel(everyone=True, months=9), obs_info())
    assert not short.identified
    assert any("too few periods" in r for r in short.reasons)


def test_estimates_are_a_labelled_fallback_or_forced() -> None:
    survey = pd.DataFrame({"program_id": "sales", "respondent_role": "participant", "kpi": "revenue",
                           "improvement": [10.0, 20.0], "share_attributed": 0.5, "confidence": 0.9})  # fmt: skip
    auto = attribute(panel(), obs_info(), estimates=survey)
    assert auto.design == "did"
    assert auto.fallback is not None
    assert auto.fallback.extra["credibility"] == "least"
    forced = attribute(panel(), obs_info(), design="estimates", estimates=survey)
    assert forced.design == "estimates"
    assert forced.identified
    none = attribute(panel(), obs_info(), design="estimates")
    assert not none.identified
    assert none.fixes


def test_bad_inputs_raise_project_errors() -> None:
    with pytest.raises(UsageError, match="Hint:"):
        attribute(panel(), obs_info(), design="magic")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="KPI"):
        attribute(panel(), DesignInfo("sales", "errors", "observational"))
    with pytest.raises(DataError, match="columns"):
        attribute(panel().drop(columns=["value"]), obs_info())


def test_input_panel_is_not_mutated() -> None:
    p = panel(arms=True)
    before = p.copy()
    attribute(p, DesignInfo("sales", "revenue", "randomized", start=date(2025, 7, 1)))
    pd.testing.assert_frame_equal(p, before)


def test_a_design_that_cannot_run_is_a_refusal_not_a_traceback() -> None:
    info = DesignInfo("sales", "revenue", "randomized", start=date(2025, 7, 1), cluster="squad")
    out = attribute(panel(arms=True), info)
    assert not out.identified
    assert any("squad" in r for r in out.reasons)
    assert out.fixes
    no_arms = attribute(panel(), DesignInfo("sales", "revenue", "randomized", start=date(2025, 7, 1)))
    assert not no_arms.identified
    assert any("assignments" in f for f in no_arms.fixes)
