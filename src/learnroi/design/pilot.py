"""`learnroi design` as a library call: size the pilot on the store's data, assign, plan, record.

:func:`design_pilot` reads the KPI's history and the eligible people from the store, sizes the pilot
(:mod:`learnroi.design.power`), optionally assigns people or roll-out waves (:mod:`learnroi.design.assign`)
and writes ``design/assignments.csv`` / ``design/waves.csv``, stores the dated plan
(:mod:`learnroi.design.plan`) and registers the spec's hypotheses (:mod:`learnroi.design.registry`).
The assignment reaches the store's ``assignments`` / ``waves`` views through :func:`record_design`, the
same path as ``learnroi ingest design``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from learnroi.core.errors import DataError, SpecError
from learnroi.design.assign import (
    Assignment,
    assign_units,
    staggered_waves,
    tenure_band,
    write_design_csv,
)
from learnroi.design.moments import KpiMoments, estimate_icc, kpi_moments, read_kpi_history
from learnroi.design.plan import PilotPlan, make_plan, save_plan
from learnroi.design.power import KpiKind, PowerResult, plan_power
from learnroi.design.registry import sync_spec_hypotheses
from learnroi.store import IngestResult, Store, ingest


@dataclass(frozen=True)
class DesignOutcome:
    """Everything `learnroi design` produced: the sizing, and when asked the assignment, plan and files."""

    power: PowerResult
    moments: KpiMoments | None = None
    plan: PilotPlan | None = None
    assignment: Assignment | None = None
    waves: pd.DataFrame | None = None
    files: tuple[Path, ...] = ()
    recorded: bool = False
    notes: tuple[str, ...] = ()
    hypotheses_added: tuple[str, ...] = field(default=())

    def tidy(self) -> pd.DataFrame:
        """The sizing as a quantity/value table (the plan, assignment and waves have their own)."""
        return self.power.tidy()

    def summary(self) -> str:
        parts = [self.moments.summary()] if self.moments is not None else []
        parts.append(self.power.summary())
        if self.assignment is not None:
            parts.append(self.assignment.summary())
        if self.waves is not None:
            counts = self.waves["wave"].value_counts().sort_index()
            parts.append("Roll-out waves: " + ", ".join(f"wave {w}: {n} units" for w, n in counts.items()))
        if self.plan is not None:
            parts.append(self.plan.summary())
        parts += [f"Wrote {p}" for p in self.files]
        parts += list(self.notes)
        return "\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "power": self.power.to_dict(),
            "moments": self.moments.to_dict() if self.moments else None,
            "plan": self.plan.to_dict() if self.plan else None,
            "assignment": self.assignment.to_dict() if self.assignment else None,
            "waves": None if self.waves is None else self.waves.to_dict(orient="records"),
            "files": [str(p) for p in self.files],
            "recorded": self.recorded,
            "notes": list(self.notes),
            "hypotheses_added": list(self.hypotheses_added),
        }


def read_eligible(con: Any, audience: str | None = None, as_of: date | None = None) -> pd.DataFrame:
    """Current employees (no exit date before ``as_of``); ``audience`` filters by role when it names roles."""
    try:
        emp: pd.DataFrame = con.execute(
            "SELECT employee_id, department, team_id, role, hire_date, exit_date FROM employees"
        ).df()
    except Exception as exc:  # duckdb.CatalogException on an empty store
        raise DataError(
            f"the store has no HRIS data ({type(exc).__name__})",
            hint="Ingest the HRIS export first (`learnroi ingest hris FILE`).",
        ) from None
    day = pd.Timestamp(as_of or date.today())
    emp = emp[emp["exit_date"].isna() | (pd.to_datetime(emp["exit_date"]) > day)]
    if audience:
        roles = {r.strip() for r in audience.replace(";", ",").split(",")}
        if roles & set(emp["role"].dropna()):
            emp = emp[emp["role"].isin(roles)]
    emp = emp.assign(tenure_band=tenure_band(emp["hire_date"], day.date()).to_numpy())
    return emp.reset_index(drop=True)


def absolute_effect(assumed: float, unit: str, baseline: float) -> float:
    """An assumed effect in KPI units: ``relative`` effects are shares of the baseline mean."""
    return assumed * baseline if unit == "relative" else assumed


def record_design(store: Store, paths: list[Path]) -> IngestResult:
    """Load written design CSVs into the store as one ``design`` ingest batch (as ``learnroi ingest design``).

    Re-recording an unchanged file adds a "no changes" batch; a changed assignment supersedes the old rows.
    """
    return ingest(store, "design", [str(p) for p in paths])


@dataclass(frozen=True)
class PilotSettings:
    """What `learnroi design` was asked: the program, KPI, assumed effect and the pilot's settings."""

    program_id: str
    kpi: str
    effect: float | None = None
    effect_unit: str = "absolute"
    kind: KpiKind | None = None
    design: str = "individual"
    sd: float | None = None
    rho: float | None = None
    baseline: float | None = None
    icc: float | None = None
    cluster: str | None = None
    allocation: float = 0.5
    alpha: float = 0.05
    power: float = 0.8
    n_available: int | None = None
    baseline_months: int = 3
    measurement_months: int = 3
    audience: str | None = None
    strata: tuple[str, ...] = ()
    guardrails: tuple[str, ...] = ()
    analysis: str = "auto"
    start: date | None = None
    assign: bool = False
    out_dir: Path | None = None
    seed: int = 20240101
    n_waves: int = 3
    spec_hash: str | None = None
    today: date | None = None
    arms: tuple[str, ...] = ()
    """Treatment-arm labels of a multi-arm pilot (control + these); empty for a two-arm pilot."""
    control_share: float | None = None


@dataclass
class _Sizing:
    result: PowerResult
    moments: KpiMoments | None
    units: pd.DataFrame | None
    history: pd.DataFrame | None
    cluster: str | None
    notes: list[str]


def design_pilot(store: Store, *, spec: Any = None, **settings: Any) -> DesignOutcome:
    """Size, and optionally assign and plan, a pilot from the store's data (settings: :class:`PilotSettings`).

    Missing ``sd`` / ``rho`` / ``baseline`` are measured on the KPI's history; ``icc`` on the history
    grouped by ``cluster``. ``start`` stores the dated plan; ``assign`` writes the assignment CSVs to
    ``out_dir`` and records them in the store (a ``design`` ingest batch). ``spec`` (a ProgramSpec) has
    its hypotheses registered.
    """
    for key in ("strata", "guardrails", "arms"):
        settings[key] = tuple(settings.get(key) or ())
    cfg = PilotSettings(**settings)
    sizing = _size(store.con, cfg)  # every check on the inputs happens before anything is written
    added = tuple(sync_spec_hypotheses(store.con, spec, today=cfg.today)) if spec is not None else ()
    assignment, waves, files = _assign(cfg, sizing)
    notes = sizing.notes
    recorded = False
    if files:
        batch = record_design(store, files)
        recorded = True
        notes.append(
            f"Recorded in the store as ingest batch {batch.batch_id} (undo with `learnroi ingest --undo`)."
        )
    plan = _store_plan(store.con, cfg, sizing, assignment, spec) if cfg.start is not None else None
    return DesignOutcome(
        power=sizing.result,
        moments=sizing.moments,
        plan=plan,
        assignment=assignment,
        waves=waves,
        files=tuple(files),
        recorded=recorded,
        notes=tuple(notes),
        hypotheses_added=added,
    )


def _size(con: Any, cfg: PilotSettings) -> _Sizing:
    """Measure the KPI (and ICC) on the store and size the pilot."""
    notes: list[str] = []
    units = None
    if cfg.assign or cfg.n_available is None or cfg.cluster or cfg.design == "staggered":
        units = read_eligible(con, cfg.audience, as_of=cfg.start or cfg.today)
    moments = history = None
    if cfg.sd is None or cfg.rho is None or cfg.baseline is None or (cfg.cluster and cfg.icc is None):
        history = read_kpi_history(con, cfg.kpi)
        if units is not None and not history.empty:
            history = history[history["employee_id"].isin(units["employee_id"])]
        moments = kpi_moments(
            history, cfg.kpi, baseline_months=cfg.baseline_months, measurement_months=cfg.measurement_months
        )
    base = cfg.baseline if cfg.baseline is not None else (moments.mean if moments else None)
    if base is None:
        raise SpecError("the KPI's baseline is unknown", hint="Pass --baseline or ingest the KPI's history.")
    if cfg.effect is None:
        raise SpecError(
            f"no assumed effect for {cfg.kpi!r}",
            hint="Add a [[hypotheses]] entry for the KPI in the spec, or pass --effect.",
        )
    cross = moments is not None and moments.cross_sectional
    n_av = cfg.n_available if cfg.n_available is not None else (len(units) if units is not None else None)
    if cfg.n_available is None and moments is not None and cross:
        n_av = int(moments.per_month * cfg.measurement_months)
        notes.append(
            f"{cfg.kpi} has one value per person: the pilot's size is the inflow over the measurement window "
            f"(~{moments.per_month:.1f} a month x {cfg.measurement_months} months = {n_av}); no CUPED covariate."
        )
    cluster = cfg.cluster or ("department" if cfg.design == "staggered" else None)
    m_size, icc = 1.0, cfg.icc
    if cluster:
        m_size, icc = _cluster_inputs(units, history, cluster, cfg, n_av if cross else None, notes)
    result = plan_power(
        kpi=cfg.kpi,
        kind=cfg.kind or ("proportion" if moments is not None and moments.is_binary else "mean"),
        effect=absolute_effect(cfg.effect, cfg.effect_unit, base),
        baseline=base,
        sd=cfg.sd if cfg.sd is not None else (moments.sd if moments else None),
        rho=cfg.rho if cfg.rho is not None else (moments.rho if moments else 0.0),
        icc=icc or 0.0,
        cluster_size=m_size,
        allocation=cfg.allocation,
        alpha=cfg.alpha,
        power=cfg.power,
        n_available=n_av,
        arms=cfg.arms or None,
        control_share=cfg.control_share,
        advice_context={
            "window_sd": moments.window_table(12)
            if moments is not None and cfg.sd is None and not cross
            else {},
            "measurement_months": cfg.measurement_months,
        },
    )
    if cfg.design == "staggered" and cfg.arms:
        raise SpecError(
            "a staggered roll-out has no arms", hint="Drop --arms, or use --design individual or cluster."
        )
    if cfg.design == "staggered":
        notes.append(
            "Staggered roll-out: power is approximated by a cluster-randomized two-arm comparison "
            "(conservative; later waves add comparisons)."
        )
    return _Sizing(result, moments, units, history, cluster, notes)


def _cluster_inputs(
    units: pd.DataFrame | None,
    history: pd.DataFrame | None,
    cluster: str,
    cfg: PilotSettings,
    inflow: int | None,
    notes: list[str],
) -> tuple[float, float | None]:
    """Mean cluster size (people per cluster in the window for cross-sections) and the ICC."""
    if units is None or cluster not in units.columns:
        raise SpecError(f"cannot cluster by {cluster!r}", hint="Use team_id or department.")
    sizes = units.groupby(cluster).size()
    m_size = max(1.0, inflow / len(sizes)) if inflow else float(sizes.mean())
    if len(sizes) < 30:
        notes.append(
            f"Only {len(sizes)} clusters ({cluster}): cluster-robust inference needs about 30 or more, "
            "else use the wild cluster bootstrap and expect wide intervals."
        )
    icc = cfg.icc
    if icc is None and history is not None:
        icc = _icc_from_history(history, units, cluster, cfg.measurement_months)
        notes.append(f"ICC by {cluster} measured on the KPI's history: {icc:.3f}")
    return m_size, icc


def _assign(cfg: PilotSettings, sz: _Sizing) -> tuple[Assignment | None, pd.DataFrame | None, list[Path]]:
    """Randomize people (or teams) or roll-out waves and write the data-layout CSV."""
    if not cfg.assign:
        return None, None, []
    units = sz.units
    if units is None or units.empty:
        raise DataError("no eligible people to assign", hint="Check the audience and the HRIS data.")
    if cfg.out_dir is None:
        raise SpecError("assigning needs an output folder", hint="Pass --out DIR.")
    when = cfg.start or cfg.today or date.today()
    if cfg.design == "staggered":
        col = sz.cluster or "department"
        waves = staggered_waves(
            units[col],
            program_id=cfg.program_id,
            seed=cfg.seed,
            n_waves=cfg.n_waves,
            start=when,
            unit_type=col,
        )
        return None, waves, [write_design_csv(waves, cfg.out_dir, "waves")]
    units_b = _with_baseline(units, sz.history)
    assignment = assign_units(
        units_b,
        program_id=cfg.program_id,
        seed=cfg.seed,
        allocation=cfg.allocation,
        strata=list(cfg.strata),
        cluster=sz.cluster,
        assigned_date=when,
        balance_on=[c for c in ("department", "role", "tenure_band", "baseline_kpi") if c in units_b],
        arms=cfg.arms or None,
        control_share=cfg.control_share,
    )
    return assignment, None, [write_design_csv(assignment.assignments, cfg.out_dir, "assignments")]


def _store_plan(
    con: Any, cfg: PilotSettings, sz: _Sizing, assignment: Assignment | None, spec: Any
) -> PilotPlan:
    """Build the dated plan from the settings and the sizing, and store it as the next version."""
    result = sz.result
    n_plan = (result.n_required, result.n_required - result.n_control, result.n_control)
    if assignment is not None:
        arms = assignment.assignments["arm"]
        n_plan = (len(arms), int((arms != "control").sum()), int((arms == "control").sum()))
    staggered = cfg.design == "staggered"
    assert cfg.start is not None
    plan = make_plan(
        program_id=cfg.program_id,
        primary_kpi=cfg.kpi,
        start=cfg.start,
        design="staggered" if staggered else ("cluster" if sz.cluster else "individual"),
        baseline_months=cfg.baseline_months,
        measurement_months=cfg.measurement_months,
        guardrails=list(cfg.guardrails),
        analysis=cfg.analysis,
        rollout_months=cfg.n_waves - 1 if staggered else 0,
        unit="department" if staggered else ("team" if sz.cluster else "employee"),
        cluster=sz.cluster,
        strata=cfg.strata,
        allocation=result.allocation,
        alpha=cfg.alpha,
        target_power=cfg.power,
        assumed_effect=result.effect,
        mde=result.mde_available,
        n_planned=n_plan[0],
        n_treatment=n_plan[1],
        n_control=n_plan[2],
        seed=cfg.seed,
        spec_hash=cfg.spec_hash,
        hypothesis_id=_hypothesis_for(spec, cfg.kpi),
        extra={"power": result.to_dict()},
    )
    return save_plan(con, plan)


def _hypothesis_for(spec: Any, kpi: str) -> str | None:
    if spec is None:
        return None
    return next((h.id for h in spec.hypotheses if h.kpi == kpi), None)


def _with_baseline(units: pd.DataFrame, history: pd.DataFrame | None) -> pd.DataFrame:
    """Add each person's latest three-month KPI mean as ``baseline_kpi`` (a stratifier / balance check)."""
    if history is None or history.empty:
        return units
    h = history.assign(period=pd.to_datetime(history["period"]))
    last = h["period"].max()
    recent = h[h["period"] > last - pd.DateOffset(months=3)]
    base = recent.groupby("employee_id")["value"].mean().rename("baseline_kpi")
    return units.merge(base, left_on="employee_id", right_index=True, how="left")


def _icc_from_history(history: pd.DataFrame, units: pd.DataFrame, cluster: str, months: int) -> float:
    """ICC of person-level KPI means over the last ``months`` months, by cluster."""
    h = history.assign(period=pd.to_datetime(history["period"]))
    recent = h[h["period"] > h["period"].max() - pd.DateOffset(months=months)]
    person = recent.groupby("employee_id")["value"].mean()
    cl = units.set_index("employee_id")[cluster].reindex(person.index)
    ok = cl.notna().to_numpy()
    if ok.sum() < 3:
        return 0.0
    value = estimate_icc(person.to_numpy()[ok], cl.to_numpy()[ok])
    return float(value) if math.isfinite(value) else 0.0


__all__ = [
    "DesignOutcome",
    "PilotSettings",
    "absolute_effect",
    "design_pilot",
    "read_eligible",
    "record_design",
]
