"""The 90-day pilot plan: windows with dates, the primary KPI and guardrails, the pre-registered analysis.

Pre-registration (Nosek et al. 2018, "The preregistration revolution"): the plan is stored before the
pilot starts (``pilot_plans``, migration 020, one version per re-plan) so that the later analysis follows
it and the report lists every deviation (:func:`plan_deviations`).

Timeline, month-aligned because the KPIs are monthly: the baseline window is the ``baseline_months``
months before the start; the intervention runs ``intervention_weeks`` from the start; the measurement
window is the ``measurement_months`` months from the start (intention to treat from assignment:
3 months = the 90 days); interim looks at each month end before it closes; the analysis is due the day
after it ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pandas as pd

from learnroi.core.errors import DataError, SpecError

PlanDesign = Literal["individual", "cluster", "staggered"]

_METHODS: dict[str, tuple[str, str]] = {
    "individual": (
        "randomized",
        "difference in means adjusted for the baseline-window KPI (CUPED / ANCOVA, Lin 2013), "
        "HC2 standard errors, two-sided test; intention to treat",
    ),
    "cluster": (
        "randomized",
        "difference in means adjusted for the baseline-window KPI, standard errors clustered by the "
        "randomized cluster (CR2), two-sided test; intention to treat",
    ),
    "staggered": (
        "staggered",
        "staggered difference-in-differences (Callaway & Sant'Anna 2021), not-yet-treated comparison, "
        "clustered by roll-out unit; event-time aggregation",
    ),
}


def month_start(day: date) -> date:
    """``day`` if it is the first of a month, else the first of the next month."""
    return day if day.day == 1 else (pd.Timestamp(day) + pd.offsets.MonthBegin(1)).date()


def _add_months(day: date, months: int) -> date:
    return (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


@dataclass(frozen=True)
class PilotPlan:
    """A pre-registered pilot plan (all dates inclusive). ``version`` is set once stored."""

    program_id: str
    primary_kpi: str
    design: PlanDesign
    baseline_start: date
    baseline_end: date
    intervention_start: date
    intervention_end: date
    measurement_start: date
    measurement_end: date
    analysis_design: str
    analysis_method: str
    guardrails: tuple[str, ...] = ()
    unit: str = "employee"
    cluster: str | None = None
    strata: tuple[str, ...] = ()
    allocation: float = 0.5
    alpha: float = 0.05
    alpha_interim: float | None = 0.01
    interim_looks: tuple[date, ...] = ()
    target_power: float | None = None
    assumed_effect: float | None = None
    mde: float | None = None
    n_planned: int | None = None
    n_treatment: int | None = None
    n_control: int | None = None
    seed: int | None = None
    hypothesis_id: str | None = None
    spec_hash: str | None = None
    version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def analysis_due(self) -> date:
        return self.measurement_end + timedelta(days=1)

    def tidy(self) -> pd.DataFrame:
        """The timeline, one row per milestone."""
        rows = [
            (
                "baseline window",
                self.baseline_start,
                self.baseline_end,
                f"{self.primary_kpi} before the pilot",
            ),
            ("assignment", self.intervention_start, self.intervention_start, f"{self.design} randomization"),
            ("intervention", self.intervention_start, self.intervention_end, "training delivered"),
            (
                "measurement window",
                self.measurement_start,
                self.measurement_end,
                f"primary KPI {self.primary_kpi}; guardrails {', '.join(self.guardrails) or 'none'}",
            ),
        ]
        rollout = int(self.extra.get("rollout_months", 0)) if isinstance(self.extra, dict) else 0
        if self.design == "staggered":
            last_wave = _add_months(self.intervention_start, rollout)
            rows.append(
                ("roll-out waves", self.intervention_start, last_wave, f"{rollout + 1} waves, monthly")
            )
        rows += [
            (f"interim look {i}", d, d, "always-valid reading") for i, d in enumerate(self.interim_looks, 1)
        ]
        rows.append(("analysis", self.analysis_due, self.analysis_due, self.analysis_method))
        return pd.DataFrame(rows, columns=["milestone", "start", "end", "note"])

    def summary(self) -> str:
        lines = [f"Pilot plan for {self.program_id}" + (f" (version {self.version})" if self.version else "")]
        lines += [
            f"  {r.milestone:<20} {r.start:%Y-%m-%d} .. {r.end:%Y-%m-%d}  {r.note}"
            for r in self.tidy().itertuples()
        ]
        if self.n_planned:
            lines.append(
                f"  size: {self.n_planned:,} ({self.n_treatment:,} treated / {self.n_control:,} control), "
                f"alpha {self.alpha:g}" + (f", power {self.target_power:.0%}" if self.target_power else "")
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.__dataclass_fields__:
            v = getattr(self, f)
            if isinstance(v, date):
                v = v.isoformat()
            elif isinstance(v, tuple):
                v = [x.isoformat() if isinstance(x, date) else x for x in v]
            out[f] = v
        out["analysis_due"] = self.analysis_due.isoformat()
        return out


def make_plan(
    *,
    program_id: str,
    primary_kpi: str,
    start: date,
    design: PlanDesign = "individual",
    baseline_months: int = 3,
    intervention_weeks: int = 4,
    measurement_months: int = 3,
    guardrails: list[str] | None = None,
    analysis: str = "auto",
    rollout_months: int = 0,
    **extra: Any,
) -> PilotPlan:
    """Build the dated plan starting on the first of the month on or after ``start``.

    ``analysis="auto"`` pre-registers the method for the design; any other text is stored as the method.
    ``rollout_months`` (staggered designs: months between the first and the last wave's start) extends
    the measurement window so the last wave is measured as long as the first.
    ``extra`` fills the remaining :class:`PilotPlan` fields (power, sizes, seed, strata...).
    """
    if design not in _METHODS:
        raise SpecError(
            f"unknown pilot design {design!r}",
            hint="Use individual, cluster (team randomization) or staggered (roll-out waves).",
        )
    if measurement_months < 1 or baseline_months < 0 or intervention_weeks < 0:
        raise SpecError(
            "windows must be positive (baseline >= 0 months, measurement >= 1 month)",
            hint="Fix [pilot] baseline_months / measurement_months in the spec.",
        )
    s = month_start(start)
    total = measurement_months + max(rollout_months, 0)
    m_end = _add_months(s, total) - timedelta(days=1)
    looks = (
        tuple(_add_months(s, k) - timedelta(days=1) for k in range(1, total)) if design != "staggered" else ()
    )
    a_design, method = _METHODS[design]
    if analysis not in ("auto", ""):
        method = analysis
    return PilotPlan(
        program_id=program_id,
        primary_kpi=primary_kpi,
        design=design,
        baseline_start=_add_months(s, -baseline_months),
        baseline_end=s - timedelta(days=1),
        intervention_start=s,
        intervention_end=s + timedelta(weeks=intervention_weeks, days=-1) if intervention_weeks else s,
        measurement_start=s,
        measurement_end=m_end,
        analysis_design=a_design,
        analysis_method=method,
        guardrails=tuple(guardrails or ()),
        interim_looks=looks,
        **{**extra, "extra": {**extra.get("extra", {}), "rollout_months": max(rollout_months, 0)}},
    )


_PLAN_COLUMNS = [
    "program_id",
    "version",
    "primary_kpi",
    "guardrails",
    "design",
    "unit",
    "cluster",
    "strata",
    "allocation",
    "baseline_start",
    "baseline_end",
    "intervention_start",
    "intervention_end",
    "measurement_start",
    "measurement_end",
    "analysis_design",
    "analysis_method",
    "alpha",
    "alpha_interim",
    "interim_looks",
    "target_power",
    "assumed_effect",
    "mde",
    "n_planned",
    "n_treatment",
    "n_control",
    "seed",
    "hypothesis_id",
    "spec_hash",
    "payload",
    "created_at",
]


def save_plan(con: Any, plan: PilotPlan) -> PilotPlan:
    """Store the plan as the program's next version; the program's proposed hypotheses on the KPI become
    piloting. Returns the plan with its version."""
    from learnroi.design.registry import mark_piloting

    row = con.execute(
        "SELECT coalesce(max(version), 0) FROM pilot_plans WHERE program_id = ?", [plan.program_id]
    ).fetchone()
    stored = replace(plan, version=int(row[0] if row else 0) + 1)
    d = stored.to_dict()
    values = [
        stored.program_id,
        stored.version,
        stored.primary_kpi,
        list(stored.guardrails),
        stored.design,
        stored.unit,
        stored.cluster,
        list(stored.strata),
        stored.allocation,
        stored.baseline_start,
        stored.baseline_end,
        stored.intervention_start,
        stored.intervention_end,
        stored.measurement_start,
        stored.measurement_end,
        stored.analysis_design,
        stored.analysis_method,
        stored.alpha,
        stored.alpha_interim,
        list(stored.interim_looks),
        stored.target_power,
        stored.assumed_effect,
        stored.mde,
        stored.n_planned,
        stored.n_treatment,
        stored.n_control,
        stored.seed,
        stored.hypothesis_id,
        stored.spec_hash,
        json.dumps(d, default=str),
        datetime.now(UTC).replace(tzinfo=None),
    ]
    marks = ", ".join("?" for _ in _PLAN_COLUMNS)
    con.execute(f"INSERT INTO pilot_plans ({', '.join(_PLAN_COLUMNS)}) VALUES ({marks})", values)
    mark_piloting(con, stored.program_id, stored.primary_kpi)
    return stored


def load_plan(con: Any, program_id: str, version: int | None = None) -> PilotPlan | None:
    """The plan in force for a program (or a given version); None when none was stored."""
    row = con.execute(
        "SELECT payload, version FROM pilot_plans WHERE program_id = ? AND (? IS NULL OR version = ?) "
        "ORDER BY version DESC LIMIT 1",
        [program_id, version, version],
    ).fetchone()
    if row is None:
        return None
    return plan_from_dict(json.loads(row[0]))


def plan_from_dict(d: dict[str, Any]) -> PilotPlan:
    """Rebuild a plan from :meth:`PilotPlan.to_dict`."""
    fields = PilotPlan.__dataclass_fields__
    kw: dict[str, Any] = {k: v for k, v in d.items() if k in fields}
    for k in (
        "baseline_start",
        "baseline_end",
        "intervention_start",
        "intervention_end",
        "measurement_start",
        "measurement_end",
    ):
        kw[k] = date.fromisoformat(kw[k])
    kw["interim_looks"] = tuple(date.fromisoformat(x) for x in kw.get("interim_looks", []))
    kw["guardrails"] = tuple(kw.get("guardrails", []))
    kw["strata"] = tuple(kw.get("strata", []))
    return PilotPlan(**kw)


def plan_deviations(
    plan: PilotPlan,
    *,
    kpi: str | None = None,
    design: str | None = None,
    measurement_start: date | None = None,
    measurement_end: date | None = None,
    n: int | None = None,
    guardrails: list[str] | None = None,
    n_shortfall: float = 0.9,
) -> list[str]:
    """Where an analysis departs from the pre-registered plan, in plain words (empty when it follows it).

    Checks the primary KPI, the analysis design, the measurement window, the guardrails reported, and
    the size analysed (a shortfall below ``n_shortfall`` of the plan is a deviation: power is lower).
    """
    out: list[str] = []
    if kpi is not None and kpi != plan.primary_kpi:
        out.append(f"primary KPI: analysed {kpi!r}, pre-registered {plan.primary_kpi!r}")
    if design is not None and design not in (plan.analysis_design, "auto"):
        out.append(f"analysis design: used {design!r}, pre-registered {plan.analysis_design!r}")
    if measurement_start is not None and measurement_start != plan.measurement_start:
        out.append(f"measurement window starts {measurement_start}, planned {plan.measurement_start}")
    if measurement_end is not None and measurement_end != plan.measurement_end:
        out.append(f"measurement window ends {measurement_end}, planned {plan.measurement_end}")
    if guardrails is not None:
        missing = sorted(set(plan.guardrails) - set(guardrails))
        if missing:
            out.append(f"guardrails not reported: {', '.join(missing)}")
    if n is not None and plan.n_planned and n < n_shortfall * plan.n_planned:
        out.append(f"analysed {n:,} people, planned {plan.n_planned:,}: less power than planned")
    return out


def require_plan(con: Any, program_id: str) -> PilotPlan:
    """The plan in force, or a :class:`DataError` saying how to create one."""
    plan = load_plan(con, program_id)
    if plan is None:
        raise DataError(
            f"no pilot plan is stored for program {program_id!r}",
            hint=f"Create one with `learnroi design program-{program_id}.toml --start YYYY-MM-DD`.",
        )
    return plan
