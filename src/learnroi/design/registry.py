"""The hypothesis registry: what each program is expected to change, by how much, and what the data said.

One row per hypothesis in the store's ``hypotheses`` table (migration 020), its history in
``hypothesis_events``. Each analysis fills in the observed effect with its interval
(:func:`record_observed`); reviews are quarterly (:data:`REVIEW_MONTHS`) and :func:`list_hypotheses`
says what is due. Status follows the evidence: :func:`suggest_status` reads an interval against the
assumed effect (confirmed when it excludes zero on the assumed side, refuted when it excludes the
assumed effect and does not show an effect in its direction, inconclusive otherwise).
Functions take a DuckDB connection (``Store.con``) and return pandas frames or frozen records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

from learnroi.core.errors import DataError, UsageError
from learnroi.core.options import HypothesisStatus, check_option

REVIEW_MONTHS = 3
"""Hypotheses are reviewed quarterly."""

HYPOTHESIS_COLUMNS = [
    "hypothesis_id",
    "program_id",
    "kpi",
    "assumed_effect",
    "assumed_effect_unit",
    "rationale",
    "owner",
    "data_steward",
    "status",
    "observed_effect",
    "observed_conf_low",
    "observed_conf_high",
    "observed_method",
    "observed_at",
    "created_on",
    "last_review",
    "next_review",
]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def next_review_date(since: date) -> date:
    """The quarterly review after ``since``."""
    return (pd.Timestamp(since) + pd.DateOffset(months=REVIEW_MONTHS)).date()


@dataclass(frozen=True)
class HypothesisRecord:
    """One registry entry as stored, with its history (``events``: a frame, oldest first)."""

    row: dict[str, Any]
    events: pd.DataFrame

    @property
    def id(self) -> str:
        return str(self.row["hypothesis_id"])

    @property
    def status(self) -> str:
        return str(self.row["status"])

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([self.row], columns=HYPOTHESIS_COLUMNS)

    def summary(self) -> str:
        r = self.row
        unit = "relative" if r["assumed_effect_unit"] == "relative" else r["assumed_effect_unit"]
        lines = [
            f"{r['hypothesis_id']} ({r['program_id']}): {r['kpi']} changes by {r['assumed_effect']:+g} ({unit})",
            f"  status: {r['status']}; owner: {r['owner'] or '-'}; data steward: {r['data_steward'] or '-'}",
            f"  rationale: {r['rationale'] or '-'}",
        ]
        if r.get("observed_effect") is not None and not pd.isna(r["observed_effect"]):
            lines.append(
                f"  observed: {r['observed_effect']:,.4g} [{r['observed_conf_low']:,.4g}, "
                f"{r['observed_conf_high']:,.4g}] by {r['observed_method']} at {r['observed_at']}"
            )
        lines.append(f"  last review: {r['last_review'] or '-'}; next review: {r['next_review']}")
        for e in self.events.to_dict(orient="records"):
            note = f" — {e['note']}" if e["note"] else ""
            lines.append(f"  {str(e['event_at'])[:10]} {e['event']}: {e['status']}{note}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in self.row.items()}
        out["events"] = [
            {k: _plain(v) for k, v in rec.items()} for rec in self.events.to_dict(orient="records")
        ]
        return out


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and pd.isna(v):
        return None
    if v is pd.NaT or (not isinstance(v, str | list | dict | tuple) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, datetime | date):
        return v.isoformat()
    return v.item() if hasattr(v, "item") else v


def _event(con: Any, hid: str, event: str, status: str, note: str = "", by: str = "", **obs: Any) -> None:
    con.execute(
        "INSERT INTO hypothesis_events (hypothesis_id, event_at, event, status, estimate, conf_low, conf_high, "
        "method, note, by_whom) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            hid,
            _now(),
            event,
            status,
            obs.get("estimate"),
            obs.get("conf_low"),
            obs.get("conf_high"),
            obs.get("method"),
            note,
            by,
        ],
    )


def _new_id(con: Any, program_id: str) -> str:
    rows = con.execute("SELECT hypothesis_id FROM hypotheses WHERE program_id = ?", [program_id]).fetchall()
    taken = {r[0] for r in rows}
    i = len(taken) + 1
    while f"{program_id}-h{i}" in taken:
        i += 1
    return f"{program_id}-h{i}"


def add_hypothesis(
    con: Any,
    *,
    program_id: str,
    kpi: str,
    assumed_effect: float,
    assumed_effect_unit: str = "relative",
    rationale: str = "",
    owner: str = "",
    data_steward: str = "",
    status: str = "proposed",
    hypothesis_id: str | None = None,
    today: date | None = None,
) -> HypothesisRecord:
    """Register a hypothesis (the first review is due a quarter after ``today``)."""
    check_option(status, HypothesisStatus, "status")
    if not assumed_effect_unit.strip():
        raise UsageError(
            "assumed_effect_unit is empty",
            hint="Use relative (0.05 = +5 %), absolute, or the KPI's unit (e.g. weeks).",
        )
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", program_id):
        raise UsageError(f"invalid program id {program_id!r}", hint="Use the id of the program spec.")
    hid = hypothesis_id or _new_id(con, program_id)
    if con.execute("SELECT 1 FROM hypotheses WHERE hypothesis_id = ?", [hid]).fetchone():
        raise DataError(
            f"hypothesis {hid!r} is already registered",
            hint="Pick another id, or change it with `learnroi hypotheses review`.",
        )
    day = today or date.today()
    con.execute(
        "INSERT INTO hypotheses (hypothesis_id, program_id, kpi, assumed_effect, assumed_effect_unit, rationale, "
        "owner, data_steward, status, created_on, next_review, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            hid,
            program_id,
            kpi,
            float(assumed_effect),
            assumed_effect_unit,
            rationale,
            owner,
            data_steward,
            status,
            day,
            next_review_date(day),
            _now(),
        ],
    )
    _event(con, hid, "added", status, note=rationale, by=owner)
    return get_hypothesis(con, hid)


def sync_spec_hypotheses(con: Any, spec: Any, today: date | None = None) -> list[str]:
    """Register the spec's ``[[hypotheses]]`` (a :class:`ProgramSpec`); known ones keep their status.

    Returns the ids added. A known id with changed wording or effect is updated and the change logged.
    """
    added: list[str] = []
    for h in spec.hypotheses:
        row = con.execute(
            "SELECT program_id, kpi, assumed_effect, assumed_effect_unit, rationale, owner, data_steward "
            "FROM hypotheses WHERE hypothesis_id = ?",
            [h.id],
        ).fetchone()
        if row is None:
            add_hypothesis(
                con,
                program_id=spec.id,
                kpi=h.kpi,
                assumed_effect=h.assumed_effect,
                assumed_effect_unit=h.assumed_effect_unit,
                rationale=h.rationale,
                owner=h.owner,
                data_steward=h.data_steward,
                status=h.status,
                hypothesis_id=h.id,
                today=today,
            )
            added.append(h.id)
            continue
        if row[0] != spec.id:
            raise DataError(
                f"hypothesis id {h.id!r} is already registered for program {row[0]!r}",
                where=f"program {spec.id} [[hypotheses]]",
                hint="Hypothesis ids are unique across programs: rename this one (e.g. prefix the program id).",
            )
        new = (h.kpi, float(h.assumed_effect), h.assumed_effect_unit, h.rationale, h.owner, h.data_steward)
        if tuple(row[1:]) != new:
            con.execute(
                "UPDATE hypotheses SET kpi = ?, assumed_effect = ?, assumed_effect_unit = ?, rationale = ?, "
                "owner = ?, data_steward = ?, updated_at = ? WHERE hypothesis_id = ?",
                [*new, _now(), h.id],
            )
            status = con.execute("SELECT status FROM hypotheses WHERE hypothesis_id = ?", [h.id]).fetchone()
            _event(
                con, h.id, "updated", status[0] if status else "proposed", note="changed in the program spec"
            )
    return added


def get_hypothesis(con: Any, hypothesis_id: str) -> HypothesisRecord:
    """One registry entry with its history; :class:`DataError` with a hint when unknown."""
    frame = con.execute(
        f"SELECT {', '.join(HYPOTHESIS_COLUMNS)} FROM hypotheses WHERE hypothesis_id = ?", [hypothesis_id]
    ).df()
    if frame.empty:
        raise DataError(
            f"no hypothesis {hypothesis_id!r} in the registry",
            hint="List them with `learnroi hypotheses list`, or add one with `learnroi hypotheses add`.",
        )
    events = con.execute(
        "SELECT event_at, event, status, estimate, conf_low, conf_high, method, note, by_whom "
        "FROM hypothesis_events WHERE hypothesis_id = ? ORDER BY event_at, event",
        [hypothesis_id],
    ).df()
    row = {k: _plain(v) for k, v in frame.iloc[0].to_dict().items()}
    for col in _DATE_COLUMNS:
        if row.get(col):
            row[col] = str(row[col])[:10]
    return HypothesisRecord(row=row, events=events)


def list_hypotheses(
    con: Any, program_id: str | None = None, status: str | None = None, today: date | None = None
) -> pd.DataFrame:
    """The registry as a frame (one row per hypothesis), with ``review_due`` and ``due`` (what is due now).

    ``due`` names the quarterly review when its date has come, and the analysis when the pilot plan's
    measurement window has ended but no effect has been observed since.
    """
    if status is not None:
        check_option(status, HypothesisStatus, "status")
    day = pd.Timestamp(today or date.today())
    frame: pd.DataFrame = con.execute(
        f"SELECT {', '.join('h.' + c for c in HYPOTHESIS_COLUMNS)}, p.measurement_end "
        "FROM hypotheses h LEFT JOIN current_pilot_plans p ON p.program_id = h.program_id "
        "AND p.primary_kpi = h.kpi "
        "WHERE (? IS NULL OR h.program_id = ?) AND (? IS NULL OR h.status = ?) "
        "ORDER BY h.program_id, h.hypothesis_id",
        [program_id, program_id, status, status],
    ).df()
    next_review = pd.to_datetime(frame["next_review"])
    review_due = (next_review <= day).to_numpy()
    m_end = pd.to_datetime(frame["measurement_end"])
    observed = pd.to_datetime(frame["observed_at"])
    analysis_due = ((m_end < day) & (observed.isna() | (observed < m_end))).to_numpy()
    due = [
        _due_text(nr, bool(rd), me, bool(ad))
        for nr, rd, me, ad in zip(next_review, review_due, m_end, analysis_due, strict=True)
    ]  # one short string per hypothesis: a registry holds tens of rows
    out = frame.drop(columns=["measurement_end"]).assign(review_due=review_due, due=due)
    for col in _DATE_COLUMNS:
        out[col] = pd.to_datetime(out[col]).dt.date
    return out


_DATE_COLUMNS = ("created_on", "last_review", "next_review")


def _due_text(next_review: Any, review_due: bool, m_end: Any, analysis_due: bool) -> str:
    parts = []
    if review_due:
        parts.append(f"quarterly review (since {next_review:%Y-%m-%d})")
    if analysis_due:
        parts.append(f"analysis (measurement window ended {m_end:%Y-%m-%d})")
    return "; ".join(parts)


def suggest_status(assumed_effect: float, conf_low: float, conf_high: float) -> str:
    """Status the interval supports, read against the assumed effect's sign and size (same units)."""
    sign = 1.0 if assumed_effect >= 0 else -1.0
    lo, hi = sorted((sign * conf_low, sign * conf_high))
    target = abs(assumed_effect)
    if lo > 0:
        return "confirmed"
    if hi < target:
        return "refuted"
    return "inconclusive"


def review_hypothesis(
    con: Any,
    hypothesis_id: str,
    *,
    status: str | None = None,
    note: str = "",
    reviewer: str = "",
    today: date | None = None,
) -> HypothesisRecord:
    """Record a (quarterly) review: optionally a new status; the next review is a quarter later."""
    current = get_hypothesis(con, hypothesis_id)
    new_status = check_option(status, HypothesisStatus, "status") if status else current.status
    day = today or date.today()
    con.execute(
        "UPDATE hypotheses SET status = ?, last_review = ?, next_review = ?, updated_at = ? WHERE hypothesis_id = ?",
        [new_status, day, next_review_date(day), _now(), hypothesis_id],
    )
    _event(con, hypothesis_id, "reviewed", new_status, note=note, by=reviewer)
    return get_hypothesis(con, hypothesis_id)


def record_observed(
    con: Any,
    hypothesis_id: str,
    *,
    estimate: float,
    conf_low: float,
    conf_high: float,
    method: str,
    absolute_assumed_effect: float | None = None,
) -> HypothesisRecord:
    """Fill in the effect an analysis observed (KPI units) with its interval; logged in the history.

    The status is not changed here (a person decides at review); the suggested status is in the event note
    when ``absolute_assumed_effect`` (the assumed effect in KPI units) is given.
    """
    current = get_hypothesis(con, hypothesis_id)
    con.execute(
        "UPDATE hypotheses SET observed_effect = ?, observed_conf_low = ?, observed_conf_high = ?, "
        "observed_method = ?, observed_at = ?, updated_at = ? WHERE hypothesis_id = ?",
        [float(estimate), float(conf_low), float(conf_high), method, _now(), _now(), hypothesis_id],
    )
    note = ""
    if absolute_assumed_effect is not None:
        note = f"suggested status: {suggest_status(absolute_assumed_effect, conf_low, conf_high)}"
    _event(
        con,
        hypothesis_id,
        "observed",
        current.status,
        note=note,
        estimate=float(estimate),
        conf_low=float(conf_low),
        conf_high=float(conf_high),
        method=method,
    )
    return get_hypothesis(con, hypothesis_id)


def record_effect(con: Any, program_id: str, kpi: str, result: Any) -> list[str]:
    """Fill in an attribution :class:`~learnroi.attribution.result.EffectResult` for every hypothesis on
    ``program_id`` x ``kpi``; a refused (not identified) result records nothing. Returns the ids updated."""
    if not getattr(result, "identified", True):
        return []
    lo, hi = result.conf_int()
    ids = [
        r[0]
        for r in con.execute(
            "SELECT hypothesis_id FROM hypotheses WHERE program_id = ? AND kpi = ?", [program_id, kpi]
        ).fetchall()
    ]
    for hid in ids:
        record_observed(con, hid, estimate=result.estimate, conf_low=lo, conf_high=hi, method=result.method)
    return ids


def mark_piloting(con: Any, program_id: str, kpi: str) -> list[str]:
    """Move the program's proposed hypotheses on ``kpi`` to piloting (a pilot plan was stored)."""
    ids = [
        r[0]
        for r in con.execute(
            "SELECT hypothesis_id FROM hypotheses WHERE program_id = ? AND kpi = ? AND status = 'proposed'",
            [program_id, kpi],
        ).fetchall()
    ]
    for hid in ids:
        con.execute(
            "UPDATE hypotheses SET status = 'piloting', updated_at = ? WHERE hypothesis_id = ?", [_now(), hid]
        )
        _event(con, hid, "piloting", "piloting", note="pilot plan stored")
    return ids
