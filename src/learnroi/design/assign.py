"""Reproducible assignment: stratified and cluster randomization, staggered roll-out waves, balance.

* Stratified (blocked) randomization: within each stratum, units are put in a seeded random order and
  the first ``round(allocation * n_s)`` are treated, the fractional part rounded at random so the expected
  share is exactly ``allocation`` (Kernan et al. 1999, "Stratified randomization for clinical trials").
  Numeric stratifiers (baseline KPI, tenure) are cut into quantile bands first.
* Multi-arm (control + k arms): within each stratum the control gets its share (random rounding) and the
  rest are dealt to the k arms in turn from a random starting arm, so arms differ by at most one person
  per stratum (permuted blocks, Kernan et al. 1999); the default control share is Dunnett's (1955)
  square-root rule. Balance is reported for each arm against control.
* Cluster randomization: the same routine on clusters (teams), each cluster's people inherit its arm
  (Donner & Klar 2000).
* Staggered roll-out: units (departments) in seeded random order, spread over waves round-robin within
  strata so each wave gets a similar mix (a stepped-wedge schedule, Hussey & Hughes 2007).
* Balance: standardized mean differences by covariate (Austin 2009, eqs. 1-2); |SMD| <= 0.1 is balanced.

Everything is vectorized (pandas ``groupby`` ranks); randomness only through ``default_rng(seed)``.
Frames come out in the ``design/assignments.csv`` / ``design/waves.csv`` layouts of data-layout.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from learnroi.core.errors import DataError, SpecError
from learnroi.design.multiarm_power import CONTROL, check_arms

ASSIGNMENT_COLUMNS = ["program_id", "employee_id", "arm", "stratum", "cluster_id", "assigned_date"]
WAVE_COLUMNS = ["program_id", "unit_type", "unit_id", "wave", "start_date"]
SMD_THRESHOLD = 0.1


def tenure_band(hire_date: Any, as_of: date) -> pd.Series:
    """Tenure bands ``<1y, 1-3y, 3-5y, 5y+`` at ``as_of`` from hire dates."""
    years = (pd.Timestamp(as_of) - pd.to_datetime(pd.Series(hire_date))).dt.days / 365.25
    return pd.cut(
        years, [-np.inf, 1, 3, 5, np.inf], labels=["<1y", "1-3y", "3-5y", "5y+"], right=False
    ).astype(str)


def _strata_labels(units: pd.DataFrame, strata: list[str], bins: int) -> pd.Series:
    """One label per row joining the stratifiers; numeric ones with many values are cut into quantile bands."""
    if not strata:
        return pd.Series("all", index=units.index)
    parts = []
    for col in strata:
        if col not in units.columns:
            raise SpecError(
                f"stratifier {col!r} is not a column of the units ({', '.join(map(str, units.columns))})",
                hint="Stratify by department, role, tenure_band or baseline_kpi, or add that column.",
            )
        s = units[col]
        if pd.api.types.is_numeric_dtype(s) and s.nunique() > bins:
            band = pd.qcut(s.rank(method="first"), bins, labels=[f"q{i + 1}" for i in range(bins)])
            s = band.astype(str).where(units[col].notna(), "missing")
        parts.append(f"{col}=" + s.astype(str).where(s.notna(), "missing"))
    label = parts[0]
    for p in parts[1:]:
        label = label + "|" + p
    return label


def randomize(strata: pd.Series, *, allocation: float, rng: np.random.Generator) -> np.ndarray:
    """Blocked randomization: a boolean "treated" per row, ``allocation`` of each stratum (random rounding)."""
    key = rng.random(len(strata))
    frame = pd.DataFrame({"s": strata.to_numpy(), "key": key})
    rank = frame.groupby("s")["key"].rank(method="first").to_numpy()
    size = frame.groupby("s")["key"].transform("size").to_numpy()
    labels, codes = np.unique(frame["s"].to_numpy(), return_inverse=True)
    extra = rng.random(len(labels))[codes]
    target = allocation * size
    n_treat = np.floor(target) + (extra < target - np.floor(target))
    return np.asarray(rank <= n_treat)


def randomize_arms(
    strata: pd.Series, *, control_share: float, k: int, rng: np.random.Generator
) -> np.ndarray:
    """Blocked multi-arm randomization: an arm code per row, 0 = control, 1..k = the arms.

    Within each stratum, a seeded random order; the first ``control_share * n_s`` (random rounding) go to
    control and the rest to arms ``1..k`` in turn from a random first arm, so arm sizes differ by <= 1.
    """
    control = randomize(strata, allocation=control_share, rng=rng)
    key = rng.random(len(strata))
    frame = pd.DataFrame({"s": strata.to_numpy(), "key": np.where(control, np.inf, key)})
    pos = frame.groupby("s")["key"].rank(method="first").to_numpy().astype(np.int64) - 1
    labels, codes = np.unique(frame["s"].to_numpy(), return_inverse=True)
    offset = rng.integers(0, k, len(labels))[codes]
    return np.where(control, 0, (pos + offset) % k + 1)


@dataclass(frozen=True)
class Assignment:
    """Who is in which arm (``assignments``, data-layout columns) and the balance of that assignment."""

    program_id: str
    assignments: pd.DataFrame
    balance: BalanceReport
    seed: int
    method: str
    arms: tuple[str, ...] = ()
    """Treatment-arm labels of a multi-arm assignment (empty for treatment/control)."""

    def tidy(self) -> pd.DataFrame:
        return self.assignments.copy()

    def summary(self) -> str:
        a = self.assignments
        counts = self.n_per_arm
        lines = [
            f"{self.program_id}: {self.method}, seed {self.seed}",
            "  " + ", ".join(f"{n:,} {arm}" for arm, n in counts.items()) + ", "
            f"{a['stratum'].nunique()} strata"
            + (f", {a['cluster_id'].nunique()} clusters" if a["cluster_id"].notna().any() else ""),
            self.balance.summary(),
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        a = self.assignments
        return {
            "program_id": self.program_id,
            "seed": self.seed,
            "method": self.method,
            "n_treatment": int((a["arm"] != CONTROL).sum()),
            "n_control": int((a["arm"] == CONTROL).sum()),
            "n_per_arm": self.n_per_arm,
            "balance": self.balance.to_dict(),
        }

    @property
    def n_per_arm(self) -> dict[str, int]:
        """People per arm, control first, then the arms in the order given (``treatment`` for two arms)."""
        counts = self.assignments["arm"].value_counts()
        order = [CONTROL] + [str(x) for x in pd.unique(self.assignments["arm"]) if x != CONTROL]
        order = [CONTROL, *self.arms] if self.arms else order
        return {arm: int(counts.get(arm, 0)) for arm in order}


@dataclass(frozen=True)
class BalanceReport:
    """Standardized mean differences, treatment vs control, per covariate (and level, for categories)."""

    table: pd.DataFrame

    @property
    def max_abs_smd(self) -> float:
        return float(self.table["smd"].abs().max()) if len(self.table) else 0.0

    @property
    def balanced(self) -> bool:
        return bool(self.max_abs_smd <= SMD_THRESHOLD)

    def tidy(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        if self.table.empty:
            return "  balance: no covariates"
        worst = self.table.iloc[int(np.argmax(self.table["smd"].abs().to_numpy()))]
        verdict = "balanced" if self.balanced else "IMBALANCED"
        return (
            f"  balance: {verdict}; largest |SMD| {self.max_abs_smd:.3f} ("
            + (f"{worst['arm']} vs control, " if "arm" in self.table.columns else "")
            + f"{worst['covariate']}"
            + (f" = {worst['level']}" if isinstance(worst["level"], str) and worst["level"] else "")
            + f"), threshold {SMD_THRESHOLD}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "balanced": self.balanced,
            "max_abs_smd": self.max_abs_smd,
            "table": self.table.astype(object).where(self.table.notna(), None).to_dict(orient="records"),
        }


def balance_report(units: pd.DataFrame, treated: Any, covariates: list[str]) -> BalanceReport:
    """SMD per covariate: numeric ``(m1 - m0) / sqrt((v1 + v0) / 2)``; each category level as a share."""
    t = np.asarray(treated, dtype=bool)
    rows: list[dict[str, Any]] = []
    for col in covariates:
        if col not in units.columns:
            continue
        s = units[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            x = s.to_numpy(dtype=float)
            rows.append(_smd_row(col, "", x[t], x[~t]))
        else:
            dummies = pd.get_dummies(s.astype(str), dtype=float)
            for level in dummies.columns:
                x = dummies[level].to_numpy()
                rows.append(_smd_row(col, str(level), x[t], x[~t]))
    cols = ["covariate", "level", "mean_treatment", "mean_control", "smd", "balanced"]
    return BalanceReport(pd.DataFrame(rows, columns=cols))


def _smd_row(col: str, level: str, x1: np.ndarray, x0: np.ndarray) -> dict[str, Any]:
    x1, x0 = x1[~np.isnan(x1)], x0[~np.isnan(x0)]
    m1 = float(x1.mean()) if len(x1) else float("nan")
    m0 = float(x0.mean()) if len(x0) else float("nan")
    pooled = np.sqrt((np.var(x1, ddof=1) + np.var(x0, ddof=1)) / 2) if len(x1) > 1 and len(x0) > 1 else np.nan
    smd = 0.0 if pooled == 0 else float((m1 - m0) / pooled)
    return {
        "covariate": col,
        "level": level,
        "mean_treatment": m1,
        "mean_control": m0,
        "smd": smd,
        "balanced": bool(abs(smd) <= SMD_THRESHOLD),
    }


def assign_units(
    units: pd.DataFrame,
    *,
    program_id: str,
    seed: int,
    allocation: float = 0.5,
    strata: list[str] | None = None,
    cluster: str | None = None,
    bins: int = 4,
    assigned_date: date | None = None,
    balance_on: list[str] | None = None,
    arms: Sequence[str] | None = None,
    control_share: float | None = None,
) -> Assignment:
    """Randomize people (``employee_id`` rows) to treatment/control, stratified and optionally by cluster.

    With ``cluster`` (e.g. ``team_id``) whole clusters are randomized, stratified by each cluster's most
    common stratum. The same inputs and seed always give the same assignment. ``arms`` (two or more
    labels, e.g. ``("digital", "blended", "classroom")``) randomizes to ``control`` + those arms instead,
    ``control_share`` in control (default: the square-root rule) and ``allocation`` ignored.
    """
    multi = arms is not None and len([a for a in arms if a.strip() and a.strip() != CONTROL]) > 1
    labels, share = check_arms(arms, control_share) if multi and arms is not None else ((), 0.0)
    strata = list(strata or [])
    if "employee_id" not in units.columns or units.empty:
        raise DataError(
            "no people to assign (need an employee_id column with rows)",
            hint="Ingest the HRIS export first (`learnroi ingest hris FILE`) or check the audience filter.",
        )
    if units["employee_id"].duplicated().any():
        raise DataError(
            "employee_id is not unique among the units to assign",
            hint="Pass one row per person (the current HRIS view).",
        )
    if not 0 < allocation < 1:
        raise SpecError(f"allocation must be in (0, 1); got {allocation}", hint="Use e.g. 0.5.")
    rng = np.random.default_rng(seed)
    units = units.sort_values("employee_id", kind="stable").reset_index(drop=True)
    label = _strata_labels(units, strata, bins)

    def draw(strata_labels: pd.Series) -> np.ndarray:
        if multi:
            return randomize_arms(strata_labels, control_share=share, k=len(labels), rng=rng)
        return randomize(strata_labels, allocation=allocation, rng=rng).astype(np.int64)

    if cluster is None:
        code = draw(label)
        cluster_id: pd.Series = pd.Series(pd.NA, index=units.index, dtype="string")
        method = "stratified randomization" if strata else "complete randomization"
    else:
        if cluster not in units.columns or units[cluster].isna().any():
            raise DataError(
                f"cluster column {cluster!r} is missing or has empty values",
                hint="Every person needs a team (HRIS team_id), or randomize individuals.",
            )
        per = pd.DataFrame({"c": units[cluster].astype(str), "s": label})
        cl = per.groupby("c")["s"].agg(lambda s: s.value_counts().index[0]).sort_index()
        arm_c = pd.Series(draw(cl), index=cl.index)
        code = arm_c.reindex(per["c"]).to_numpy()
        label = per["c"].map(cl)
        cluster_id = per["c"].astype("string")
        method = f"cluster randomization by {cluster}" + (" (stratified)" if strata else "")
    if multi:
        method = f"{method} to control + {len(labels)} arms (control share {share:.1%})"
    names = np.array([CONTROL, *labels] if multi else [CONTROL, "treatment"], dtype=object)
    when = assigned_date or date.today()
    frame = pd.DataFrame(
        {
            "program_id": program_id,
            "employee_id": units["employee_id"].astype(str),
            "arm": names[code],
            "stratum": label.astype(str).to_numpy(),
            "cluster_id": cluster_id.to_numpy(),
            "assigned_date": when.isoformat(),
        }
    )[ASSIGNMENT_COLUMNS]
    cov = balance_on if balance_on is not None else list(strata)
    if not multi:
        return Assignment(program_id, frame, balance_report(units, code == 1, cov), seed, method)
    return Assignment(program_id, frame, _arm_balance(units, code, labels, cov), seed, method, labels)


def _arm_balance(
    units: pd.DataFrame, code: np.ndarray, labels: tuple[str, ...], cov: list[str]
) -> BalanceReport:
    """Balance of each arm against control (Austin 2009 SMDs), one block of rows per arm."""
    tables = []
    for j, arm in enumerate(labels, start=1):
        keep = (code == 0) | (code == j)
        table = balance_report(units[keep], code[keep] == j, cov).table
        tables.append(table.assign(arm=arm)[["arm", *table.columns]])
    return BalanceReport(pd.concat(tables, ignore_index=True))


def staggered_waves(
    units: Any,
    *,
    program_id: str,
    seed: int,
    n_waves: int,
    start: date,
    months_between: int = 1,
    holdout_share: float = 0.0,
    unit_type: str = "department",
    strata: pd.Series | None = None,
) -> pd.DataFrame:
    """A staggered roll-out: each unit gets a wave 1..n_waves (0 = held out) and its start date.

    Units go round-robin over waves in a seeded random order within strata, so waves are the same size
    (+-1) and similar in mix. Wave ``w`` starts ``(w - 1) * months_between`` months after ``start``.
    """
    ids = pd.Series(pd.unique(pd.Series(units).astype(str))).sort_values(ignore_index=True)
    if n_waves < 1 or len(ids) < n_waves:
        raise SpecError(
            f"{len(ids)} units cannot fill {n_waves} waves",
            hint="Use fewer waves than units (each wave needs at least one unit).",
        )
    if not 0 <= holdout_share < 1:
        raise SpecError(f"holdout_share must be in [0, 1); got {holdout_share}", hint="Use e.g. 0.2.")
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"unit_id": ids, "key": rng.random(len(ids))})
    frame["s"] = "all" if strata is None else strata.reindex(ids).astype(str).to_numpy()
    held = (
        randomize(frame["s"], allocation=holdout_share, rng=rng)
        if holdout_share > 0
        else np.zeros(len(frame), bool)
    )
    frame = frame.assign(held=held).sort_values(["held", "s", "key"], kind="stable").reset_index(drop=True)
    labels, codes = np.unique(frame["s"].to_numpy(), return_inverse=True)
    offset = rng.integers(0, n_waves, len(labels))[codes]
    pos = frame.groupby(["held", "s"]).cumcount().to_numpy() + offset
    frame["wave"] = np.where(frame["held"], 0, pos % n_waves + 1)
    start_ts = pd.Timestamp(start)
    frame["start_date"] = [
        (start_ts + pd.DateOffset(months=(w - 1) * months_between)).date().isoformat() if w > 0 else ""
        for w in frame["wave"]
    ]  # one date per unit (tens of departments), not a hot path
    frame["program_id"] = program_id
    frame["unit_type"] = unit_type
    return frame.sort_values(["wave", "unit_id"]).reset_index(drop=True)[WAVE_COLUMNS]


def write_design_csv(frame: pd.DataFrame, out_dir: Path, name: str) -> Path:
    """Write ``out_dir/design/<name>.csv``, replacing only this program's rows if the file exists."""
    path = Path(out_dir) / "design" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        old = pd.read_csv(path, dtype=str, keep_default_na=False)
        programs = set(frame["program_id"].astype(str))
        old = old[~old["program_id"].isin(programs)]
        frame = pd.concat([old, frame.astype(str).replace({"<NA>": "", "nan": ""})], ignore_index=True)
    frame.to_csv(path, index=False)
    return path
