"""ROI of each arm of a multi-arm pilot ("which blend pays"), built on :func:`~learnroi.roi.compute.compute_roi`.

Per-arm cost (docs/dev/blended-contract.md §4; Phillips principle 10, fully loaded): the ledger lines
tagged with the arm, plus the shared lines (no arm) and the spec's fixed ``[[costs]]`` lines times
``n_a / sum_b n_b`` (n = people assigned to each non-control arm), plus the participants' time of the
arm's own learners. Lines prorated over users keep their formula with N = n_a. Per-arm benefit: the
formulas of docs/dev/roi-formulas.md with the arm's effect and reach N = n_a. Every arm uses the same
``seed`` (common random numbers), so differences between arms are not Monte Carlo noise.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from learnroi.core.errors import DataError, UsageError
from learnroi.core.program import ProgramSpec
from learnroi.roi.breakdown import with_reach
from learnroi.roi.compute import compute_roi
from learnroi.roi.costs import as_pandas, cost_model
from learnroi.roi.effect import EffectInput
from learnroi.roi.result import RoiResult
from learnroi.roi.rules import PhillipsRules

CONTROL = "control"
ARM = "arm"


@dataclass(frozen=True)
class ArmRoi:
    """One arm's reach, its fully loaded cost and (for a monetized KPI) its ROI."""

    arm: str
    n: int
    """People assigned to the arm (the reach N)."""
    share: float
    """The arm's share of the shared costs: n_a / sum_b n_b over the non-control arms."""
    cost: float
    cost_per_learner: float | None
    roi: RoiResult | None
    """None when the KPI is not monetized (the cost is still counted)."""
    cost_shared: float = 0.0
    """The arm's share of the shared lines: share x (ledger lines without an arm + the spec's fixed lines)."""
    cost_participant_time: float = 0.0
    """The arm's learners' time at their loaded hourly rates."""
    cost_arm: float = 0.0
    """The rest: the arm's own ledger lines and its prorated spec lines (cost - shared - time)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "n": self.n,
            "share": self.share,
            "cost": self.cost,
            "cost_per_learner": self.cost_per_learner,
            "cost_shared": self.cost_shared,
            "cost_participant_time": self.cost_participant_time,
            "cost_arm": self.cost_arm,
            "roi": self.roi.to_dict() if self.roi is not None else None,
        }


def arm_shares(n: Mapping[str, int], control: str = CONTROL) -> dict[str, float]:
    """Each non-control arm's share of the shared costs, n_a / sum_b n_b (contract §4)."""
    arms = {a: int(v) for a, v in n.items() if a != control}
    total = sum(arms.values())
    if not arms or total <= 0 or any(v <= 0 for v in arms.values()):
        raise UsageError(
            f"every arm needs a positive number of assigned people; got {dict(n)}",
            hint="Pass n as {arm: people assigned}, with at least one arm besides the control.",
        )
    return {a: v / total for a, v in arms.items()}


def _program_lines(ledger: Any, spec: ProgramSpec) -> tuple[pd.DataFrame, pd.Series]:
    """The program's ledger lines and each line's arm (None for a shared line)."""
    df = as_pandas(ledger, "cost ledger")
    if "program_id" in df.columns:
        df = df[df["program_id"].astype(str) == spec.id]
    return df, _arm_tags(df)


def arm_ledger(ledger: Any | None, spec: ProgramSpec, arm: str, share: float) -> pd.DataFrame | None:
    """The arm's ledger: its own lines (``arm`` = the arm) and the shared lines (no arm) times ``share``.
    Lines of other arms (including the control) are left out; a ledger without an ``arm`` column is
    all shared."""
    if ledger is None:
        return None
    df, tag = _program_lines(ledger, spec)
    own = df[tag == arm]
    shared = df[tag.isna()]
    shared = shared.assign(amount=pd.to_numeric(shared["amount"], errors="coerce") * share)
    return pd.concat([own, shared], ignore_index=True)


def _shared_amount(ledger: Any | None, spec: ProgramSpec, share: float) -> float:
    """The arm's part of what every arm shares: ``share`` x (the ledger lines without an arm + the spec's
    fixed, not prorated, cost lines)."""
    lines = 0.0
    if ledger is not None:
        df, tag = _program_lines(ledger, spec)
        lines = float(pd.to_numeric(df.loc[tag.isna(), "amount"], errors="coerce").fillna(0.0).sum())
    return share * (lines + sum(c.amount for c in spec.costs if not c.prorate_over_users))


def _arm_tags(df: pd.DataFrame) -> pd.Series:
    """Each line's arm, None for shared lines (no ``arm`` column, or an empty cell)."""
    if ARM not in df.columns:
        return pd.Series([None] * len(df), index=df.index, dtype=object)
    raw = df[ARM]
    tag = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    return tag.where(tag != "", None)


def _arm_spec(spec: ProgramSpec, n: int, share: float) -> ProgramSpec:
    """Reach N = n_a; the spec's fixed cost lines scaled by the arm's share, prorated lines unchanged."""
    lines = [
        c if c.prorate_over_users else c.model_copy(update={"amount": c.amount * share}) for c in spec.costs
    ]
    out = with_reach(spec, float(n), source="people assigned to the arm")
    return out.model_copy(update={"costs": lines})


def roi_by_arm(
    spec: ProgramSpec,
    effects: Mapping[str, EffectInput],
    *,
    n: Mapping[str, int],
    ledger: Any | None = None,
    participant_time: Any | None = None,
    control: str = CONTROL,
    basis: Literal["attributed", "estimates", "forecast"] = "attributed",
    draws: int = 20_000,
    seed: int = 0,
    rules: PhillipsRules = PhillipsRules(),  # noqa: B008 - frozen, so a shared default is safe
    level: float = 0.95,
) -> tuple[ArmRoi, ...]:
    """Cost and ROI of each non-control arm in ``effects`` (arm -> effect against ``control``).

    ``n``: people assigned per arm (the control may be included; it carries no cost). ``participant_time``:
    one row per learner (``employee_id, hours, hourly_rate``) with an ``arm`` column; each arm counts its
    own learners' time. When the effect's KPI is not monetized in ``spec`` only the cost is computed.
    """
    shares = arm_shares(n, control)
    missing = sorted(set(effects) - set(shares))
    if missing:
        raise UsageError(
            f"effects for arm(s) {missing} have no assigned people in n",
            hint="Pass n with the people assigned to every arm that has an effect.",
        )
    time = as_pandas(participant_time, "participant-time frame") if participant_time is not None else None
    if time is not None and ARM not in time.columns:
        raise DataError(
            "the participant-time frame has no arm column",
            where="participant time",
            hint="Join each learner's assigned arm (design/assignments.csv) to the participant-time rows.",
        )
    out = []
    for arm, effect in effects.items():
        share = shares[arm]
        arm_spec = _arm_spec(spec, int(n[arm]), share)
        led = arm_ledger(ledger, spec, arm, share)
        rows = None if time is None else time[time[ARM].astype(str) == arm].drop(columns=[ARM])
        part = None if rows is None or rows.empty else rows
        model = cost_model(arm_spec, led, part)
        cost = float(model.total(np.asarray([float(n[arm])]))[0])
        learners = model.learners or int(n[arm])
        link = spec.kpi(effect.kpi)
        roi = None
        if link is not None and link.monetized:
            roi = compute_roi(
                arm_spec, effect, ledger=led, participant_time=part, basis=basis, draws=draws,
                seed=seed, rules=rules, level=level,
            )  # fmt: skip
        per = cost / learners if cost > 0 and learners > 0 and math.isfinite(cost) else None
        shared_cost = _shared_amount(ledger, spec, share)
        time_cost = float(model.by_category(float(n[arm])).get("participant_time", 0.0))
        out.append(
            ArmRoi(
                arm,
                int(n[arm]),
                share,
                cost,
                per,
                roi,
                shared_cost,
                time_cost,
                cost - shared_cost - time_cost,
            )
        )
    return tuple(out)


__all__ = ["ArmRoi", "arm_ledger", "arm_shares", "roi_by_arm"]
