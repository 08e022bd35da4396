"""The always-valid reading of a running pilot, from the store: plan + assignments + the KPI so far.

At each month end of the measurement window reached so far, the estimate is the CUPED-adjusted
difference in means of each person's KPI mean since the start (the baseline-window mean as covariate,
theta pooled within arms; Deng et al. 2013), with cluster-level variance for cluster designs
(Donner & Klar 2000). :func:`learnroi.design.sequential.sequential_test` turns the looks into
always-valid p-values and intervals; the final look is the end of the planned measurement window.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from learnroi.core.errors import DataError, SpecError
from learnroi.design.moments import read_kpi_history
from learnroi.design.plan import PilotPlan, require_plan
from learnroi.design.sequential import SequentialResult, planned_variance, sequential_test


def _plan_variance(plan: PilotPlan, fallback: float) -> float:
    power = plan.extra.get("power", {}) if isinstance(plan.extra, dict) else {}
    sd = power.get("sd")
    n1, n0 = plan.n_treatment, plan.n_control
    if not sd or not n1 or not n0:
        return fallback
    return planned_variance(
        float(sd),
        int(n1),
        int(n0),
        rho=float(power.get("rho") or 0.0),
        deff=float(power.get("design_effect") or 1.0),
    )


def look_estimates(
    history: pd.DataFrame, assignments: pd.DataFrame, plan: PilotPlan, as_of: date | None = None
) -> pd.DataFrame:
    """One row per monthly look: ``look_end, n, estimate, variance, reached`` (pure; frames in, frame out).

    ``history``: employee_id, period, value of the primary KPI; ``assignments``: employee_id, arm, cluster_id.
    """
    h = history.assign(period=pd.to_datetime(history["period"]))
    arm = assignments.set_index("employee_id")
    start, end = pd.Timestamp(plan.measurement_start), pd.Timestamp(plan.measurement_end)
    last = min(h["period"].max(), pd.Timestamp(as_of or end), end)
    months = pd.date_range(start, last, freq="MS")
    if len(months) == 0:
        raise DataError(
            f"no {plan.primary_kpi} data in the measurement window yet (it starts {plan.measurement_start})",
            hint="Ingest the latest performance export, then look again.",
        )
    base = h[(h["period"] >= pd.Timestamp(plan.baseline_start)) & (h["period"] < start)]
    pre = base.groupby("employee_id")["value"].mean().rename("pre")
    rows = []
    for k, month in enumerate(months, start=1):  # one iteration per month of the window (<= 12)
        window = h[(h["period"] >= start) & (h["period"] <= month)]
        post = window.groupby("employee_id")["value"].mean().rename("post")
        frame = pd.concat([post, pre], axis=1).join(arm, how="inner").dropna(subset=["post"])
        est, var = _cuped_difference(frame, plan.cluster is not None)
        rows.append(
            {
                "look": k,
                "look_end": (month + pd.offsets.MonthEnd(0)).date(),
                "n": len(frame),
                "estimate": est,
                "variance": var,
                "reached": bool(month + pd.offsets.MonthEnd(0) >= end),
            }
        )
    return pd.DataFrame(rows)


def _cuped_difference(frame: pd.DataFrame, clustered: bool) -> tuple[float, float]:
    t = (frame["arm"] == "treatment").to_numpy()
    if t.sum() < 2 or (~t).sum() < 2:
        raise DataError(
            "fewer than two people with data in an arm",
            hint="Check that the assignment was recorded (`learnroi ingest design`) and the KPI ingested.",
        )
    y = frame["post"].to_numpy(dtype=float)
    x = frame["pre"].to_numpy(dtype=float)
    if np.isfinite(x).sum() > 3:
        x = np.where(np.isfinite(x), x, np.nanmean(x))
        xc = x - np.where(t, x[t].mean(), x[~t].mean())
        yc = y - np.where(t, y[t].mean(), y[~t].mean())
        theta = float((xc * yc).sum() / (xc**2).sum()) if (xc**2).sum() > 0 else 0.0
        y = y - theta * (x - x.mean())
    if clustered:
        cl = pd.DataFrame({"y": y, "t": t, "c": frame["cluster_id"].astype(str).to_numpy()})
        means = cl.groupby(["c", "t"])["y"].mean().reset_index()
        y, t = means["y"].to_numpy(), means["t"].to_numpy(dtype=bool)
    est = float(y[t].mean() - y[~t].mean())
    var = float(y[t].var(ddof=1) / t.sum() + y[~t].var(ddof=1) / (~t).sum())
    return est, var


def interim_reading(
    con: Any, program_id: str, *, as_of: date | None = None, alpha_interim: float | None = None
) -> SequentialResult:
    """The always-valid reading of a program's running pilot at each month end so far."""
    plan = require_plan(con, program_id)
    if plan.design == "staggered":
        raise SpecError(
            "interim looks are for randomized pilots; this plan is a staggered roll-out",
            hint="Analyse a roll-out with `learnroi attribute --design staggered` after each wave.",
        )
    assignments: pd.DataFrame = con.execute(
        "SELECT employee_id, arm, cluster_id FROM assignments WHERE program_id = ?", [program_id]
    ).df()
    if assignments.empty:
        raise DataError(
            f"no assignment is recorded for {program_id!r}",
            hint="Assign with `learnroi design SPEC --assign` or ingest design/assignments.csv.",
        )
    history = read_kpi_history(con, plan.primary_kpi)
    looks = look_estimates(history.drop(columns=["kpi"]), assignments, plan, as_of)
    a_int = alpha_interim if alpha_interim is not None else (plan.alpha_interim or plan.alpha / 5)
    return sequential_test(
        looks["estimate"].to_numpy(),
        looks["variance"].to_numpy(),
        planned_variance=_plan_variance(plan, float(looks["variance"].iloc[-1])),
        n=looks["n"].to_numpy(),
        reached=looks["reached"].to_numpy(),
        alpha=plan.alpha,
        alpha_interim=a_int,
    )
