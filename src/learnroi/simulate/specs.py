"""The two program specs the simulator writes, and the planted ROI truth computed from them.

The ROI truth follows ``docs/dev/roi-formulas.md`` exactly (the same formulas ``learnroi.roi`` uses):
recurring benefit = sum over m = 1..H of gain x value x N x d(m) x (1 + r)^(-m/12), d(m) = 1 for m <= W,
0.5^((m - W)/h) after; once-per-person benefit = gain x value x N; cost = ledger total + participants'
time (LMS hours x loaded salary / standard hours); ROI % = (benefit - cost) / cost x 100.
"""

from __future__ import annotations

from dataclasses import dataclass

Triple = tuple[float, float, float]
"""(value, low, high) of an assumption."""


@dataclass(frozen=True)
class Assumptions:
    horizon_months: int
    evaluation_window_months: int
    decay_half_life_months: Triple
    discount_rate: Triple
    adoption: Triple
    contribution_margin: Triple = (0.30, 0.25, 0.35)
    monthly_cost_per_hire: Triple = (10_000.0, 8_000.0, 12_000.0)


SALES = Assumptions(12, 6, (6.0, 3.0, 12.0), (0.08, 0.05, 0.12), (1.0, 0.8, 1.0))
ONBOARDING = Assumptions(18, 18, (12.0, 6.0, 24.0), (0.08, 0.05, 0.12), (1.0, 0.9, 1.0))
WEEKS_PER_MONTH = 52.0 / 12.0


def recurring_benefit(
    gain: float, value: float, n: float, horizon: int, window: int, half_life: float | None, rate: float
) -> float:
    total = 0.0
    for m in range(1, horizon + 1):
        d = 1.0 if m <= window or not half_life else 0.5 ** ((m - window) / half_life)
        total += gain * value * n * d * (1.0 + rate) ** (-m / 12.0)
    return total


def roi_pct(benefit: float, cost: float) -> float:
    return (benefit - cost) / cost * 100.0


def sales_spec(reach: int, seed: int) -> str:
    a = SALES
    return f"""# Program spec written by `learnroi simulate` (seed {seed}); it runs as is on the simulated company.
[program]
id = "sales-skills"
name = "Consultative selling"
audience = "sales_rep"
target_behaviour = "Reps run discovery, negotiate on value and close with clear next steps"
design = "randomized"
primary_kpi = "revenue"
start = 2025-01-01
horizon_months = {a.horizon_months}
evaluation_window_months = {a.evaluation_window_months}
currency = "USD"

[[kpis]]
business_kpi = "revenue"
learning_kpi = "assessment_gain"
unit = "USD per rep-month"
direction = "increase"
path = "sales"
monetized = true
rule = "revenue_margin"
value_per_unit = "contribution_margin"
per = "person_month"

[[kpis]]
business_kpi = "deal_size"
learning_kpi = "assessment_gain"
unit = "USD"
direction = "increase"
path = "sales"
monetized = false
per = "person_month"

[[kpis]]
business_kpi = "win_rate"
learning_kpi = "assessment_gain"
unit = "share"
direction = "increase"
path = "sales"
monetized = false
per = "person_month"

[assumptions]
reach = {{ value = {reach}, low = {reach}, high = {reach}, unit = "reps", source = "design/assignments.csv: reps assigned to the treatment arm" }}
adoption = {{ value = {_t(a.adoption)}, unit = "share", source = "1: the ITT effect already averages over reps who did not complete" }}
decay_half_life_months = {{ value = {_t(a.decay_half_life_months)}, unit = "months", source = "Sales enablement team, from past programs" }}
discount_rate = {{ value = {_t(a.discount_rate)}, unit = "per year", source = "Finance: cost of capital" }}
contribution_margin = {{ value = {_t(a.contribution_margin)}, unit = "share of revenue", source = "Finance: FY2024 contribution margin" }}

[[hypotheses]]
id = "sales-skills-h1"
kpi = "revenue"
assumed_effect = 0.04
assumed_effect_unit = "relative"
rationale = "Better discovery and negotiation raise deal size and win rate"
owner = "Head of Sales Enablement"
status = "piloting"

[pilot]
unit = "employee"
allocation = 0.5
strata = ["department"]
baseline_months = 12
measurement_months = 6
guardrails = ["deals"]
analysis = "auto"
"""


def onboarding_spec(reach: int, seed: int) -> str:
    a = ONBOARDING
    return f"""# Program spec written by `learnroi simulate` (seed {seed}); it runs as is on the simulated company.
[program]
id = "onboarding"
name = "New-hire onboarding"
audience = "new hires"
target_behaviour = "New hires reach full productivity sooner"
design = "staggered"
primary_kpi = "weeks_to_productivity"
start = 2024-07-01
horizon_months = {a.horizon_months}
evaluation_window_months = {a.evaluation_window_months}
currency = "USD"

[[kpis]]
business_kpi = "weeks_to_productivity"
learning_kpi = "assessment_gain"
unit = "weeks"
direction = "decrease"
path = "productivity"
monetized = true
rule = "weeks_to_productivity"
value_per_unit = "monthly_cost_per_hire"
per = "person"

[assumptions]
reach = {{ value = {reach}, low = {reach}, high = {reach}, unit = "hires", source = "HRIS: hires in treated departments after their wave start, in the window" }}
adoption = {{ value = {_t(a.adoption)}, unit = "share", source = "1: the effect is averaged over all treated hires" }}
decay_half_life_months = {{ value = {_t(a.decay_half_life_months)}, unit = "months", source = "not used: a once-per-hire benefit does not decay" }}
discount_rate = {{ value = {_t(a.discount_rate)}, unit = "per year", source = "Finance: cost of capital" }}
monthly_cost_per_hire = {{ value = {_t(a.monthly_cost_per_hire)}, unit = "USD per month", source = "Finance: loaded monthly cost of a new hire" }}

[[hypotheses]]
id = "onboarding-h1"
kpi = "weeks_to_productivity"
assumed_effect = -3.0
assumed_effect_unit = "weeks"
rationale = "A structured pathway cuts time to productivity from 12 to 9 weeks"
owner = "Head of Talent"
status = "piloting"
"""


def _t(v: Triple) -> str:
    value, low, high = v
    return f"{value}, low = {low}, high = {high}"


def sales_money(att: float, reach: int, cost: float) -> dict[str, float]:
    a = SALES
    n = reach * a.adoption[0]
    benefit = recurring_benefit(
        att,
        a.contribution_margin[0],
        n,
        a.horizon_months,
        a.evaluation_window_months,
        a.decay_half_life_months[0],
        a.discount_rate[0],
    )
    return {"benefit": benefit, "cost": cost, "roi_pct": roi_pct(benefit, cost)}


def onboarding_money(att: float, reach: int, cost: float) -> dict[str, float]:
    a = ONBOARDING
    value = a.monthly_cost_per_hire[0] / WEEKS_PER_MONTH
    benefit = (-att) * value * reach * a.adoption[0]
    return {"benefit": benefit, "cost": cost, "roi_pct": roi_pct(benefit, cost)}


BLEND = Assumptions(12, 6, (6.0, 3.0, 12.0), (0.08, 0.05, 0.12), (1.0, 0.9, 1.0))
COST_PER_ESCALATION: Triple = (130.0, 95.0, 170.0)


def blend_spec(reach: int, seed: int) -> str:
    a = BLEND
    return f"""# Program spec written by `learnroi simulate` (seed {seed}); it runs as is on the simulated company.
# Four randomized arms (design/assignments.csv): control, digital, blended, classroom; reach counts the
# agents assigned to the three training arms.
[program]
id = "service-blend"
name = "Customer conversations (blended)"
audience = "support"
target_behaviour = "Agents resolve difficult calls without escalating them and keep customers satisfied"
design = "randomized"
primary_kpi = "escalations"
start = 2024-07-01
horizon_months = {a.horizon_months}
evaluation_window_months = {a.evaluation_window_months}
currency = "USD"

[[kpis]]
business_kpi = "escalations"
learning_kpi = "assessment_gain"
unit = "escalations per agent-month"
direction = "decrease"
path = "escalations"
monetized = true
rule = "incidents_avoided"
value_per_unit = "cost_per_escalation"
per = "person_month"

[[kpis]]
business_kpi = "csat"
learning_kpi = "assessment_gain"
unit = "CSAT points (1-5)"
direction = "increase"
path = "satisfaction"
monetized = false
per = "person_month"

[assumptions]
reach = {{ value = {reach}, low = {reach}, high = {reach}, unit = "agents", source = "design/assignments.csv: agents assigned to a training arm" }}
adoption = {{ value = {_t(a.adoption)}, unit = "share", source = "1: the ITT effect already averages over agents who did not complete" }}
decay_half_life_months = {{ value = {_t(a.decay_half_life_months)}, unit = "months", source = "Support enablement team, from past programs" }}
discount_rate = {{ value = {_t(a.discount_rate)}, unit = "per year", source = "Finance: cost of capital" }}
cost_per_escalation = {{ value = {_t(COST_PER_ESCALATION)}, unit = "USD per escalation", source = "Support operations: tier-2 handling time and service credits per escalation" }}

[[hypotheses]]
id = "service-blend-h1"
kpi = "escalations"
assumed_effect = -0.15
assumed_effect_unit = "relative"
rationale = "Practice with feedback (live sessions, coaching) cuts avoidable escalations"
owner = "Head of Customer Support"
status = "piloting"

[pilot]
unit = "employee"
allocation = 0.75
arms = ["digital", "blended", "classroom"]
strata = ["department"]
baseline_months = 6
measurement_months = 6
guardrails = ["csat"]
analysis = "auto"
"""


def blend_money(att: float, n: float, cost: float) -> dict[str, float]:
    """Benefit of an escalations effect ``att`` (decrease = gain) over ``n`` agents; ROI against ``cost``."""
    a = BLEND
    benefit = recurring_benefit(
        -att,
        COST_PER_ESCALATION[0],
        n * a.adoption[0],
        a.horizon_months,
        a.evaluation_window_months,
        a.decay_half_life_months[0],
        a.discount_rate[0],
    )
    return {"benefit": benefit, "cost": cost, "roi_pct": roi_pct(benefit, cost)}
