"""The designs the chooser can run on the panel, each with its own refusal rules (see chooser.py).

Every ``run_*`` takes the panel rows for one KPI, the person-level frame and the :class:`DesignInfo`,
and returns an :class:`Outcome`: the result (possibly marked not identified), the reasons for a refusal
and what data would fix it. All work is vectorized group-bys and the estimator modules. The staggered
runner lives in :mod:`learnroi.attribution.chooser_staggered`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from learnroi.attribution.did import did_2x2
from learnroi.attribution.estimates import estimates_from_frame
from learnroi.attribution.its import MIN_PRE, its, month_index
from learnroi.attribution.matching import design_matrix, fit_propensity, matched_cohort
from learnroi.attribution.overlap import overlap
from learnroi.attribution.randomized import (
    crossover_check,
    cuped,
    difference_in_means,
    sample_ratio_test,
)
from learnroi.attribution.result import Diagnostic, EffectResult, Term, make_term
from learnroi.core.errors import DataError

if TYPE_CHECKING:
    from learnroi.attribution.chooser import DesignInfo

CONTROL = "control"
"""The comparison arm's label in ``design/assignments.csv``; every other arm is a treatment."""


@dataclass(frozen=True)
class Candidate:
    """A design the chooser considered: whether it was used and why (not)."""

    design: str
    used: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design, "used": self.used, "why": self.why}


@dataclass(frozen=True)
class Outcome:
    result: EffectResult | None
    reasons: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    ran: bool = True
    """False when the design does not apply to these data (then the chooser tries the next one); a
    design that ran and failed its checks stops the search: a weaker design cannot cure what it found."""


def _flag(s: pd.Series) -> pd.Series:
    return s.astype("boolean").fillna(False).astype(bool)


def windows(rows: pd.DataFrame, info: DesignInfo) -> tuple[pd.Series, pd.Series]:
    """Boolean masks of the evaluation window and the pre-period: from the program start and window
    length when known, else from the panel's ``post`` column."""
    period = pd.to_datetime(rows["period"])
    if info.start is not None:
        start = pd.Timestamp(info.start)
        end = start + pd.DateOffset(months=info.window_months)
        return (period >= start) & (period < end), period < start
    if "post" not in rows.columns:
        raise DataError(
            "the program start is unknown and the panel has no post column",
            hint="Set program.start in the spec (or DesignInfo.start).",
        )
    post = _flag(rows["post"])
    return post, ~post


def people_frame(rows: pd.DataFrame, info: DesignInfo) -> pd.DataFrame:
    """One row per person: ``outcome`` (window mean, or the one value), ``pre_mean``, ``trained``,
    ``took`` and the static columns (first value per person)."""
    g = rows.groupby("employee_id", sort=False)
    static = [
        c
        for c in (
            "arm",
            "department",
            "team_id",
            "role",
            "location",
            "tenure_months",
            "baseline",
            "first_treated_period",
            "wave",
            "cohort",
            "period",
            *(c for c in (info.cluster, info.stagger_cluster, *info.covariates) if c),
        )
        if c in rows.columns
    ]
    static = list(dict.fromkeys(static))
    out = g[static].first() if static else pd.DataFrame(index=g.size().index)
    if info.one_value_per_person:
        out["outcome"] = g["value"].mean()
        out["pre_mean"] = np.nan
    else:
        win, pre = windows(rows, info)
        out["outcome"] = rows["value"].where(win).groupby(rows["employee_id"], sort=False).mean()
        pre_mean = rows["value"].where(pre).groupby(rows["employee_id"], sort=False).mean()
        if "baseline" in rows.columns:
            pre_mean = pre_mean.fillna(out["baseline"])
        out["pre_mean"] = pre_mean
    emp = rows["employee_id"]
    took = next((c for c in ("enrolled", "completed", "treated") if c in rows.columns), None)
    out["took"] = _flag(rows[took]).groupby(emp, sort=False).max() if took else False
    out["trained"] = out["took"]
    out["late"] = False
    if (
        "first_treated_period" in rows.columns
        and info.design == "observational"
        and not info.one_value_per_person
    ):
        win, _ = windows(rows, info)
        last = pd.to_datetime(rows["period"][win]).max()
        first = pd.to_datetime(out["first_treated_period"])
        out["late"] = first.notna() & (first > last)  # enrolled only after the window: neither group
    return out.reset_index()


def naive_contrasts(people: pd.DataFrame) -> tuple[Term, ...]:
    """Trained vs untrained, and before/after for the trained: shown as contrasts, never as answers."""
    out: list[Term] = []
    p = people[people.outcome.notna()]
    if p.trained.any() and (~p.trained).any():
        r = difference_in_means(p.outcome, p.trained)
        out.append(make_term("naive trained vs untrained", r.estimate, r.std_error, r.n))
    t = p[p.trained & p.pre_mean.notna()]
    if len(t) > 1:
        diff = (t.outcome - t.pre_mean).to_numpy(dtype=np.float64)
        out.append(
            make_term(
                "naive before/after (trained)",
                float(diff.mean()),
                float(diff.std(ddof=1) / np.sqrt(len(diff))),
                len(diff),
            )
        )
    return tuple(out)


def materiality(people: pd.DataFrame, info: DesignInfo) -> float:
    if info.material_effect is not None:
        return info.material_effect
    return 0.1 * float(people.outcome.std())


def planned_shares(arms: list[str], allocation: float) -> dict[str, float]:
    """Planned share of each arm: ``control`` gets 1 − ``allocation`` and the other arms split
    ``allocation`` equally (two arms: treatment ``allocation``, control the rest)."""
    others = [a for a in arms if a != CONTROL]
    return {a: (1 - allocation if a == CONTROL else allocation / max(len(others), 1)) for a in arms}


def _assigned(people: pd.DataFrame) -> tuple[pd.DataFrame, Outcome | None]:
    """People with an assigned arm, or why the randomized design cannot run."""
    assigned = people[people.arm.notna()] if "arm" in people else people.iloc[:0]
    if assigned.empty or assigned.arm.nunique() < 2:
        return assigned, Outcome(
            None,
            ("no randomized arms in the panel (the arm column is empty)",),
            ("ingest design/assignments.csv for the program",),
            ran=False,
        )
    if not (assigned.arm == CONTROL).any():
        arms = ", ".join(sorted(map(str, assigned.arm.unique())))
        return assigned, Outcome(
            None,
            (f"no {CONTROL!r} arm among the assigned arms ({arms})",),
            (f"label the comparison arm {CONTROL!r} in design/assignments.csv",),
            ran=False,
        )
    return assigned, None


def run_randomized(rows: pd.DataFrame, people: pd.DataFrame, info: DesignInfo) -> Outcome:
    """ITT by assigned arm; CUPED on the baseline when most people have one (Deng et al. 2013). With more
    than two arms the headline pools every arm against ``control`` (the per-arm comparison is
    :func:`learnroi.attribution.multiarm.multiarm`, run by ``learnroi.pipeline.arms``)."""
    assigned, refusal = _assigned(people)
    if refusal is not None:
        return refusal
    reasons: list[str] = []
    fixes: list[str] = []
    diags: list[Diagnostic] = []
    clus = info.cluster
    if clus and clus not in assigned.columns:
        raise DataError(
            f"the randomization cluster column {clus!r} is not in the panel",
            hint="Set pilot.cluster to a panel column (team_id, department) or leave it empty.",
        )
    units = assigned.groupby(clus).arm.first() if clus else assigned.arm
    arms = sorted(map(str, units.unique()), key=lambda a: (a == CONTROL, a))  # control last
    shares = planned_shares(arms, info.allocation)
    srm = sample_ratio_test([int((units == a).sum()) for a in arms], [shares[a] for a in arms])
    diags.append(srm)
    if not srm.passed:
        reasons.append(f"sample-ratio mismatch: {srm.note}")
        fixes.append(
            "reconcile the assignment file with who appears in the KPI data (lost records, "
            "a broken randomizer); re-randomize if the assignment itself was wrong"
        )
    if clus:
        n_cl = int(assigned[clus].nunique())
        ok = n_cl >= info.min_clusters
        diags.append(
            Diagnostic(
                "clusters", float(n_cl), float(info.min_clusters), ok, f"{n_cl} randomized {clus} clusters"
            )
        )
        if not ok:
            reasons.append(f"too few clusters: {n_cl} randomized {clus} (needs >= {info.min_clusters})")
            fixes.append(f"randomize at least {info.min_clusters} clusters, or randomize individuals")
    diags.append(crossover_check(assigned.arm != CONTROL, assigned.took))
    data = assigned[assigned.outcome.notna()]
    d = (data.arm != CONTROL).to_numpy()
    cl = data[clus].to_numpy() if clus else None
    if data.pre_mean.notna().mean() >= 0.5:
        res = cuped(data.outcome, d, data.pre_mean, cluster=cl)
    else:
        res = difference_in_means(data.outcome, d, cluster=cl)
    attr = 1 - len(data) / len(assigned)
    lost = assigned.outcome.isna().groupby(assigned.arm != CONTROL).mean()
    gap = abs(float(lost.get(True, 0.0)) - float(lost.get(False, 0.0)))
    diags.append(  # What Works Clearinghouse: overall and differential attrition threaten an RCT's ITT
        Diagnostic(
            "attrition",
            attr,
            0.05,
            gap <= 0.05,
            f"{attr:.1%} of assigned people have no KPI in the window; the arms differ by {gap:.1%}",
        )
    )
    res = EffectResult(res.method, "randomized", "ITT", res.terms, res.n, tuple(diags), extra=res.extra)
    return Outcome(res.with_refusal(reasons) if reasons else res, tuple(reasons), tuple(fixes))


def _pre_trend(rows: pd.DataFrame, people: pd.DataFrame, info: DesignInfo) -> tuple[Diagnostic, bool]:
    """Differential linear pre-trend of trained vs untrained (per-person OLS slopes, Welch test) and its
    projected bias over the gap between the pre-period and the window. Refuse when the lower end of
    the slope's 95% interval, projected over the gap, is still material (Roth 2022; Rambachan & Roth
    2023 on judging violations by their size)."""
    win, pre = windows(rows, info)
    t = month_index(rows["period"]).astype("float64")
    r = pd.DataFrame({"e": rows["employee_id"], "t": t, "y": rows["value"]})[pre.to_numpy()]
    r = r.dropna()
    if r.t.nunique() < 2:
        return Diagnostic(
            "pre_trend", None, None, True, "one pre-period only: parallel trends not testable"
        ), False
    s = r.assign(tt=r.t * r.t, ty=r.t * r.y).groupby("e")[["t", "y", "tt", "ty"]].agg("sum")
    n = r.groupby("e").size()
    den = n * s.tt - s.t**2
    slope = ((n * s.ty - s.t * s.y) / den.where(den > 0)).rename("slope")
    p = people.set_index("employee_id").join(slope, how="inner").dropna(subset=["slope"])
    if p.trained.all() or not p.trained.any():
        return Diagnostic("pre_trend", None, None, True, "no pre-period slopes for one group"), False
    test = difference_in_means(p.slope, p.trained)
    gap = float(t[win.to_numpy()].mean() - t[pre.to_numpy()].mean())
    bias = abs(test.estimate) * gap
    mat = materiality(people, info)
    pval = test.terms[0].pvalue()
    lo, hi = test.conf_int()
    bias_low = max(0.0, min(abs(lo), abs(hi)) if lo * hi > 0 else 0.0) * gap
    bad = bias_low > mat  # confidently material: the whole interval of the projected bias exceeds it
    note = (
        f"trained minus untrained pre-period slope {test.estimate:.4g} per month (p = {pval:.3g}); "
        f"projected bias {bias:.4g} vs material {mat:.4g}"
    )
    return Diagnostic("pre_trend", pval, info.alpha, not bad, note), bad


def _covariate_frame(people: pd.DataFrame, info: DesignInfo) -> tuple[pd.DataFrame, list[str]]:
    covs = [c for c in info.covariates if c in people.columns and people[c].notna().all()]
    X = design_matrix(people, covs)
    keep = X.columns[X.std() > 0]
    return X[keep], covs


def run_did(rows: pd.DataFrame, people: pd.DataFrame, info: DesignInfo) -> Outcome:
    """2x2 doubly robust DiD on each person's pre-period mean and window mean (Sant'Anna & Zhao 2020)."""
    p = people[people.outcome.notna() & people.pre_mean.notna() & ~people.late].reset_index(drop=True)
    if p.trained.all() or not p.trained.any():
        return Outcome(
            None,
            ("no comparison group with KPI data before and after",),
            ("record the KPI for untrained people over the same months",),
            ran=False,
        )
    X, _ = _covariate_frame(p, info)
    names = [f"x{i}" for i in range(X.shape[1])]
    base = pd.concat([p[["employee_id", "trained"]], pd.DataFrame(X.to_numpy(), columns=names)], axis=1)
    long = pd.concat([base.assign(y=p.pre_mean, post=0), base.assign(y=p.outcome, post=1)], ignore_index=True)
    long["d"] = long.trained.astype(int)
    reasons: list[str] = []
    fixes: list[str] = []
    ov: tuple[Diagnostic, ...] = ()
    if X.shape[1]:
        fit = fit_propensity(X.to_numpy(), p.trained)
        ov = overlap(fit.score, p.trained)
        if fit.separation:
            ov += (
                Diagnostic(
                    "propensity_separation",
                    1.0,
                    0.0,
                    False,
                    "recorded traits perfectly separate trained and untrained people",
                ),
            )
        for dg in ov:
            if not dg.passed:
                reasons.append(f"poor overlap: {dg.note}")
                fixes.append("add untrained people with the same roles and tenure as the trained")
    if reasons:
        return Outcome(None, tuple(reasons), tuple(fixes))
    res = did_2x2(long, outcome="y", treated="d", post="post", unit="employee_id", covariates=names)
    diags = [*res.diagnostics, *ov]
    trend, bad = _pre_trend(rows[rows.employee_id.isin(p.employee_id)], p, info)
    diags.append(trend)
    if bad:
        reasons.append(f"parallel trends rejected with a material size: {trend.note}")
        fixes.append(
            "find a comparison group that moved like the trained before the program, "
            "or randomize (or stagger) the next roll-out"
        )
    res = EffectResult(
        res.method, res.design, res.estimand, res.terms, res.n, tuple(diags), res.contrasts, extra=res.extra
    )
    return Outcome(res.with_refusal(reasons) if reasons else res, tuple(reasons), tuple(fixes))


def run_matched(rows: pd.DataFrame, people: pd.DataFrame, info: DesignInfo) -> Outcome:
    """Doubly robust AIPW on recorded traits (and the baseline KPI when recorded)."""
    p = people[people.outcome.notna() & ~people.late].reset_index(drop=True)
    if p.trained.all() or not p.trained.any():
        return Outcome(
            None, ("no untrained comparison group",), ("record the KPI for untrained people",), ran=False
        )
    covs = [c for c in info.covariates if c in p.columns and p[c].notna().all() and p[c].nunique() > 1]
    if p.pre_mean.notna().mean() >= 0.9:
        p = p[p.pre_mean.notna()].reset_index(drop=True)
        covs.append("pre_mean")
    keys = [("pre_mean" if k == "baseline" else k) for k in info.key_covariates]
    res = matched_cohort(
        p,
        outcome="outcome",
        treated="trained",
        covariates=covs,
        method="aipw",
        key_covariates=[k for k in keys if k in covs],
    )
    fixes = []
    if not res.identified:
        fixes = [
            "record more pre-program traits of trained and untrained people (prior KPI, tenure, role)",
            "add untrained people who resemble the trained, or randomize the next cohort",
        ]
    return Outcome(res, tuple(res.reasons), tuple(fixes))


def run_its(rows: pd.DataFrame, people: pd.DataFrame, info: DesignInfo) -> Outcome:
    """Segmented regression on the trained people's monthly mean (no comparison group)."""
    ids = people.employee_id[people.trained]
    r = rows[rows.employee_id.isin(ids) & rows["value"].notna()]
    win, _ = windows(r, info)
    start = info.start or pd.to_datetime(r["period"][win]).min()
    res = its(r, outcome="value", period="period", start=start)
    n_pre = int(res.extra["n_pre"])
    if n_pre < MIN_PRE:
        why = f"too few periods before the start for a time series: {n_pre} (needs >= {MIN_PRE})"
        return Outcome(
            res.with_refusal([why]), (why,), ("record the KPI for at least 8 months before the program",)
        )
    return Outcome(res)


def run_estimates(
    estimates: pd.DataFrame | None, info: DesignInfo, n_participants: int | None = None
) -> EffectResult | None:
    if estimates is None or not _has_estimates(estimates, info):
        return None
    try:
        return estimates_from_frame(
            estimates, kpi=info.kpi, program_id=info.program_id, n_participants=n_participants
        )
    except DataError:  # more respondents than trained people in the panel: count the respondents
        return estimates_from_frame(estimates, kpi=info.kpi, program_id=info.program_id)


def _has_estimates(estimates: pd.DataFrame, info: DesignInfo) -> bool:
    """True when the survey rows hold estimates for this program and KPI (other KPIs' rows do not count)."""
    rows = estimates
    if "program_id" in rows:
        rows = rows[rows["program_id"] == info.program_id]
    if "kpi" in rows:
        rows = rows[rows["kpi"] == info.kpi]
    return not rows.empty


def __getattr__(name: str) -> Any:
    """``run_staggered`` moved to :mod:`chooser_staggered`; still importable from here."""
    if name == "run_staggered":
        from learnroi.attribution.chooser_staggered import run_staggered

        return run_staggered
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
