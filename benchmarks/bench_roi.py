"""Benchmark: compute_roi with 100,000 Monte Carlo draws (target: under 1 s, contracts §3 speed figures).

Run: .venv/bin/python benchmarks/bench_roi.py [--draws 100000] [--repeats 5]
Anchor, measured side by side in the same run: one bare numpy normal draw of the same size (the floor for
any Monte Carlo of that many draws).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from learnroi.core.program import parse_spec
from learnroi.roi import EffectInput, PhillipsRules, compute_roi, template_text

CORRELATIONS = """
[[correlations]]
a = "adoption"
b = "decay_half_life_months"
rho = 0.5
source = "benchmark"

[[correlations]]
a = "reach"
b = "adoption"
rho = -0.3
source = "benchmark"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--horizon", type=int, default=12, help="months (first-year rule off above 12)")
    parser.add_argument(
        "--correlated",
        action="store_true",
        help="add two [[correlations]] (Gaussian copula over 3 assumptions)",
    )
    args = parser.parse_args()
    text = template_text().replace("horizon_months = 12", f"horizon_months = {args.horizon}")
    if args.correlated:
        text += CORRELATIONS
    spec = parse_spec(text)
    ledger = pd.DataFrame(
        {
            "program_id": ["sales-skills"] * 3,
            "category": ["delivery", "platform", "evaluation"],
            "amount": [120_000.0, 30_000.0, 15_000.0],
        }
    )
    people = 400
    time_frame = pd.DataFrame(
        {
            "employee_id": [f"E{i:05d}" for i in range(people)],
            "hours": np.full(people, 12.0),
            "hourly_rate": np.full(people, 48.0),
        }
    )
    effect = EffectInput(kpi="revenue", estimate=650.0, std_error=180.0)
    rules = PhillipsRules(first_year_only=args.horizon <= 12)
    compute_roi(spec, effect, ledger=ledger, participant_time=time_frame, draws=1_000)  # warm-up
    roi_times, anchor_times = [], []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        res = compute_roi(
            spec, effect, ledger=ledger, participant_time=time_frame, draws=args.draws, seed=i, rules=rules
        )
        roi_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        np.random.default_rng(i).normal(size=args.draws)
        anchor_times.append(time.perf_counter() - t0)
    print(
        f"compute_roi, {args.draws:,} draws, horizon {res.horizon_months} months: median {statistics.median(roi_times):.3f} s (min {min(roi_times):.3f} s) over {args.repeats} runs"
    )
    print(
        f"anchor: numpy normal draw of {args.draws:,}: median {statistics.median(anchor_times) * 1000:.1f} ms"
    )
    print(
        f"ROI {res.roi_pct:.1f} % [{res.roi_conf_low:.1f}, {res.roi_conf_high:.1f}], P(ROI>0) {res.p_roi_positive:.3f}"
    )


if __name__ == "__main__":
    main()
