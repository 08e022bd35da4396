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

    def summary(self) -> str:
        parts = [self.power.summary()]
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


def design_pilot(
    store: Store,
    *,
    program_id: str,
    kpi: str,
    effect: float | None = None,
    effect_unit: str = "absolute",
    kind: KpiKind | None = None,
    design: str = "individual",
    sd: float | None = None,
    rho: float | None = None,
    baseline: float | None = None,
    icc: float | None = None,
    cluster: str | None = None,
    allocation: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    n_available: int | None = None,
    baseline_months: int = 3,
    measurement_months: int = 3,
    audience: str | None = None,
    strata: list[str] | None = None,
    guardrails: list[str] | None = None,
    analysis: str = "auto",
    start: date | None = None,
    assign: bool = False,
    out_dir: Path | None = None,
    seed: int = 20240101,
    n_waves: int = 3,
    spec: Any = None,
    spec_hash: str | None = None,
    today: date | None = None,
) -> DesignOutcome:
    """Size, and optionally assign and plan, a pilot for ``program_id`` on ``kpi`` from the store's data.

    Missing ``sd`` / ``rho`` / ``baseline`` are measured on the KPI's history; ``icc`` on the history
    grouped by ``cluster``. ``start`` stores the dated plan; ``assign`` writes the assignment CSVs to
    ``out_dir`` and records them in the store (a ``design`` ingest batch).
    """
    con = store.con
    notes: list[str] = []
    added: tuple[str, ...] = ()
    if spec is not None:
        added = tuple(sync_spec_hypotheses(con, spec, today=today))
    units = None
    if assign or n_available is None or cluster or design == "staggered":
        units = read_eligible(con, audience, as_of=start or today)
    moments = None
    history = None
    if sd is None or rho is None or baseline is None or (cluster and icc is None):
        history = read_kpi_history(con, kpi)
        if units is not None and not history.empty:
            history = history[history["employee_id"].isin(units["employee_id"])]
        moments = kpi_moments(
            history, kpi, baseline_months=baseline_months, measurement_months=measurement_months
        )
    base = baseline if baseline is not None else (moments.mean if moments else None)
    if base is None:
        raise SpecError("the KPI's baseline is unknown", hint="Pass --baseline or ingest the KPI's history.")
    kind = kind or ("proportion" if moments is not None and moments.is_binary else "mean")
    if effect is None:
        raise SpecError(
            f"no assumed effect for {kpi!r}",
            hint="Add a [[hypotheses]] entry for the KPI in the spec, or pass --effect.",
        )
    eff = absolute_effect(effect, effect_unit, base)
    m_size = 1.0
    if design == "staggered":
        cluster = cluster or "department"
    if cluster:
        if units is None or cluster not in units.columns:
            raise SpecError(f"cannot cluster by {cluster!r}", hint="Use team_id or department.")
        sizes = units.groupby(cluster).size()
        m_size = float(sizes.mean())
        if len(sizes) < 30:
            notes.append(
                f"Only {len(sizes)} clusters ({cluster}): cluster-robust inference needs about 30 or more, "
                "else use the wild cluster bootstrap and expect wide intervals."
            )
        if icc is None and history is not None and moments is not None:
            icc = _icc_from_history(history, units, cluster, measurement_months)
            notes.append(f"ICC by {cluster} measured on the KPI's history: {icc:.3f}")
    n_av = n_available if n_available is not None else (len(units) if units is not None else None)
    if n_available is None and moments is not None and moments.cross_sectional:
        n_av = int(moments.per_month * measurement_months)
        notes.append(
            f"{kpi} has one value per person: the pilot's size is the inflow over the measurement window "
            f"(~{moments.per_month:.1f} a month x {measurement_months} months = {n_av}); no CUPED covariate."
        )
    cross = moments is not None and moments.cross_sectional
    if cross and cluster and units is not None and n_av:
        m_size = max(1.0, n_av / float(units[cluster].nunique()))  # people per cluster in the window
    window_sd = moments.window_table(12) if moments is not None and sd is None and not cross else {}
    result = plan_power(
        kpi=kpi,
        kind=kind,
        effect=eff,
        baseline=base,
        sd=sd if sd is not None else (moments.sd if moments else None),
        rho=rho if rho is not None else (moments.rho if moments else 0.0),
        icc=icc or 0.0,
        cluster_size=m_size,
        allocation=allocation,
        alpha=alpha,
        power=power,
        n_available=n_av,
        advice_context={"window_sd": window_sd, "measurement_months": measurement_months},
    )
    if design == "staggered":
        notes.append(
            "Staggered roll-out: power is approximated by a cluster-randomized two-arm comparison "
            "(conservative; later waves add comparisons)."
        )
    assignment = waves = None
    files: list[Path] = []
    when = start or today or date.today()
    if assign:
        if units is None or units.empty:
            raise DataError("no eligible people to assign", hint="Check the audience and the HRIS data.")
        if out_dir is None:
            raise SpecError("assigning needs an output folder", hint="Pass --out DIR.")
        if design == "staggered":
            col = cluster or "department"
            waves = staggered_waves(
                units[col], program_id=program_id, seed=seed, n_waves=n_waves, start=when, unit_type=col
            )
            files.append(write_design_csv(waves, out_dir, "waves"))
        else:
            units_b = _with_baseline(units, history, kpi)
            strata_cols = list(strata or [])
            assignment = assign_units(
                units_b,
                program_id=program_id,
                seed=seed,
                allocation=allocation,
                strata=strata_cols,
                cluster=cluster,
                assigned_date=when,
                balance_on=[c for c in ("department", "role", "tenure_band", "baseline_kpi") if c in units_b],
            )
            files.append(write_design_csv(assignment.assignments, out_dir, "assignments"))
    recorded = False
    if files:
        batch = record_design(store, files)
        recorded = True
        notes.append(
            f"Recorded in the store as ingest batch {batch.batch_id} (undo with `learnroi ingest --undo`)."
        )
    n_plan = (result.n_required, result.n_treatment, result.n_control)
    if assignment is not None:
        arms = assignment.assignments["arm"]
        n_plan = (len(arms), int((arms == "treatment").sum()), int((arms == "control").sum()))
    plan = None
    if start is not None:
        plan = save_plan(
            con,
            make_plan(
                program_id=program_id,
                primary_kpi=kpi,
                start=start,
                design="staggered" if design == "staggered" else ("cluster" if cluster else "individual"),
                baseline_months=baseline_months,
                measurement_months=measurement_months,
                guardrails=guardrails,
                analysis=analysis,
                rollout_months=n_waves - 1 if design == "staggered" else 0,
                unit={"staggered": "department"}.get(design, "team" if cluster else "employee"),
                cluster=cluster,
                strata=tuple(strata or ()),
                allocation=allocation,
                alpha=alpha,
                target_power=power,
                assumed_effect=eff,
                mde=result.mde_available,
                n_planned=n_plan[0],
                n_treatment=n_plan[1],
                n_control=n_plan[2],
                seed=seed,
                spec_hash=spec_hash,
                hypothesis_id=_hypothesis_for(spec, kpi),
                extra={"power": result.to_dict()},
            ),
        )
    return DesignOutcome(
        power=result,
        moments=moments,
        plan=plan,
        assignment=assignment,
        waves=waves,
        files=tuple(files),
        recorded=recorded,
        notes=tuple(notes),
        hypotheses_added=added,
    )


def _hypothesis_for(spec: Any, kpi: str) -> str | None:
    if spec is None:
        return None
    return next((h.id for h in spec.hypotheses if h.kpi == kpi), None)


def _with_baseline(units: pd.DataFrame, history: pd.DataFrame | None, kpi: str) -> pd.DataFrame:
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


__all__ = ["DesignOutcome", "absolute_effect", "design_pilot", "read_eligible", "record_design"]
