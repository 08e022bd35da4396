"""Correlated assumptions (``[[correlations]]``, a Gaussian copula): every marginal is unchanged, the draws'
Spearman correlation is the copula's 6/pi asin(rho/2) (Kruskal 1958), a positive correlation between two
benefit drivers widens the ROI interval and a negative one narrows it, no correlations reproduce the
independent draws bit for bit, and bad correlations are refused on their spec line with a hint."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from scipy import stats

from learnroi.core.errors import SpecError
from learnroi.core.program import Assumption, Correlation, ProgramSpec, parse_spec
from learnroi.roi import EffectInput, compute_roi, template_text
from learnroi.roi.uncertainty import inverse_cdf, sample_correlated, sample_values

TRI = Assumption(value=0.8, low=0.5, high=0.95, source="t")  # skewed triangular
UNI = Assumption(value=10.0, low=4.0, high=30.0, source="t", distribution="uniform")
WIDE = Assumption(value=400, low=100, high=500, source="t")
TABLE = {"adoption": TRI, "fixed": Assumption(value=3.0, source="t"), "half_life": UNI, "reach": WIDE}


def _corr(a: str, b: str, rho: float) -> Correlation:
    return Correlation(a=a, b=b, rho=rho, source="t")


def _scipy(a: Assumption) -> Any:
    """The assumption's distribution as scipy defines it (the reference for the marginals)."""
    lo, hi = float(a.low or 0.0), float(a.high or 0.0)
    if a.distribution == "uniform":
        return stats.uniform(loc=lo, scale=hi - lo)
    return stats.triang(c=(a.value - lo) / (hi - lo), loc=lo, scale=hi - lo)


@pytest.mark.parametrize("name", ["adoption", "half_life", "reach"])
def test_inverse_cdf_is_scipys_quantile_function(name: str) -> None:
    u = np.linspace(0.0, 1.0, 1001)
    np.testing.assert_allclose(
        inverse_cdf(TABLE[name], u), _scipy(TABLE[name]).ppf(u), rtol=1e-12, atol=1e-12
    )


def test_marginals_are_unchanged() -> None:
    """KS at n = 50,000 (seeded): each correlated marginal against the independent draws and the exact CDF."""
    n = 50_000
    pairs = [_corr("adoption", "half_life", 0.8), _corr("reach", "adoption", -0.5)]
    joint = sample_correlated(TABLE, pairs, np.random.default_rng(1), n)
    indep = sample_values(TABLE, np.random.default_rng(2), n)
    assert list(joint) == list(TABLE)
    np.testing.assert_array_equal(joint["fixed"], np.full(n, 3.0))
    for name in ("adoption", "half_life", "reach"):
        assert stats.ks_2samp(joint[name], indep[name]).pvalue > 0.01, name
        assert stats.kstest(joint[name], _scipy(TABLE[name]).cdf).pvalue > 0.01, name
        a = TABLE[name]
        assert a.low is not None
        assert a.high is not None
        assert a.low <= joint[name].min()
        assert joint[name].max() <= a.high


@pytest.mark.parametrize("rho", [-0.8, -0.3, 0.5, 0.9])
def test_spearman_is_the_copulas(rho: float) -> None:
    """A Gaussian copula with normal correlation rho has Spearman 6/pi asin(rho/2), whatever the marginals."""
    third = 0.3 if rho > 0 else -0.2
    pairs = [_corr("adoption", "half_life", rho), _corr("half_life", "reach", third)]
    draws = sample_correlated(TABLE, pairs, np.random.default_rng(7), 100_000)
    for (a, b), r in ((("adoption", "half_life"), rho), (("half_life", "reach"), third)):
        spearman = stats.spearmanr(draws[a], draws[b]).statistic
        assert spearman == pytest.approx(6 / math.pi * math.asin(r / 2), abs=0.01)
    # a pair not listed is uncorrelated (its matrix entry is 0), even when both share a partner
    assert stats.spearmanr(draws["adoption"], draws["reach"]).statistic == pytest.approx(0.0, abs=0.01)


def _spec(correlations: list[dict[str, Any]] | None = None) -> ProgramSpec:
    """Benefit = effect x m x reach x adoption x 12 (no decay, no discounting, 12 months); cost 10,000."""
    data: dict[str, Any] = {
        "program": {
            "id": "p",
            "name": "P",
            "audience": "a",
            "design": "randomized",
            "primary_kpi": "revenue",
        },
        "kpis": [
            {
                "business_kpi": "revenue",
                "unit": "USD",
                "path": "s",
                "rule": "revenue_margin",
                "value_per_unit": "m",
            }
        ],
        "assumptions": {
            "reach": {"value": 100, "low": 50, "high": 150, "source": "t"},
            "adoption": {"value": 0.6, "low": 0.3, "high": 0.9, "source": "t"},
            "m": {"value": 0.3, "low": 0.25, "high": 0.35, "source": "t", "distribution": "uniform"},
            "elsewhere": {"value": 1.0, "low": 0.5, "high": 2.0, "source": "t"},
        },
        "costs": [{"category": "delivery", "amount": 10_000}],
    }
    if correlations is not None:
        data["correlations"] = correlations
    return ProgramSpec.model_validate(data)


def _pair(a: str, b: str, rho: float) -> dict[str, Any]:
    return {"a": a, "b": b, "rho": rho, "source": "t"}


def test_no_correlations_reproduce_the_independent_draws() -> None:
    """Empty list, no key, or only pairs the valuation does not read: the draws of the independent Monte
    Carlo, bit for bit (replayed here by hand from the same seed: effect, then reach, adoption, m)."""
    effect = EffectInput(kpi="revenue", estimate=50.0, std_error=20.0)
    n, seed = 5_000, 11
    stored = compute_roi(_spec([]), effect, draws=n, seed=seed)
    rng = np.random.default_rng(seed)
    eff = rng.normal(50.0, 20.0, n)
    reach, adoption = rng.triangular(50, 100, 150, n), rng.triangular(0.3, 0.6, 0.9, n)
    m = rng.uniform(0.25, 0.35, n)
    assert stored.benefit == pytest.approx(50.0 * 0.3 * 100 * 0.6 * 12, rel=1e-12)
    assert stored.net_benefit_draws is not None
    np.testing.assert_allclose(stored.net_benefit_draws, eff * m * reach * adoption * 12 - 10_000, rtol=1e-12)
    unused = _spec([_pair("elsewhere", "adoption", 0.7)])
    for spec in (_spec(None), unused):
        again = compute_roi(spec, effect, draws=n, seed=seed)
        assert again.net_benefit_draws is not None
        np.testing.assert_array_equal(again.net_benefit_draws, stored.net_benefit_draws)
        assert (again.roi_conf_low, again.roi_conf_high) == (stored.roi_conf_low, stored.roi_conf_high)
    notes = compute_roi(unused, effect, draws=n, seed=seed).notes
    assert any("elsewhere~adoption" in x and "not applied" in x and "elsewhere" in x for x in notes)


def test_positive_correlation_of_benefit_drivers_widens_the_interval() -> None:
    """Benefit is proportional to reach x adoption and the cost is fixed, so log ROI-relevant spread is
    Var(log reach) + Var(log adoption) + 2 Cov: moving together (rho > 0) widens the ROI interval, moving
    against each other (rho < 0) narrows it. The point ROI, tornado and scenarios do not change."""
    effect = EffectInput(kpi="revenue", estimate=50.0, std_error=0.0)  # fixed effect: assumptions only
    results = {
        rho: compute_roi(
            _spec(None if rho is None else [_pair("reach", "adoption", rho)]), effect, draws=40_000, seed=3
        )
        for rho in (None, -0.7, 0.7)
    }

    def width(r: Any) -> float:
        return float(r.roi_conf_high - r.roi_conf_low)

    assert width(results[-0.7]) < 0.9 * width(results[None]) < width(results[None])
    assert width(results[0.7]) > 1.1 * width(results[None])
    base = results[None]
    for r in results.values():
        assert (r.roi_pct, r.tornado, r.scenarios, r.break_even_effect) == (
            base.roi_pct,
            base.tornado,
            base.scenarios,
            base.break_even_effect,
        )
    assert any(
        "Gaussian copula" in x and "reach~adoption rho 0.7" in x and "Spearman 0.68" in x
        for x in results[0.7].notes
    )
    assert not any("copula" in x for x in base.notes)


def test_the_effect_is_drawn_independently_of_correlated_assumptions() -> None:
    """The effect comes first from the same stream, so its draws are those of the independent run; with
    adoption correlated to reach, the net benefit's correlation with the effect is unchanged in sign."""
    effect = EffectInput(kpi="revenue", estimate=50.0, std_error=20.0)
    n = 20_000
    eff = np.random.default_rng(5).normal(50.0, 20.0, n)
    r = compute_roi(_spec([_pair("reach", "adoption", 0.9)]), effect, draws=n, seed=5)
    assert r.net_benefit_draws is not None
    keep = np.abs(eff) > 1.0  # away from 0, where (net + cost) / effect loses digits
    benefit_per_effect = (r.net_benefit_draws[keep] + 10_000) / eff[keep]
    # if the effect draws were reordered or correlated with the assumptions, this ratio would not be
    # a function of the assumptions alone (m x reach x adoption x 12, between 0.25x50x0.3x12 and 0.35x150x0.9x12)
    assert benefit_per_effect.min() >= 0.25 * 50 * 0.3 * 12 * (1 - 1e-9)
    assert benefit_per_effect.max() <= 0.35 * 150 * 0.9 * 12 * (1 + 1e-9)
    assert abs(stats.spearmanr(eff[keep], benefit_per_effect).statistic) < 0.03


TEMPLATE: str = template_text()


def _block(a: str, b: str, rho: str, source: str = "past cohorts") -> str:
    return f'\n[[correlations]]\na = "{a}"\nb = "{b}"\nrho = {rho}\nsource = "{source}"\n'


# (extra text appended to the template, text of the line the error must point at, words of the message)
BAD = [
    (_block("adoption", "nope", "0.5"), 'b = "nope"', "not under [assumptions]"),
    (
        '\n[assumptions.fixed]\nvalue = 1\nsource = "t"\n' + _block("fixed", "adoption", "0.5"),
        'a = "fixed"',
        "has no range",
    ),
    (_block("adoption", "reach", "1.0"), "rho = 1.0", "strictly between -1 and 1"),
    (_block("adoption", "reach", "-1"), "rho = -1", "strictly between -1 and 1"),
    (_block("adoption", "adoption", "0.5"), 'b = "adoption"', "with itself"),
    (_block("adoption", "reach", "0.5") + _block("reach", "adoption", "0.2"), 'a = "reach"', "listed twice"),
    (
        _block("adoption", "reach", "0.9")
        + _block("reach", "contribution_margin", "0.9")
        # adoption~margin must be >= 0.9*0.9 - sqrt((1-0.81)^2) = 0.62 for a valid matrix
        + _block("adoption", "contribution_margin", "-0.9"),
        "rho = 0.9",
        "not positive definite",
    ),
    (_block("adoption", "reach", "0.5", source=""), 'source = ""', "at least 1 character"),
]


@pytest.mark.parametrize(("extra", "at", "words"), BAD, ids=[b[2][:20] for b in BAD])
def test_bad_correlations_name_the_line_and_hint(extra: str, at: str, words: str) -> None:
    text = TEMPLATE + extra
    with pytest.raises(SpecError) as info:
        parse_spec(text, "program.toml")
    lines = text.splitlines()
    m = re.fullmatch(r"program\.toml line (\d+)", info.value.where or "")
    assert m is not None, info.value.where
    assert lines[int(m.group(1)) - 1].startswith(at), lines[int(m.group(1)) - 1]
    assert words in info.value.message
    assert str(info.value).splitlines()[-1].startswith("Hint: ")
    assert len(info.value.hint) > 20


def test_contradictory_correlations_hint_names_a_pair_and_a_value_that_works() -> None:
    """a~b = b~c = 0.9 with a~c = 0.2 is impossible (a~c must be >= 0.62); lowering one of the 0.9 pairs
    fixes it. The hint names a pair and a rho; that rho is accepted and 0.01 more is refused."""
    pairs = [
        ("adoption", "reach", 0.9),
        ("reach", "contribution_margin", 0.9),
        ("adoption", "contribution_margin", 0.2),
    ]
    text = TEMPLATE + "".join(_block(a, b, str(r)) for a, b, r in pairs)
    with pytest.raises(SpecError) as info:
        parse_spec(text)
    m = re.search(r"Lower \|rho\| of (\w+)~(\w+) to ([\d.]+) or less", info.value.hint)
    assert m is not None, info.value.hint
    i = next(j for j, (a, b, _) in enumerate(pairs) if (a, b) == (m.group(1), m.group(2)))
    assert i in (0, 1)  # lowering a~c towards 0 cannot help: it must rise
    keep = float(m.group(3))
    assert 0 < keep < 0.9

    def with_rho(r: float) -> str:
        changed = [(a, b, r if j == i else rho) for j, (a, b, rho) in enumerate(pairs)]
        return TEMPLATE + "".join(_block(a, b, f"{x:.2f}") for a, b, x in changed)

    assert len(parse_spec(with_rho(keep)).correlations) == 3
    with pytest.raises(SpecError, match="not positive definite"):
        parse_spec(with_rho(keep + 0.01))


def test_template_example_is_valid_when_uncommented() -> None:
    block = re.search(r"^# \[\[correlations\]\]\n(?:# .*\n)+", TEMPLATE, flags=re.MULTILINE)
    assert block is not None
    spec = parse_spec(TEMPLATE + "\n" + re.sub(r"^# ", "", block.group(0), flags=re.MULTILINE))
    (c,) = spec.correlations
    assert (c.a, c.b, c.rho) == ("adoption", "decay_half_life_months", 0.5)
