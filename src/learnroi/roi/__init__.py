"""learnroi.roi: the Calculate step — money, fully loaded costs, ROI / BCR / payback / NPV with honest
uncertainty (Phillips ROI Methodology; docs/explanation/roi-method.md, docs/dev/roi-formulas.md)."""

from __future__ import annotations

from learnroi.roi.arms import ArmRoi, roi_by_arm
from learnroi.roi.breakdown import RoiBreakdown, pooled_effect, roi_by_cohort, roi_by_year
from learnroi.roi.compute import compute_roi
from learnroi.roi.costs import CostModel, cost_model
from learnroi.roi.effect import Basis, EffectInput
from learnroi.roi.estimates import effect_from_estimates, phillips_adjust
from learnroi.roi.forecast import ForecastResult, forecast_roi
from learnroi.roi.platform import PlatformRoiResult, platform_roi
from learnroi.roi.result import CONTRACT_FIELDS, RoiResult
from learnroi.roi.rules import PhillipsRules
from learnroi.roi.template import init_spec, template_text

__all__ = [
    "CONTRACT_FIELDS",
    "ArmRoi",
    "Basis",
    "CostModel",
    "EffectInput",
    "ForecastResult",
    "PhillipsRules",
    "PlatformRoiResult",
    "RoiBreakdown",
    "RoiResult",
    "compute_roi",
    "cost_model",
    "effect_from_estimates",
    "forecast_roi",
    "init_spec",
    "phillips_adjust",
    "platform_roi",
    "pooled_effect",
    "roi_by_arm",
    "roi_by_cohort",
    "roi_by_year",
    "template_text",
]
