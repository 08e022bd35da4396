"""``simulate_company``: write the whole synthetic company to a folder, streaming the LMS in chunks."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from learnroi.core.errors import EnvironmentProblem, UsageError
from learnroi.simulate import _io
from learnroi.simulate.catalog import modules
from learnroi.simulate.events import Events
from learnroi.simulate.lms import EVENT_COLUMNS, background_chunks
from learnroi.simulate.messy import FaultLog
from learnroi.simulate.tables import EventBook, build
from learnroi.simulate.xapi import jsonl_bytes, statements

XAPI_DEFAULT_LIMIT = 50_000
XAPI_SLICE = 200_000
MIN_EMPLOYEES, MAX_EMPLOYEES = 300, 1_000_000
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SimulationSummary:
    """What :func:`simulate_company` wrote: the folder, each file with its data-row count, and the truth."""

    out: Path
    files: dict[str, int]
    truth: dict[str, Any] = field(repr=False)
    seed: int = 42
    employees: int = 5000
    messy: bool = False
    xapi: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "seed": self.seed,
            "employees": self.employees,
            "messy": self.messy,
            "xapi": self.xapi,
            "files": dict(self.files),
            "truth": self.truth,
        }

    def tidy(self) -> Any:
        import pandas as pd

        return pd.DataFrame({"file": list(self.files), "rows": list(self.files.values())})

    def summary(self) -> str:
        lines = [f"Simulated company ({self.employees:,} employees, seed {self.seed}) in {self.out}"]
        lines += [f"  {name:<32} {rows:>12,} rows" for name, rows in self.files.items()]
        for pid, p in self.truth.get("programs", {}).items():
            kpi = next(iter(p["kpis"]))
            lines.append(
                f"  truth {pid}: {kpi} {p['estimand']} = {p['kpis'][kpi]['att']:.4g}; ROI {p['roi_pct']:.1f} %"
            )
        return "\n".join(lines)


def _check(employees: int, out: Path) -> None:
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise UsageError(
            f"--employees must be between {MIN_EMPLOYEES:,} and {MAX_EMPLOYEES:,}; got {employees:,}",
            hint=f"Use at least {MIN_EMPLOYEES} (32 departments need people) and at most {MAX_EMPLOYEES:,}.",
        )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder", hint="Pass --out with a folder path.")


OUTPUTS = (
    "hris/employees.csv",
    "design/assignments.csv",
    "design/waves.csv",
    "lms/catalog.csv",
    "lms/events.csv",
    "xapi/statements.jsonl",
    "performance/kpis.csv",
    "costs/ledger.csv",
    "costs/ledger_2026-01-05.csv",
    "surveys/estimates.csv",
    "program-sales-skills.toml",
    "program-onboarding.toml",
    "truth/truth.json",
    "truth/messy.json",
    "lms/attendance.csv",
    "program-service-blend.toml",
    "surveys/reaction.csv",
    "surveys/application.csv",
    "surveys/invitations.csv",
    "surveys/observations.csv",
    "performance/incidents.csv",
    "costs/platform.csv",
    "costs/admin_time.csv",
    "program-compliance.toml",
)
"""Every file the simulator may write; a re-run removes stale ones first (and touches nothing else)."""


def _clear_previous(out: Path) -> None:
    for rel in OUTPUTS:
        (out / rel).unlink(missing_ok=True)


class _EventWriter:
    """Streams event tables to ``lms/events.csv`` (and ``xapi/statements.jsonl``)."""

    def __init__(self, out: Path, xapi: bool, book: EventBook, faults: FaultLog | None) -> None:
        self.csv = _io.CsvSink(out / "lms" / "events.csv", EVENT_COLUMNS)
        self.xapi = (out / "xapi" / "statements.jsonl") if xapi else None
        self.xapi_rows = 0
        if self.xapi is not None:
            self.xapi.parent.mkdir(parents=True, exist_ok=True)
            self._x = self.xapi.open("wb")
        self.book = book
        self.faults = faults

    def write(self, program: str, table: pa.Table, ev: Events) -> None:
        mods = modules(program)
        if self.xapi is not None:
            for lo in range(0, table.num_rows, XAPI_SLICE):  # bounded memory: JSON text is ~6x the CSV
                idx = np.arange(lo, min(lo + XAPI_SLICE, table.num_rows))
                lines = statements(table.slice(lo, idx.size), ev.take(idx), mods)
                self._x.write(jsonl_bytes(lines))
                self.xapi_rows += len(lines)
        if self.faults is not None and program == "compliance" and not self.faults.events_done:
            table = self.faults.events(table, self.csv.rows)
        self.csv.write(table)

    def close(self) -> None:
        self.csv.close()
        if self.xapi is not None:
            self._x.close()


def simulate_company(
    out: Path,
    *,
    employees: int = 5000,
    seed: int = 42,
    messy: bool = False,
    xapi: bool | None = None,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Write a synthetic company with planted effects to ``out`` (see docs/reference/data-layout.md).

    ``xapi=None`` writes the xAPI copy when ``employees < 50,000``. Same seed, same bytes. ``progress``
    is called with (stage, fraction done). The planted truth goes to ``truth/truth.json`` (and the list
    of planted faults to ``truth/messy.json`` with ``messy=True``):

    - ``sales-skills`` (randomized, estimand ITT): ``att`` = mean over randomized reps with at least one
      observed window month (2025-01..06) of their mean Y(assigned) - Y(not assigned) over those months,
      both potential take-ups simulated (crossovers included), for revenue, deal_size and win_rate.
    - ``onboarding`` (staggered, estimand ATT): ``att`` = mean true effect on weeks_to_productivity over
      treated hires (hired in a department on or after its wave start, 2024-07-01..2025-12-31) with a value.
    - ``benefit``, ``cost``, ``roi_pct``: docs/dev/roi-formulas.md with the true ``att`` and the written
      specs' point values; cost = ledger total + participants' LMS hours x loaded_salary / standard_hours.

    Raises :class:`~learnroi.core.errors.UsageError` for a size outside 300..1,000,000 or an ``out``
    that is a file, :class:`~learnroi.core.errors.EnvironmentProblem` when the folder cannot be written.
    """
    out = Path(out)
    _check(employees, out)
    try:
        return _simulate(out, employees, seed, messy, xapi, progress)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write the simulated company: {exc.strerror or exc}",
            where=str(exc.filename or out),
            hint="Pass --out with a folder you can write to, and check the free disk space.",
        ) from None


def _simulate(
    out: Path, employees: int, seed: int, messy: bool, xapi: bool | None, progress: Progress | None
) -> SimulationSummary:
    write_xapi = employees < XAPI_DEFAULT_LIMIT if xapi is None else bool(xapi)
    _clear_previous(out)
    say: Progress = progress or (lambda stage, frac: None)
    files: dict[str, int] = {}
    faults = FaultLog(np.random.default_rng([seed, 99])) if messy else None

    say("people", 0.0)
    company, book, w = build(employees, seed)
    for name in (
        "hris/employees.csv",
        "design/assignments.csv",
        "design/waves.csv",
        "lms/catalog.csv",
        "lms/attendance.csv",
        "performance/kpis.csv",
    ):
        files[name] = _io.write_csv(out / name, company[name])

    say("lms", 0.2)
    writer = _EventWriter(out, write_xapi, book, faults)
    for program, (table, ev) in company.program_events.items():
        writer.write(program, table, ev)
    n_chunks = max(1, -(-w.n // 20_000)) * 2
    for i, (program, ev) in enumerate(background_chunks(seed, w)):
        writer.write(program, *book.table(program, ev))
        say("lms", 0.2 + 0.6 * (i + 1) / n_chunks)
    writer.close()
    files["lms/events.csv"] = writer.csv.rows
    if write_xapi:
        files["xapi/statements.jsonl"] = writer.xapi_rows

    say("costs and surveys", 0.85)
    for name in company.tables:  # costs, surveys, incidents, platform: everything not written yet
        if name not in files and name != "lms/events.csv":
            files[name] = _io.write_csv(out / name, company[name])
    for name, text in company.specs.items():
        (out / name).write_text(text, encoding="utf-8")
    truth = dict(company.truth)
    if faults is not None:
        faults.apply_files(out, files)
        truth["messy"] = True
    (out / "truth").mkdir(parents=True, exist_ok=True)
    (out / "truth" / "truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    if faults is not None:
        (out / "truth" / "messy.json").write_text(
            json.dumps(faults.to_dict(), indent=2) + "\n", encoding="utf-8"
        )
    say("done", 1.0)
    return SimulationSummary(
        out=out, files=files, truth=truth, seed=seed, employees=employees, messy=messy, xapi=write_xapi
    )
