"""Properties of correlated assumptions (Hypothesis): the inverse CDFs are scipy's quantile functions and
stay in [low, high]; a set of correlations is accepted exactly when its matrix is positive definite (checked
here with numpy's Cholesky), and the value the refusal's hint suggests is accepted; copula draws stay in
every assumption's range."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from learnroi.core.correlation import PD_MARGIN, pair_to_lower
from learnroi.core.program import Assumption, ProgramSpec
from learnroi.roi.uncertainty import inverse_cdf, sample_correlated

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
rhos = st.floats(min_value=-0.99, max_value=0.99, allow_nan=False)
NAMES = ("a", "b", "c")


@st.composite
def assumptions(draw: Any) -> Assumption:
    lo = draw(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
    width = draw(st.floats(min_value=1e-3, max_value=1e3, allow_nan=False))
    at = draw(st.floats(min_value=0.0, max_value=1.0))
    kind = draw(st.sampled_from(["triangular", "uniform"]))
    return Assumption(value=lo + at * width, low=lo, high=lo + width, source="t", distribution=kind)


@SETTINGS
@given(a=assumptions())
def test_inverse_cdf_is_the_quantile_function(a: Assumption) -> None:
    assert a.low is not None
    assert a.high is not None
    u = np.linspace(0.0, 1.0, 201)
    x = inverse_cdf(a, u)
    assert np.all(np.diff(x) >= -1e-9 * (a.high - a.low))
    assert x[0] == pytest.approx(a.low)
    assert x[-1] == pytest.approx(a.high)
    width = a.high - a.low
    ref = (
        stats.uniform(loc=a.low, scale=width)
        if a.distribution == "uniform"
        else stats.triang(c=(a.value - a.low) / width, loc=a.low, scale=width)
    )
    np.testing.assert_allclose(x, ref.ppf(u), rtol=1e-9, atol=1e-9 * (abs(a.low) + width))


def _spec(r_ab: float, r_bc: float, r_ac: float) -> dict[str, Any]:
    return {
        "program": {"id": "p", "name": "P", "audience": "x", "design": "randomized", "primary_kpi": "k"},
        "assumptions": {n: {"value": 1.0, "low": 0.0, "high": 2.0, "source": "t"} for n in NAMES},
        "correlations": [
            {"a": "a", "b": "b", "rho": r_ab, "source": "t"},
            {"a": "b", "b": "c", "rho": r_bc, "source": "t"},
            {"a": "a", "b": "c", "rho": r_ac, "source": "t"},
        ],
    }


@SETTINGS
@given(r=st.tuples(rhos, rhos, rhos))
def test_accepted_exactly_when_positive_definite(r: tuple[float, float, float]) -> None:
    m = np.array([[1, r[0], r[2]], [r[0], 1, r[1]], [r[2], r[1], 1]])
    smallest = float(np.linalg.eigvalsh(m)[0])
    if abs(smallest - PD_MARGIN) < 1e-9:
        return  # on the boundary the two answers may differ by rounding
    if smallest < PD_MARGIN:
        with pytest.raises(ValueError, match="not positive definite"):
            ProgramSpec.model_validate(_spec(*r))
        return
    spec = ProgramSpec.model_validate(_spec(*r))
    np.linalg.cholesky(m)  # usable by the copula
    draws = sample_correlated(
        {n: Assumption(value=1.0, low=0.0, high=2.0, source="t") for n in NAMES},
        spec.correlations,
        np.random.default_rng(0),
        500,
    )
    assert all(v.min() >= 0.0 and v.max() <= 2.0 for v in draws.values())


@SETTINGS
@given(r=st.tuples(rhos, rhos, rhos))
def test_the_suggested_rho_is_accepted(r: tuple[float, float, float]) -> None:
    pairs = [("a", "b", r[0]), ("b", "c", r[1]), ("a", "c", r[2])]
    m = np.array([[1, r[0], r[2]], [r[0], 1, r[1]], [r[2], r[1], 1]])
    if float(np.linalg.eigvalsh(m)[0]) > PD_MARGIN:
        return
    i, keep = pair_to_lower(pairs)
    if keep is None:
        return
    assert abs(keep) < abs(pairs[i][2])
    fixed = [keep if j == i else x for j, x in enumerate(r)]
    spec = ProgramSpec.model_validate(_spec(*fixed))
    assert [c.rho for c in spec.correlations] == fixed
