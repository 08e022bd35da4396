"""`learnroi design [SPEC]`: size a pilot on the KPI's real variance, assign people or waves, store the plan.

The spec (optional) gives the program, the primary KPI, the hypothesis's assumed effect and the
``[pilot]`` settings; options override them. Without ``--start`` nothing but the hypotheses is stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from learnroi.cli.common import DbOption, JsonOption, console, db_path, print_json
from learnroi.core.errors import UsageError
from learnroi.core.program import load_spec, spec_hash
from learnroi.design import design_pilot, interim_reading, record_looks, require_plan
from learnroi.store import Store

Opt = typer.Option


def _from_spec(spec: Any, kpi: str | None) -> dict[str, Any]:
    """Defaults taken from a program spec: program, KPI, design, assumed effect, [pilot] settings."""
    chosen = kpi or spec.program.primary_kpi
    hyp = next((h for h in spec.hypotheses if h.kpi == chosen), None)
    pilot = spec.pilot
    out: dict[str, Any] = {
        "program_id": spec.id,
        "kpi": chosen,
        "audience": spec.program.audience,
        "design": "staggered" if spec.program.design == "staggered" else "individual",
    }
    if hyp is not None:
        out["effect"] = hyp.assumed_effect
        out["effect_unit"] = "relative" if hyp.assumed_effect_unit == "relative" else "absolute"  # KPI units
    if pilot is not None:
        out.update(
            allocation=pilot.allocation,
            strata=list(pilot.strata),
            cluster=pilot.cluster or ("team_id" if pilot.unit == "team" else None),
            baseline_months=pilot.baseline_months,
            measurement_months=pilot.measurement_months,
            guardrails=list(pilot.guardrails),
            analysis=pilot.analysis,
        )
        if pilot.arms:
            out["arms"] = list(pilot.arms)
    return out


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def design(
    spec_file: Annotated[
        Path | None, typer.Argument(help="A program spec (program-<id>.toml); options override it.")
    ] = None,
    program: Annotated[str | None, Opt("--program", help="Program id (when no spec is given).")] = None,
    kpi: Annotated[str | None, Opt("--kpi", help="The KPI (default: the spec's primary KPI).")] = None,
    effect: Annotated[
        float | None, Opt("--effect", help="Assumed effect (default: the spec's hypothesis).")
    ] = None,
    relative: Annotated[
        bool | None,
        Opt(
            "--relative/--absolute", help="--effect is a share of the baseline (0.05 = +5 %) or in KPI units."
        ),
    ] = None,
    kind: Annotated[str | None, Opt("--kind", help="mean or proportion (default: from the data).")] = None,
    design_name: Annotated[
        str | None, Opt("--design", help="individual, cluster or staggered (default: from the spec).")
    ] = None,
    sd: Annotated[float | None, Opt("--sd", help="KPI standard deviation (default: measured).")] = None,
    rho: Annotated[
        float | None, Opt("--rho", help="Pre/post correlation for CUPED (default: measured).")
    ] = None,
    baseline: Annotated[
        float | None, Opt("--baseline", help="Baseline mean or proportion (default: measured).")
    ] = None,
    icc: Annotated[
        float | None, Opt("--icc", help="Intraclass correlation (default: measured by cluster).")
    ] = None,
    cluster: Annotated[
        str | None, Opt("--cluster", help="Randomize by this column (team_id, department).")
    ] = None,
    allocation: Annotated[float | None, Opt("--allocation", help="Share treated (default 0.5).")] = None,
    arms: Annotated[
        str | None,
        Opt(
            "--arms",
            help="Multi-arm pilot: comma-separated treatment arms (e.g. digital,blended,classroom), "
            "each compared with a shared control at the family-wise --alpha.",
        ),
    ] = None,
    control_share: Annotated[
        float | None,
        Opt(
            "--control-share",
            help="With --arms: share in control (default 1 - --allocation if given, else sqrt(k)/(k+sqrt(k))).",
        ),
    ] = None,
    alpha: Annotated[float, Opt("--alpha", help="Two-sided significance level.")] = 0.05,
    power: Annotated[float, Opt("--power", help="Target power.")] = 0.8,
    n: Annotated[
        int | None, Opt("--n", help="People available (default: the eligible people in the store).")
    ] = None,
    baseline_months: Annotated[int | None, Opt("--baseline-months")] = None,
    measurement_months: Annotated[int | None, Opt("--measurement-months")] = None,
    strata: Annotated[
        str | None, Opt("--strata", help="Comma-separated: department,role,tenure_band,baseline_kpi.")
    ] = None,
    guardrails: Annotated[str | None, Opt("--guardrails", help="Comma-separated guardrail KPIs.")] = None,
    start: Annotated[
        str | None, Opt("--start", help="Pilot start YYYY-MM-DD: stores the dated plan.")
    ] = None,
    assign: Annotated[bool, Opt("--assign", help="Randomize and write design/*.csv under --out.")] = False,
    out: Annotated[Path, Opt("--out", help="Folder for design/assignments.csv or design/waves.csv.")] = Path(
        "learnroi-data"
    ),
    seed: Annotated[
        int, Opt("--seed", help="Randomization seed (write it down: it reproduces the assignment).")
    ] = 20240101,
    waves: Annotated[int, Opt("--waves", help="Number of roll-out waves (staggered design).")] = 3,
    look: Annotated[
        bool,
        Opt("--look", help="Read the running pilot: always-valid p-value and interval at each month end."),
    ] = False,
    as_of: Annotated[
        str | None, Opt("--as-of", help="With --look: the last date to use (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Size a pilot (n, power, MDE) on the KPI's measured variance, assign it, and store its 90-day plan."""
    kw: dict[str, Any] = {}
    spec = None
    digest = None
    if spec_file is not None:
        spec = load_spec(spec_file)
        digest = spec_hash(spec_file.read_text(encoding="utf-8"))
        kw.update(_from_spec(spec, kpi))
    elif program is None or (kpi is None and not look):
        raise UsageError(
            "give a program spec, or --program and --kpi",
            hint="e.g. `learnroi design program-sales-skills.toml` or "
            "`learnroi design --program sales --kpi revenue --effect 0.05 --relative`.",
        )
    overrides = {
        "program_id": program,
        "kpi": kpi,
        "effect": effect,
        "kind": kind,
        "design": design_name,
        "sd": sd,
        "rho": rho,
        "baseline": baseline,
        "icc": icc,
        "cluster": cluster,
        "allocation": allocation,
        "n_available": n,
        "baseline_months": baseline_months,
        "measurement_months": measurement_months,
        "strata": _csv(strata),
        "guardrails": _csv(guardrails),
        "arms": _csv(arms),
        "control_share": control_share,
    }
    kw.update({k: v for k, v in overrides.items() if v is not None})
    if relative is not None:
        kw["effect_unit"] = "relative" if relative else "absolute"
    if kw.get("kind") not in (None, "mean", "proportion"):
        raise UsageError(f"--kind must be mean or proportion; got {kw['kind']!r}", hint="Pass --kind mean.")
    if kw.get("design") == "cluster":
        kw["design"] = "individual"
        kw.setdefault("cluster", "team_id")
    if kw.get("design") not in (None, "individual", "staggered"):
        raise UsageError(
            f"--design must be individual, cluster or staggered; got {kw['design']!r}",
            hint="Pass --design individual.",
        )
    if control_share is not None and not kw.get("arms"):
        raise UsageError("--control-share needs --arms", hint="Use --allocation for a two-arm pilot.")
    if kw.get("arms") and control_share is None:
        kw["control_share"] = _control_share_from_allocation(allocation, spec)
    if look:
        _look(kw["program_id"], _parse_date(as_of, "--as-of"), db, as_json)
        return
    start_day = _parse_date(start)
    with Store.open(db_path(db)) as store:
        outcome = design_pilot(
            store,
            alpha=alpha,
            power=power,
            start=start_day,
            assign=assign,
            out_dir=out,
            seed=seed,
            n_waves=waves,
            spec=spec,
            spec_hash=digest,
            **kw,
        )
    if as_json:
        print_json(outcome.to_dict())
    else:
        console.print(outcome.summary(), markup=False, soft_wrap=True)


def _look(program_id: str, as_of: date | None, db: Path | None, as_json: bool) -> None:
    """Print (and store) the always-valid reading of a running pilot."""
    with Store.open(db_path(db)) as store:
        reading = interim_reading(store.con, program_id, as_of=as_of)
        record_looks(store.con, program_id, require_plan(store.con, program_id).primary_kpi, reading)
    if as_json:
        print_json(reading.to_dict())
        return
    table = Table(title=f"Interim looks: {program_id}")
    for col in ("look", "n", "estimate", "always-valid interval", "always-valid p", "naive p", "information"):
        table.add_column(col, justify="right")
    for r in reading.looks.to_dict(orient="records"):
        table.add_row(
            str(r["look"]),
            f"{r['n']:,.0f}",
            f"{r['estimate']:,.4g}",
            f"[{r['conf_low']:,.4g}, {r['conf_high']:,.4g}]",
            f"{r['p_value']:.3g}",
            f"{r['naive_p_value']:.3g} (not valid)",
            f"{r['information']:.0%}",
        )
    console.print(table)
    console.print(f"Decision: {reading.decision}", markup=False, soft_wrap=True)


def _control_share_from_allocation(allocation: float | None, spec: Any) -> float | None:
    """With --arms, an explicit --allocation or spec ``[pilot] allocation`` is the share *not* in control
    (the analysis' convention), so the control share is its complement; None keeps the square-root rule."""
    pilot = getattr(spec, "pilot", None)
    if allocation is None and pilot is not None and "allocation" in pilot.model_fields_set:
        allocation = pilot.allocation
    return None if allocation is None else 1.0 - allocation


def _parse_date(text: str | None, option: str = "--start") -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date", hint="Write it as YYYY-MM-DD, e.g. --start 2025-02-01."
        ) from None


def register(app: typer.Typer) -> None:
    """Add `learnroi design` to the app."""
    app.command("design")(design)
