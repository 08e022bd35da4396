"""Content effectiveness: which modules to update first (blended contract §4).

Per catalog module (and rolled up per modality): reach, drop-off, median minutes, revisit rate, the module-check
gain (``module_post`` minus ``module_pre``, first attempts, as a share of ``max_score``) and, for sessions with a
roster, the attendance rate. The **update priority** of a module is

    reach share x drop-off x (1 - gain / max gain in the program)

(a module many learners reach, many abandon and that teaches little comes first). The Ibis expressions run on
DuckDB and Spark; only one row per module (or modality) reaches Python, where small cells are suppressed
(:func:`learnroi.metrics.result.suppress`, complementary within each program and measure) before anything is
derived from them, so a suppressed cell is never ranked. Kirkpatrick level 1-2 diagnostics, not causal effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from learnroi.core.errors import UsageError
from learnroi.core.settings import DEFAULT_MIN_CELL
from learnroi.metrics.engine import collect, engine_name, has_table, table
from learnroi.metrics.facts import MODULE_CHECKS, events, first_scores, module_facts
from learnroi.metrics.result import json_value, suppress

MODULE_KEYS = ["program_id", "course_id", "module_id"]
CONTENT_KPIS: dict[str, str] = {
    "reach": "learners",
    "reach_share": "share of the program's learners",
    "drop_off": "share of starters",
    "median_minutes": "minutes per starter",
    "revisit_rate": "share of launchers",
    "module_check_gain": "share of max score",
    "attendance_rate": "share of roster seats",
    "update_priority": "index (0-1)",
}
"""The measures, in display order, with their units."""
_LABELS = ("program_id", "course_id", "module_id", "module_name", "modality")
"""Label columns of the aggregated cells (the rest are counts and sums)."""
LONG_COLUMNS = [
    "program_id", "grain", "course_id", "module_id", "module_name", "modality", "kpi", "value", "n", "suppressed",
    "suppression",
]  # fmt: skip


@dataclass(frozen=True)
class ContentTable:
    """Content effectiveness of one or all programs.

    ``table``: long, one row per (program, grain, cell, kpi) with ``grain`` ``module`` or ``modality``, columns
    ``program_id, grain, course_id, module_id, module_name, modality, kpi, value, n, suppressed, suppression``
    (a measure that does not apply, such as attendance of a module without a roster, has no value and n = 0
    and is not flagged). ``modules``: wide, one row per module with every measure (NaN when suppressed or not
    applicable), ``rank`` (1 = update first; <NA> when not ranked) and ``not_ranked`` (why), sorted by program
    and rank. ``modalities``: the same measures per (program, modality), without a priority.
    """

    min_cell: int
    table: pd.DataFrame
    modules: pd.DataFrame
    modalities: pd.DataFrame
    engine: str = "duckdb"

    @property
    def n_suppressed(self) -> int:
        return int(self.table["suppressed"].sum())

    def ranking(self, program: str | None = None) -> pd.DataFrame:
        """The ranked modules (highest priority first); unranked modules are left out."""
        m = self.modules[self.modules["rank"].notna()]
        if program is not None:
            m = m[m["program_id"] == program]
        return m.reset_index(drop=True)

    def tidy(self) -> pd.DataFrame:
        """Long table: program_id, grain, cell (``course/module`` or the modality), ..., kpi, value, unit, n."""
        t = self.table
        module_cell = (
            t["course_id"].astype("string").fillna("") + "/" + t["module_id"].astype("string").fillna("")
        )
        cell = module_cell.where(t["grain"] == "module", t["modality"].astype("string"))
        out = t.assign(cell=cell.astype("string"), unit=t["kpi"].map(CONTENT_KPIS).astype("string"))
        cols = ["program_id", "grain", "cell", "course_id", "module_id", "module_name", "modality", "kpi"]
        return out[[*cols, "value", "unit", "n", "suppressed", "suppression"]].reset_index(drop=True)

    def summary(self) -> str:
        lines = [
            f"Content effectiveness: {len(self.modules)} modules in {self.modules['program_id'].nunique()} "
            f"programs on {self.engine} ({self.n_suppressed} cells suppressed below {self.min_cell} people)."
        ]
        for prog, g in self.ranking().groupby("program_id", sort=True):
            top = ", ".join(
                f"{r.module_id} ({r.modality}, priority {r.update_priority:.3f})"
                for r in g.head(3).itertuples()
            )
            lines.append(f"  {prog}: update first {top}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: NaN and <NA> become None."""
        return {
            "min_cell": self.min_cell,
            "engine": self.engine,
            "rows": _records(self.tidy()),
            "ranking": _records(self.modules),
            "modalities": _records(self.modalities),
        }


def content_effectiveness(
    backend: BaseBackend, program: str | None = None, *, min_cell: int = DEFAULT_MIN_CELL
) -> ContentTable:
    """Per module and modality: reach, drop-off, median minutes, revisits, module-check gain, attendance rate,
    and the update-priority ranking (contract §4). Small cells are suppressed and never ranked."""
    if min_cell < 1:
        raise UsageError(f"min_cell must be at least 1; got {min_cell}", hint="Use the default of 5 or more.")
    pairs = _pairs(backend, program)
    learners = events(backend, program)
    program_reach = learners.group_by("program_id").aggregate(program_reach=learners.learner_key.nunique())
    mod = collect(_module_cells(backend, pairs, program, program_reach))
    mdl = collect(_modality_cells(backend, pairs, program, program_reach))
    if mod.empty:
        return _empty(min_cell, engine_name(backend))
    mod_long = _suppressed_long(mod, ["program_id", "course_id", "module_id"], min_cell, "module")
    mdl_long = _suppressed_long(mdl, ["program_id", "modality"], min_cell, "modality")
    modules, prio = _rank(mod, mod_long)
    long = pd.concat([mod_long, prio, mdl_long], ignore_index=True)[LONG_COLUMNS]
    order = {k: i for i, k in enumerate(CONTENT_KPIS)}
    long = long.assign(_g=long["grain"].map({"module": 0, "modality": 1}), _k=long["kpi"].map(order))
    long = long.sort_values(
        ["program_id", "_g", "course_id", "module_id", "modality", "_k"], na_position="last"
    )
    long = long.drop(columns=["_g", "_k"]).reset_index(drop=True)
    return ContentTable(
        min_cell=min_cell,
        table=long,
        modules=modules,
        modalities=_wide(mdl_long, ["program_id", "modality"]),
        engine=engine_name(backend),
    )


def _empty(min_cell: int, engine: str) -> ContentTable:
    """No module in scope (an unknown program, an empty store)."""

    def frame(cols: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})

    measures = list(CONTENT_KPIS)
    return ContentTable(
        min_cell=min_cell,
        table=frame(LONG_COLUMNS),
        modules=frame(
            ["program_id", "rank", *MODULE_KEYS[1:], "module_name", "modality", *measures, "not_ranked"]
        ),
        modalities=frame(["program_id", "modality", *measures[:-1]]),
        engine=engine,
    )


def _pairs(backend: BaseBackend, program: str | None) -> ir.Table:
    """One row per (module, learner): started, done, launches, seconds, the module check's first pre/post."""
    m = module_facts(backend, program)
    m = m.filter(m.module_id.notnull() & m.course_id.notnull())
    keys = [*MODULE_KEYS, "learner_key"]
    ev = events(backend, program)
    checks = first_scores(ev.filter(ev.module_id.notnull()), keys, MODULE_CHECKS)
    p = m.left_join(checks, keys).select(m, "pre", "post")
    both = p.pre.notnull() & p.post.notnull()
    return p.mutate(
        secs=p.secs.fill_null(0.0),
        check_gain=ibis.ifelse(both, p.post - p.pre, ibis.null("float64")),
    ).cache()


def _measures(p: ir.Table) -> dict[str, ir.Value]:
    started = p.act == 1
    return {
        "started": p.count(where=started),
        "dropped": p.count(where=started & (p.done == 0)),
        "launchers": p.count(where=p.launches > 0),
        "revisitors": p.count(where=p.launches >= 2),
        "checked": p.count(where=p.check_gain.notnull()),
        "gain_sum": p.check_gain.sum(),
    }


def _module_cells(backend: BaseBackend, p: ir.Table, program: str | None, reach: ir.Table) -> ir.Table:
    agg = p.group_by(MODULE_KEYS).aggregate(
        reach=p.count(),
        # median(where=...) compiles to a non-constant percentile on Spark: filter through a NULL instead
        median_secs=ibis.ifelse(p.act == 1, p.secs, ibis.null("float64")).median(),
        **_measures(p),
    )
    cat = table(backend, "catalog")
    cat = cat.filter(cat.course_id.notnull() & cat.module_id.notnull())
    if program is not None:
        cat = cat.filter(cat.program_id == program)
    cat = cat.select(*MODULE_KEYS, "module_name", "modality")
    keys = ibis.union(cat.select(MODULE_KEYS), agg.select(MODULE_KEYS), distinct=True)
    out = keys.left_join(agg, MODULE_KEYS).select(keys, *[c for c in agg.columns if c not in MODULE_KEYS])
    out = out.left_join(cat, MODULE_KEYS).select(out, "module_name", "modality")
    out = out.left_join(reach, "program_id").select(out, "program_reach")
    roster = _roster(backend, program, MODULE_KEYS)
    if roster is not None:
        out = out.left_join(roster, MODULE_KEYS).select(out, "seats", "seats_attended", "rostered")
    return out


def _modality_cells(backend: BaseBackend, p: ir.Table, program: str | None, reach: ir.Table) -> ir.Table:
    keys = ["program_id", "modality"]
    per = p.group_by([*keys, "learner_key"]).aggregate(secs=p.secs.sum(where=p.act == 1), act=p.act.max())
    med = per.group_by(keys).aggregate(
        reach=per.count(),
        started_people=per.count(where=per.act == 1),
        median_secs=ibis.ifelse(per.act == 1, per.secs, ibis.null("float64")).median(),
    )
    people = p.group_by(keys).aggregate(
        launchers_people=p.learner_key.nunique(where=p.launches > 0),
        checked_people=p.learner_key.nunique(where=p.check_gain.notnull()),
        **_measures(p),
    )
    out = med.left_join(people, keys).select(med, *[c for c in people.columns if c not in keys])
    out = out.left_join(reach, "program_id").select(out, "program_reach")
    roster = _roster(backend, program, keys)
    if roster is not None:
        out = out.left_join(roster, keys).select(out, "seats", "seats_attended", "rostered")
    return out


def _roster(backend: BaseBackend, program: str | None, keys: list[str]) -> ir.Table | None:
    """Seats, attended seats and distinct people of the ``attendance`` roster per module or modality."""
    if not has_table(backend, "attendance"):
        return None
    a = table(backend, "attendance")
    a = a.filter(a.module_id.notnull() & a.course_id.notnull())
    if program is not None:
        a = a.filter(a.program_id == program)
    person = next((a[c] for c in ("learner_id", "learner_key") if c in a.columns), None)
    who = (
        a.learner_email.strip().lower()
        if person is None
        else person.fill_null(a.learner_email.strip().lower())
    )
    a = a.mutate(who=who, went=ibis.ifelse(a.attended.cast("boolean"), 1, 0))
    if "modality" in keys:
        cat = table(backend, "catalog").select(*MODULE_KEYS, "modality")
        a = a.left_join(cat, MODULE_KEYS).select(a, "modality")
    return a.group_by(keys).aggregate(seats=a.count(), seats_attended=a.went.sum(), rostered=a.who.nunique())


def _values(cells: pd.DataFrame) -> dict[str, tuple[pd.Series, pd.Series]]:
    """(value, n) per measure from the aggregated cells; n = 0 marks a measure that does not apply."""
    num = {c: pd.to_numeric(cells[c], errors="coerce") for c in cells.columns if c not in _LABELS}
    zero = pd.Series(0.0, index=cells.index)

    def col(name: str) -> pd.Series:
        return num.get(name, zero).fillna(0.0)

    def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
        return (a / b.where(b > 0)).astype("float64")

    started = col("started_people") if "started_people" in num else col("started")
    launchers = col("launchers_people") if "launchers_people" in num else col("launchers")
    checked = col("checked_people") if "checked_people" in num else col("checked")
    seats = col("seats")
    return {
        "reach": (col("reach"), col("reach")),
        "reach_share": (ratio(col("reach"), col("program_reach")), col("reach")),
        "drop_off": (ratio(col("dropped"), col("started")), started),
        "median_minutes": (num.get("median_secs", zero) / 60.0, started),
        "revisit_rate": (ratio(col("revisitors"), col("launchers")), launchers),
        "module_check_gain": (ratio(col("gain_sum"), col("checked")), checked),
        "attendance_rate": (ratio(col("seats_attended"), seats), col("rostered").where(seats > 0, 0.0)),
    }


def _suppressed_long(cells: pd.DataFrame, keys: list[str], min_cell: int, grain: str) -> pd.DataFrame:
    """Long (keys, kpi, value, n), small cells suppressed; measures that do not apply (n = 0) stay unflagged."""
    cells = cells.copy()
    for c in ("program_id", "course_id", "module_id", "module_name", "modality"):
        if c in cells:
            cells[c] = cells[c].astype("string")
    labels = [
        c for c in ("course_id", "module_id", "module_name", "modality") if c in cells and c not in keys
    ]
    parts = []
    for kpi, (value, n) in _values(cells).items():
        part = cells[[*keys, *labels]].copy()
        part["kpi"] = kpi
        part["value"] = value.astype("float64").to_numpy()
        part["n"] = n.fillna(0).astype("int64").to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    applies = long["n"] > 0
    shown = suppress(long[applies], keys=keys, min_cell=min_cell, complementary=True)
    na = long[~applies].assign(
        value=np.nan, n=pd.array([0] * int((~applies).sum()), dtype="Int64"), suppressed=False,
        suppression=pd.array([None] * int((~applies).sum()), dtype="string"),
    )  # fmt: skip
    out = pd.concat([shown, na], ignore_index=True)
    out["grain"] = grain
    for c in ("course_id", "module_id", "module_name", "modality"):
        if c not in out:
            out[c] = pd.array([None] * len(out), dtype="string")
    return out


def _wide(long: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    labels = ["module_name", "modality"] if "module_id" in keys else []
    idx = long[[*keys, *labels]].drop_duplicates(subset=keys)
    vals = long.pivot_table(index=keys, columns="kpi", values="value", aggfunc="first", dropna=False)
    wide = idx.merge(vals.reset_index(), on=keys, how="left")
    for k in CONTENT_KPIS:
        if k not in wide and k != "update_priority":
            wide[k] = np.nan
    cols = [*keys, *labels, *[k for k in CONTENT_KPIS if k in wide]]
    return wide[cols].sort_values(keys, na_position="last").reset_index(drop=True)


def _rank(cells: pd.DataFrame, long: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Update priority and rank per program, from the shown (unsuppressed) values only."""
    keys = ["program_id", "course_id", "module_id"]
    wide = _wide(long, keys)
    flags = long.pivot_table(index=keys, columns="kpi", values="suppressed", aggfunc="first", dropna=False)
    flags = wide[keys].merge(flags.reset_index(), on=keys, how="left")
    shown_gain = wide["module_check_gain"]
    max_gain = shown_gain.groupby(wide["program_id"]).transform("max")
    factor = np.where(max_gain > 0, 1.0 - shown_gain / max_gain.where(max_gain > 0), 1.0)
    factor = np.where(shown_gain.isna(), np.nan, factor)
    prio = wide["reach_share"] * wide["drop_off"] * factor
    inputs = flags.reindex(columns=["reach_share", "drop_off", "module_check_gain"])
    hidden = inputs.fillna(False).astype(bool).any(axis=1)
    reason = np.select(
        [hidden.to_numpy(), wide["drop_off"].isna().to_numpy(), shown_gain.isna().to_numpy()],
        ["small_cell", "not started", "no module check"],
        default="",
    )
    wide["update_priority"] = prio.where(reason == "", np.nan).astype("float64")
    wide["rank"] = (
        wide.groupby("program_id")["update_priority"].rank(ascending=False, method="min").astype("Int64")
    )
    wide["not_ranked"] = pd.Series(reason, index=wide.index, dtype="string").mask(reason == "")
    wide = wide.sort_values(["program_id", "rank", "course_id", "module_id"], na_position="last")
    wide = wide.reset_index(drop=True)
    wide = wide[["program_id", "rank", *[c for c in wide.columns if c not in ("program_id", "rank")]]]
    prio_long = wide[[*keys, "module_name", "modality"]].assign(
        kpi="update_priority",
        value=wide["update_priority"],
        n=pd.Series(_started(cells, wide), index=wide.index)
        .astype("Int64")
        .where(wide["update_priority"].notna()),
        suppressed=(wide["not_ranked"] == "small_cell").fillna(False).astype(bool),
        grain="module",
    )
    prio_long["suppression"] = pd.Series("small_cell", index=wide.index, dtype="string").where(
        prio_long["suppressed"]
    )
    return wide, prio_long


def _started(cells: pd.DataFrame, wide: pd.DataFrame) -> np.ndarray:
    keys = ["program_id", "course_id", "module_id"]
    c = cells[[*keys, "started"]].astype(dict.fromkeys(keys, "string"))
    got = wide[keys].merge(c, on=keys, how="left")["started"]
    return pd.to_numeric(got, errors="coerce").fillna(0).astype("int64").to_numpy()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): json_value(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
