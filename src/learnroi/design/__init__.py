"""learnroi.design: the Define step — power / MDE, randomized and staggered assignment, pilot plans,
interim looks without inflated false positives, and the hypothesis registry.

See docs/howto/run-a-pilot.md and docs/explanation/power-and-sequential.md.
"""

from __future__ import annotations

from learnroi.design.assign import (
    Assignment,
    BalanceReport,
    assign_units,
    balance_report,
    staggered_waves,
    tenure_band,
    write_design_csv,
)
from learnroi.design.looks import interim_reading, look_estimates
from learnroi.design.moments import KpiMoments, estimate_icc, kpi_moments, read_kpi_history
from learnroi.design.multiarm_power import dunnett_critical, plan_multiarm_power, sqrt_rule_control_share
from learnroi.design.pilot import DesignOutcome, absolute_effect, design_pilot, read_eligible, record_design
from learnroi.design.plan import (
    PilotPlan,
    load_plan,
    make_plan,
    plan_deviations,
    require_plan,
    save_plan,
)
from learnroi.design.power import PowerResult, design_effect, plan_power, power_from_std_effect
from learnroi.design.registry import (
    HypothesisRecord,
    add_hypothesis,
    get_hypothesis,
    list_hypotheses,
    record_effect,
    record_observed,
    review_hypothesis,
    suggest_status,
    sync_spec_hypotheses,
)
from learnroi.design.sequential import (
    SequentialResult,
    always_valid,
    difference_in_means,
    mixture_tau2,
    planned_variance,
    record_looks,
    sequential_reject,
    sequential_test,
)

__all__ = [
    "Assignment",
    "BalanceReport",
    "DesignOutcome",
    "HypothesisRecord",
    "KpiMoments",
    "PilotPlan",
    "PowerResult",
    "SequentialResult",
    "absolute_effect",
    "add_hypothesis",
    "always_valid",
    "assign_units",
    "balance_report",
    "design_effect",
    "design_pilot",
    "difference_in_means",
    "dunnett_critical",
    "estimate_icc",
    "get_hypothesis",
    "interim_reading",
    "kpi_moments",
    "list_hypotheses",
    "load_plan",
    "look_estimates",
    "make_plan",
    "mixture_tau2",
    "plan_deviations",
    "plan_multiarm_power",
    "plan_power",
    "planned_variance",
    "power_from_std_effect",
    "read_eligible",
    "read_kpi_history",
    "record_design",
    "record_effect",
    "record_looks",
    "record_observed",
    "require_plan",
    "review_hypothesis",
    "save_plan",
    "sequential_reject",
    "sequential_test",
    "sqrt_rule_control_share",
    "staggered_waves",
    "suggest_status",
    "sync_spec_hypotheses",
    "tenure_band",
    "write_design_csv",
]
