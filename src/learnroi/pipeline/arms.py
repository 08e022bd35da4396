"""Which blend pays: every arm of a randomized multi-arm pilot against the control, its cost and its ROI.

The effects use the same per-person window means (and CUPED baseline) as the two-arm pilot
(:func:`learnroi.attribution.chooser_designs.people_frame`), compared by
:func:`learnroi.attribution.multiarm.multiarm`: Dunnett-type simultaneous max-|t| intervals over the
arms-vs-control family (Dunnett 1955; Hothorn, Bretz & Westfall 2008) and Holm (1979) adjusted p-values.
The design's checks (sample-ratio mismatch over all arms, clusters, attrition) are the pooled chooser's
(:func:`learnroi.attribution.chooser_designs.run_randomized`): when they refuse, no arm is identified.
Costs and ROI per arm follow docs/dev/blended-contract.md §4 (:mod:`learnroi.roi.arms`). The program's
headline stays the chooser's pooled result (any arm vs control).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from learnroi.attribution.chooser import DesignInfo
from learnroi.attribution.chooser_designs import CONTROL, people_frame, planned_shares, run_randomized
from learnroi.attribution.multiarm import multiarm
from learnroi.attribution.result import EffectResult
from learnroi.core.program import ProgramSpec
from learnroi.metrics import ONE_PER_HIRE_KPIS, build_panel, connect
from learnroi.pipeline.analysis import participant_time
from learnroi.roi import EffectInput
from learnroi.roi.arms import ArmRoi, roi_by_arm
from learnroi.store import Store

ARM_COLUMNS = [
    "arm", "n", "effect", "std_error", "conf_low", "conf_high", "p_adjusted", "cost", "cost_per_learner",
    "benefit", "roi_pct", "roi_conf_low", "roi_conf_high", "p_roi_positive",
    "cost_arm", "cost_shared", "cost_participant_time",
]  # fmt: skip
"""The columns of :meth:`ArmAnalysis.tidy` (docs/dev/blended-contract.md §5)."""


@dataclass(frozen=True)
class ArmAnalysis:
    """Per-arm effect (vs control, simultaneous intervals), cost and ROI of one randomized program."""

    program: str
    kpi: str
    reference: str
    effects: EffectResult
    """The multi-arm comparison (terms ``"<arm> - control"``; ``extra["contrasts"]`` has Holm p-values)."""
    arms: tuple[ArmRoi, ...]
    identified: bool
    reasons: tuple[str, ...]
    currency: str
    notes: tuple[str, ...] = ()

    def _contrast(self, arm: str) -> dict[str, Any]:
        return next(c for c in self.effects.extra["contrasts"] if str(c["arm"]) == arm)

    def tidy(self) -> pd.DataFrame:
        """One row per non-control arm: effect with its simultaneous interval and Holm p-value, cost, ROI."""
        rows = [self._row(a) for a in self.arms]
        return pd.DataFrame(rows, columns=ARM_COLUMNS)

    def _row(self, a: ArmRoi) -> dict[str, Any]:
        c = self._contrast(a.arm)
        r = a.roi
        row: dict[str, Any] = {
            "arm": a.arm, "n": a.n, "effect": c["estimate"], "std_error": c["std_error"],
            "conf_low": c["conf_low"], "conf_high": c["conf_high"], "p_adjusted": c["p_value_holm"],
            "cost": a.cost, "cost_per_learner": a.cost_per_learner, "cost_arm": a.cost_arm,
            "cost_shared": a.cost_shared, "cost_participant_time": a.cost_participant_time,
        }  # fmt: skip
        for k in ("benefit", "roi_pct", "roi_conf_low", "roi_conf_high", "p_roi_positive"):
            row[k] = getattr(r, k) if r is not None else None
        return row

    def best(self) -> str | None:
        """The arm with the highest ROI point estimate (None when no ROI was computed)."""
        rois = [(a.roi.roi_pct, a.arm) for a in self.arms if a.roi is not None and a.roi.roi_pct is not None]
        return max(rois)[1] if rois else None

    def summary(self) -> str:
        lvl = float(self.effects.extra.get("level", 0.95))
        lines = [
            f"{self.program} / {self.kpi}: each arm against {self.reference!r} "
            f"({self.effects.method}; {lvl:.0%} simultaneous intervals, Holm-adjusted p)"
        ]
        if not self.identified:
            lines += ["NOT IDENTIFIED (the pilot's checks failed):"] + [f"  - {r}" for r in self.reasons]
        cur = self.currency
        for a in self.arms:
            row = self._row(a)
            roi = (
                "ROI not computed"
                if row["roi_pct"] is None
                else f"ROI {row['roi_pct']:,.0f} % ({row['roi_conf_low']:,.0f} to {row['roi_conf_high']:,.0f} %), "
                f"P(ROI>0) {row['p_roi_positive']:.0%}"
            )
            lines.append(
                f"  {a.arm:<12} n {a.n:,}: effect {row['effect']:,.4g} ({row['conf_low']:,.4g} to "
                f"{row['conf_high']:,.4g}), p {row['p_adjusted']:.3g}; cost {cur} {a.cost:,.0f}; {roi}"
            )
        best = self.best()
        if best is not None and self.identified:
            lines.append(f"  highest ROI: {best} (compare the intervals before choosing)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: one object per arm (the tidy row, the contrast details and the arm's ROI result)."""
        arms = []
        for a in self.arms:
            c = self._contrast(a.arm)
            extra = {
                "p_simultaneous": c["p_value_adjusted"], "p_unadjusted": c["p_value_unadjusted"],
                "conf_low_unadjusted": c["conf_low_unadjusted"], "conf_high_unadjusted": c["conf_high_unadjusted"],
                "cost_share": a.share, "identified": self.identified, "reasons": list(self.reasons),
                "roi": a.roi.to_dict() if a.roi is not None else None,
            }  # fmt: skip
            arms.append(
                {"program": self.program, "kpi": self.kpi, "versus": self.reference, **self._row(a), **extra}
            )
        return {
            "program": self.program,
            "kpi": self.kpi,
            "reference": self.reference,
            "identified": self.identified,
            "reasons": list(self.reasons),
            "method": self.effects.method,
            "arms": arms,
            "notes": list(self.notes),
        }


def assigned_counts(store: Store, program_id: str) -> dict[str, int]:
    """People assigned to each arm of ``program_id`` (``design/assignments.csv``)."""
    rows = store.con.execute(
        "SELECT arm, count(DISTINCT employee_id) FROM assignments WHERE program_id = ? AND arm IS NOT NULL "
        "GROUP BY arm ORDER BY arm",
        [program_id],
    ).fetchall()
    return {str(a): int(n) for a, n in rows}


def arm_participant_time(store: Store, program_id: str) -> pd.DataFrame:
    """Participants' time (LMS hours x loaded hourly rate) of the assigned learners, with their arm."""
    time = participant_time(store, program_id)
    arms = store.con.execute(
        "SELECT employee_id, any_value(arm) AS arm FROM assignments WHERE program_id = ? GROUP BY employee_id",
        [program_id],
    ).df()
    return time.merge(arms, on="employee_id", how="inner")


def analyze_arms(
    store: Store,
    spec: ProgramSpec,
    *,
    kpi: str | None = None,
    seed: int = 0,
    draws: int = 20_000,
    level: float = 0.95,
    always: bool = False,
) -> ArmAnalysis | None:
    """Per-arm effect, cost and ROI of a randomized program with more than two arms (any randomized
    program with a control arm when ``always``); None otherwise."""
    n = assigned_counts(store, spec.id)
    if spec.program.design != "randomized" or CONTROL not in n or len(n) < (2 if always else 3):
        return None
    kpi = kpi or spec.program.primary_kpi
    info = DesignInfo.from_spec(spec, kpi, one_value_per_person=kpi in ONE_PER_HIRE_KPIS)
    panel = build_panel(connect(store.con), spec.id, kpi)
    rows = panel.frame[panel.frame["kpi"] == kpi]
    people = people_frame(rows, info)
    pooled = run_randomized(rows, people, info)
    data = people[people["arm"].notna() & people["outcome"].notna()].reset_index(drop=True)
    order = [CONTROL, *sorted(a for a in map(str, data["arm"].unique()) if a != CONTROL)]
    use_pre = bool(data["pre_mean"].notna().mean() >= 0.5)
    res = multiarm(
        data["outcome"],
        data["arm"].astype(str),
        reference=CONTROL,
        arms=order,
        family="reference",
        pre=data["pre_mean"] if use_pre else None,
        cluster=data[info.cluster] if info.cluster else None,
        level=level,
        seed=seed,
    )
    reasons = tuple(pooled.reasons)
    identified = not reasons and res.identified
    effects = {}
    for c in res.extra["contrasts"]:
        effects[str(c["arm"])] = EffectInput(
            kpi=kpi, estimate=float(c["estimate"]), std_error=float(c["std_error"]), identified=identified,
            reasons=reasons, n=int(n.get(str(c["arm"]), 0)) + int(n[CONTROL]), method=res.method,
        )  # fmt: skip
    ledger = store.con.execute("SELECT * FROM cost_ledger WHERE program_id = ?", [spec.id]).df()
    arms = roi_by_arm(
        spec, effects, n={a: v for a, v in n.items() if a in effects or a == CONTROL}, ledger=ledger,
        participant_time=arm_participant_time(store, spec.id), draws=draws, seed=seed, level=level,
    )  # fmt: skip
    notes = [
        f"planned shares {planned_shares(order, info.allocation)} (sample-ratio check over all arms)",
        "each arm's ROI interval uses its unadjusted standard error; the effect intervals are simultaneous",
        "shared costs split by people assigned to each non-control arm; participants' time by the arm's learners",
    ]
    if "arm" not in ledger.columns or ledger["arm"].isna().all():
        notes.append("the cost ledger has no arm-specific lines: every line is shared by the arms")
    if not any(a.roi is not None for a in arms):
        notes.append(f"{kpi} is not monetized in the spec: costs only, no ROI")
    return ArmAnalysis(
        program=spec.id, kpi=kpi, reference=CONTROL, effects=res, arms=arms, identified=identified,
        reasons=reasons, currency=spec.program.currency, notes=tuple(notes),
    )  # fmt: skip


__all__ = ["ARM_COLUMNS", "ArmAnalysis", "analyze_arms", "arm_participant_time", "assigned_counts"]
