"""Difference-in-differences benchmarks, each side by side with its anchor in one run.

1. TWFE ``y ~ d | unit + period`` with CRV1 SEs on a 2M-row panel vs pyfixest (same coef and SE to 1e-8).
2. Callaway-Sant'Anna ATT(g,t) on 100,000 employees x 24 months, 6 waves, vs moderndid (and csdid when a
   scratch venv with it is given by ``--csdid-python``): same ATT(g,t), target >= 5x faster.
3. Wild cluster bootstrap, 999 replications on the same 2M rows: target < 30 s.

Usage: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_did.py [--units 100000] [--skip-moderndid]
[--csdid-python /tmp/csdid-venv/bin/python] [--repeat 3]``. Every time is the best of ``--repeat`` runs
(pyfixest's first call, with its JIT compilation, is shown separately). Results go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from learnroi.attribution.bootstrap import wild_cluster_bootstrap
from learnroi.attribution.staggered import callaway_santanna
from learnroi.attribution.twfe import twfe

WAVES = np.array([0, 7, 10, 13, 16, 19, 22])  # 0 = never treated; 6 waves


def panel(units: int, periods: int, seed: int = 0) -> pd.DataFrame:
    """Staggered panel: employees in 1,000 departments, waves by department, effects growing with time."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    t = np.tile(np.arange(1, periods + 1), units)
    dept_of_unit = rng.integers(0, 1000, units)
    g_dept = WAVES[rng.integers(0, len(WAVES), 1000)]
    g = g_dept[dept_of_unit][unit]
    e = t - g
    tau = np.where((g > 0) & (e >= 0), 0.5 + 0.1 * e, 0.0)
    y = rng.normal(size=units)[unit] + 0.05 * t + tau + rng.normal(size=units * periods)
    return pd.DataFrame(
        {"y": y, "unit": unit, "t": t, "g": g, "dept": dept_of_unit[unit], "d": ((g > 0) & (e >= 0)) * 1.0}
    )


REPEAT = 3


def timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    """Best of REPEAT wall-clock runs (the machine is shared: the minimum is the least noisy figure)."""
    best, out = float("inf"), None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return out, best


def bench_twfe(df: pd.DataFrame) -> None:
    import pyfixest as pf

    for cl in ("unit", "dept"):
        ours, t_ours = timed(twfe, df, outcome="y", treat="d", unit="unit", time="t", cluster=cl)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            pf.feols("y ~ d | unit + t", data=df, vcov={"CRV1": cl})
            t_pf_first = time.perf_counter() - t0
            ref, t_pf = timed(pf.feols, "y ~ d | unit + t", data=df, vcov={"CRV1": cl})
        dc = abs(ours.estimate - float(ref.coef().iloc[0]))
        ds = abs(ours.std_error - float(ref.se().iloc[0]))
        print(
            f"TWFE {len(df):,} rows, cluster={cl}: learnroi {t_ours:.2f} s | pyfixest {t_pf:.2f} s warm "
            f"({t_pf_first:.2f} s first call) | |dcoef| {dc:.1e} |dse| {ds:.1e}"
        )


def bench_boot(df: pd.DataFrame) -> None:
    res, t = timed(
        wild_cluster_bootstrap,
        df,
        outcome="y",
        treat="d",
        unit="unit",
        time="t",
        cluster="dept",
        reps=999,
        seed=1,
    )
    lo, hi = res.conf_int()
    print(
        f"wild cluster bootstrap, 999 reps, {len(df):,} rows, 1,000 clusters: {t:.2f} s (p={res.terms[0].p_value:.3f}, CI [{lo:.4f}, {hi:.4f}])"
    )


def bench_cs(df: pd.DataFrame, skip_moderndid: bool, csdid_python: str | None) -> None:
    ours, t_ours = timed(callaway_santanna, df, outcome="y", unit="unit", time="t", group="g")
    _, t_agg = timed(ours.aggregate, "simple")
    print(
        f"CS {len(df):,} rows, {len(ours.att)} ATT(g,t): learnroi {t_ours:.2f} s (+ simple aggregate and pre-test {t_agg:.2f} s)"
    )
    if not skip_moderndid:
        import moderndid as md
        import polars as pl

        pdf = pl.from_pandas(df[["y", "unit", "t", "g"]])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref, t_md = timed(
                md.att_gt, pdf, yname="y", tname="t", idname="unit", gname="g", boot=False, cband=False
            )
        da = np.max(np.abs(ours.att - np.asarray(ref.att_gt)))
        ds = np.nanmax(np.abs(ours.se - np.asarray(ref.se_gt, dtype=float)))
        print(
            f"  moderndid 0.2.0 att_gt: {t_md:.2f} s ({t_md / t_ours:.1f}x ours) | max |dATT| {da:.1e} |dSE| {ds:.1e}"
        )
    if csdid_python:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "panel.csv"
            df[["y", "unit", "t", "g"]].to_csv(path, index=False)
            script = (
                "import time, json, pandas as pd; from csdid.att_gt import ATTgt;"
                f"d = pd.read_csv('{path}'); t = float('inf')\n"
                f"for _ in range({REPEAT}):\n"
                " t0 = time.perf_counter()\n"
                " r = ATTgt(yname='y', tname='t', idname='unit', gname='g', data=d,"
                " control_group=['nevertreated']).fit(est_method='dr', bstrap=False)\n"
                " t = min(t, time.perf_counter() - t0)\n"
                "res = r.results;"
                "print(json.dumps({'t': t, 'att': [float(a) for a in res['att']],"
                " 'se': [float(a) for a in res['se']]}))"
            )
            out = subprocess.run([csdid_python, "-c", script], capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"  csdid failed: {out.stderr.strip().splitlines()[-1:]}")
            else:
                got = json.loads(out.stdout.strip().splitlines()[-1])
                da = np.max(np.abs(ours.att - np.array(got["att"])))
                ds = np.nanmax(np.abs(ours.se - np.array(got["se"])))
                print(
                    f"  csdid 0.4.3: {got['t']:.2f} s ({got['t'] / t_ours:.1f}x ours) | max |dATT| {da:.1e} |dSE| {ds:.1e}"
                )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--twfe-periods", type=int, default=20)
    ap.add_argument("--skip-moderndid", action="store_true")
    ap.add_argument("--csdid-python", default=None)
    ap.add_argument("--only", choices=["twfe", "boot", "cs"], default=None)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs for every timing")
    a = ap.parse_args()
    global REPEAT
    REPEAT = a.repeat
    if a.only in (None, "twfe", "boot"):
        big = panel(a.units, a.twfe_periods)
        if a.only in (None, "twfe"):
            bench_twfe(big)
        if a.only in (None, "boot"):
            bench_boot(big)
        del big
    if a.only in (None, "cs"):
        bench_cs(panel(a.units, 24, seed=1), a.skip_moderndid, a.csdid_python)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
