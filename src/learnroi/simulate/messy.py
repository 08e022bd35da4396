"""Real-export faults for ``--messy``, each recorded (file, row, fault) in ``truth/messy.json``.

Planted: exact duplicate rows (events, KPIs), malformed timestamps (compliance events) and dates (HRIS
rows of people in no evaluated program), unknown employee ids (KPI rows), the HRIS file encoded as
Latin-1 with accented names, a UTF-8 BOM (KPIs), stray blank lines (ledger) and a corrected ledger row
(a wrong amount in ``costs/ledger.csv`` fixed by ``costs/ledger_2026-01-05.csv``). None of them changes
the truth once ingest handles them as documented (the correction's amount is the true one).
Row numbers are 1-based data rows (the header is not a row); ``line`` is the physical line in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa


class FaultLog:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.faults: list[dict[str, Any]] = []
        self.events_done = False

    def add(self, file: str, row: int, fault: str, detail: str, line: int | None = None) -> None:
        self.faults.append(
            {
                "file": file,
                "row": row,
                "line": row + 1 if line is None else line,
                "fault": fault,
                "detail": detail,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for f in self.faults:
            counts[f["fault"]] = counts.get(f["fault"], 0) + 1
        return {"faults": self.faults, "counts": counts}

    def events(self, table: pa.Table, rows_before: int) -> pa.Table:
        """Duplicate 10 rows (the copy follows its original) and break 5 timestamps, in one chunk."""
        self.events_done = True
        n = table.num_rows
        dup = np.sort(self.rng.choice(n, size=min(10, n), replace=False))
        bad = self.rng.choice(np.setdiff1d(np.arange(n), dup), size=min(5, max(n - 10, 0)), replace=False)
        formats = [
            "31/06/2024 10:00",
            "2024-13-45T25:61:00+00:00",
            "not a date",
            "2025-02-30T09:00:00+00:00",
            "20240517",
        ]
        ts = table.column("timestamp").to_numpy(zero_copy_only=False).astype(object)
        for k, i in enumerate(bad):
            ts[i] = formats[k % len(formats)]
        table = table.set_column(
            table.column_names.index("timestamp"), "timestamp", pa.array(ts, pa.string())
        )
        take = np.sort(np.concatenate([np.arange(n), dup]))
        out = table.take(pa.array(take))
        for i in dup:
            first = int(np.searchsorted(take, i))
            self.add(
                "lms/events.csv",
                rows_before + first + 2,
                "duplicate_row",
                f"exact copy of row {rows_before + first + 1}",
            )
        for i in bad:
            r = rows_before + int(np.searchsorted(take, i)) + 1
            self.add("lms/events.csv", r, "malformed_timestamp", f"timestamp {ts[i]!r}")
        return out

    def apply_files(self, out: Path, files: dict[str, int]) -> None:
        self._hris(out / "hris" / "employees.csv")
        self._kpis(out / "performance" / "kpis.csv", files)
        self._ledger(out / "costs" / "ledger.csv", files)

    def _hris(self, path: Path) -> None:
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        role_col, hire_col = header.index("role"), header.index("hire_date")
        candidates = [i for i in range(1, len(lines)) if lines[i].split(",")[role_col] == "analyst"]
        for i in sorted(self.rng.choice(candidates, size=min(2, len(candidates)), replace=False).tolist()):
            cells = lines[i].split(",")
            y, m, d = cells[hire_col].split("-")
            cells[hire_col] = f"{d}/{m}/{y}" if int(d) > 12 else f"{y}-{m}-31x"
            lines[i] = ",".join(cells)
            self.add("hris/employees.csv", i, "malformed_date", f"hire_date {cells[hire_col]!r}")
        path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
        self.add(
            "hris/employees.csv",
            0,
            "latin1_encoding",
            "the whole file is ISO-8859-1 (accented names)",
            line=0,
        )

    def _kpis(self, path: Path, files: dict[str, int]) -> None:
        data = path.read_bytes()
        lines = data.decode("utf-8").splitlines()
        n = len(lines) - 1
        dup = sorted(self.rng.choice(np.arange(1, n + 1), size=5, replace=False).tolist())
        unknown = [f"E9{90001 + k:05d},2025-0{k + 1}-01,revenue,{12345.67 + k}" for k in range(4)]
        out = [lines[0]]
        for i in range(1, n + 1):
            out.append(lines[i])
            if i in dup:
                out.append(lines[i])
                self.add(
                    "performance/kpis.csv", len(out) - 1, "duplicate_row", f"exact copy of row {len(out) - 2}"
                )
        for u in unknown:
            out.append(u)
            self.add(
                "performance/kpis.csv",
                len(out) - 1,
                "unknown_id",
                f"employee_id {u.split(',')[0]} is not in the HRIS",
            )
        path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(out) + "\n").encode("utf-8"))
        self.add("performance/kpis.csv", 0, "utf8_bom", "file starts with a UTF-8 byte order mark", line=0)
        files["performance/kpis.csv"] = len(out) - 1

    def _ledger(self, path: Path, files: dict[str, int]) -> None:
        lines = path.read_text(encoding="utf-8").splitlines()
        amount = lines[0].split(",").index("amount")
        target = next(
            i
            for i in range(1, len(lines))
            if lines[i].startswith("sales-skills,") and ",delivery," in lines[i]
        )
        good = lines[target]
        cells = good.split(",")
        cells[amount] = f"{round(float(cells[amount]) * 10, 2)}"
        lines[target] = ",".join(cells)
        blanks = (3, 7)  # an empty line after these data rows, and one at the end

        def physical(row: int) -> int:
            return row + 1 + sum(b < row for b in blanks)

        self.add(
            "costs/ledger.csv",
            target,
            "corrected_row",
            f"amount {cells[amount]} is wrong; costs/ledger_2026-01-05.csv row 1 corrects it",
            line=physical(target),
        )
        (path.parent / "ledger_2026-01-05.csv").write_text(lines[0] + "\n" + good + "\n", encoding="utf-8")
        self.add("costs/ledger_2026-01-05.csv", 1, "correction", f"supersedes costs/ledger.csv row {target}")
        files["costs/ledger_2026-01-05.csv"] = 1
        out: list[str] = []
        for i, line in enumerate(lines):
            out.append(line)
            if i in blanks:
                out.append("")
                self.add(
                    "costs/ledger.csv", i, "blank_line", "stray empty line after this row", line=len(out)
                )
        path.write_text("\n".join(out) + "\n\n", encoding="utf-8")
        self.add("costs/ledger.csv", len(lines) - 1, "blank_line", "empty line at the end", line=len(out) + 1)
