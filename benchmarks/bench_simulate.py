"""Benchmark ``learnroi simulate``: wall time, peak memory and output size at a given company size.

Usage: ``.venv/bin/python benchmarks/bench_simulate.py --employees 100000 [--xapi/--no-xapi] [--keep DIR]``.
Each size runs in a fresh child process so that peak RSS (``ru_maxrss``) is that run's alone. The anchor,
measured in the same run, is writing the same number of LMS rows with pyarrow's CSV writer alone (the
floor the simulator cannot beat).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(employees: int, xapi: bool | None, out: Path) -> None:
    from learnroi.simulate import simulate_company

    t0 = time.perf_counter()
    s = simulate_company(out, employees=employees, seed=42, xapi=xapi)
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
    print(
        json.dumps(
            {
                "employees": employees,
                "seconds": secs,
                "peak_rss_mb": peak_mb,
                "output_mb": size_mb,
                "events": s.files["lms/events.csv"],
                "kpi_rows": s.files["performance/kpis.csv"],
            }
        )
    )


def _anchor(rows: int, out: Path) -> float:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    t0 = time.perf_counter()
    chunk = 1_000_000
    with pcsv.CSVWriter(
        out / "anchor.csv", pa.schema([("event_id", pa.string()), ("ts", pa.string()), ("x", pa.float64())])
    ) as w:
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)
            w.write_table(
                pa.table(
                    {
                        "event_id": pa.array(np.arange(n).astype(str)),
                        "ts": pa.array(np.full(n, "2025-01-02T09:00:00+00:00")),
                        "x": np.random.default_rng(lo).random(n),
                    }
                )
            )
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=100_000)
    ap.add_argument("--xapi", action=argparse.BooleanOptionalAction, default=None)
    ap.add_argument("--keep", type=Path, default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child(a.employees, a.xapi, a.out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = a.keep or Path(tmp) / "data"
        cmd = [sys.executable, __file__, "--child", "--employees", str(a.employees), "--out", str(out)]
        flag = [] if a.xapi is None else ["--xapi" if a.xapi else "--no-xapi"]
        res = json.loads(subprocess.run(cmd + flag, check=True, capture_output=True, text=True).stdout)
        res["xapi"] = (out / "xapi" / "statements.jsonl").exists()
        res["anchor_csv_seconds"] = _anchor(int(res["events"]), Path(tmp))
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
