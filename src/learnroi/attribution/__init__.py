"""learnroi.attribution: causal estimators, their diagnostics and the design chooser.

Every estimator returns a frozen :class:`EffectResult`; :func:`attribute` picks the most credible design
the data support (or refuses) and returns an :class:`Attribution`.
"""

from __future__ import annotations

from learnroi.attribution.chooser import PANEL_COLUMNS, Attribution, Candidate, DesignInfo, attribute
from learnroi.attribution.did import did_2x2
from learnroi.attribution.estimates import estimate_isolation, estimates_from_frame, isolate_benefit
from learnroi.attribution.its import its, segmented_regression
from learnroi.attribution.matching import (
    aipw,
    fit_propensity,
    ipw,
    match_att,
    matched_cohort,
    nearest_neighbor_match,
)
from learnroi.attribution.mediation import mediation
from learnroi.attribution.multiarm import multiarm
from learnroi.attribution.overlap import balance, overlap, trim_mask
from learnroi.attribution.randomized import (
    crossover_check,
    cuped,
    difference_in_means,
    difference_in_proportions,
    regression_adjusted,
    sample_ratio_test,
)
from learnroi.attribution.result import Diagnostic, EffectResult, Term, make_term
from learnroi.attribution.staggered import CSResult, callaway_santanna
from learnroi.attribution.survival import cox_hazard_ratio, exit_proportion, km_retention
from learnroi.attribution.twfe import twfe

__all__ = [
    "PANEL_COLUMNS",
    "Attribution",
    "CSResult",
    "Candidate",
    "DesignInfo",
    "Diagnostic",
    "EffectResult",
    "Term",
    "aipw",
    "attribute",
    "balance",
    "callaway_santanna",
    "cox_hazard_ratio",
    "crossover_check",
    "cuped",
    "did_2x2",
    "difference_in_means",
    "difference_in_proportions",
    "estimate_isolation",
    "estimates_from_frame",
    "exit_proportion",
    "fit_propensity",
    "ipw",
    "isolate_benefit",
    "its",
    "km_retention",
    "make_term",
    "match_att",
    "matched_cohort",
    "mediation",
    "multiarm",
    "nearest_neighbor_match",
    "overlap",
    "regression_adjusted",
    "sample_ratio_test",
    "segmented_regression",
    "trim_mask",
    "twfe",
]
