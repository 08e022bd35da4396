"""Forecast ROI before a pilot, from each hypothesis in the spec and the KPI's history in the store.

The numbers come from :func:`learnroi.roi.forecast_roi` (assumed effect, reach, costs, assumption ranges,
break-even effect) and :func:`learnroi.design.kpi_moments` (the KPI's mean, SD and pre/post correlation
measured before the program starts, for the smallest detectable effect). Labelled "forecast" everywhere.
"""

from __future__ import annotations

from datetime import timedelta

from learnroi.core.program import ProgramSpec
from learnroi.design.moments import kpi_moments, read_kpi_history
from learnroi.metrics import connect
from learnroi.pipeline.analysis import COMPANY_SERIES_KPIS, company_panel, participant_time
from learnroi.roi import ForecastResult, forecast_roi
from learnroi.store import Store


def forecast_program(
    store: Store, spec: ProgramSpec, *, seed: int = 0, draws: int = 100_000
) -> list[ForecastResult]:
    """One forecast per hypothesis of ``spec`` (none when the spec has no hypotheses)."""
    start = spec.program.start
    end = (start - timedelta(days=1)).isoformat() if start else None
    ledger = store.con.execute("SELECT * FROM cost_ledger WHERE program_id = ?", [spec.id]).df()
    ptime = participant_time(store, spec.id)
    assigned = store.con.execute(
        "SELECT count(*) FROM assignments WHERE program_id = ?", [spec.id]
    ).fetchone()
    n_pilot = int(assigned[0]) if assigned and assigned[0] else None  # both arms of a recorded pilot
    out = []
    for hyp in spec.hypotheses:
        if hyp.kpi in COMPANY_SERIES_KPIS:  # one company-wide series: no person-level pilot to size
            series = company_panel(connect(store.con), spec, hyp.kpi)
            pre = series.loc[~series["treated"].astype(bool), "value"]
            baseline, sd, rho = float(pre.mean()), None, 0.0
        else:
            moments = kpi_moments(read_kpi_history(store.con, hyp.kpi), hyp.kpi, end=end)
            baseline, sd, rho = moments.mean, moments.sd, moments.rho
        out.append(
            forecast_roi(
                spec,
                hyp,
                baseline=baseline,
                kpi_sd=sd,
                rho=rho,
                n_available=n_pilot,
                ledger=ledger,
                participant_time=ptime,
                seed=seed,
                draws=draws,
            )
        )
    return out
