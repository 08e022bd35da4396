"""Measure: the KPI catalog and the employee x period analysis panel, written once, run on DuckDB or Spark.

Engine choice: the catalog and the panel are Ibis expressions (``ibis-framework`` 12). One definition
compiles to DuckDB SQL (the default, over the store's connection: :func:`connect`) and to Spark SQL
(``ibis.pyspark.connect(session)``, extra ``learnroi[spark]``), so the two engines cannot drift apart the
way two hand-kept SQL dialects would; Ibis over DuckDB measured here at no overhead against raw SQL
(``benchmarks/bench_metrics.py``). Hand-compiled SQLGlot was the alternative; Ibis already does the
dialect work and its time arithmetic is correct on both engines when restricted to the forms in
:mod:`learnroi.metrics.engine` (pitfalls.md). Only aggregated cells, or the panel itself, reach Python.

Public API: :func:`catalog`, :func:`compute_kpi`, :func:`compute_all`, :func:`funnel`, :func:`build_panel`,
:func:`content_effectiveness`, :func:`reaction_summary`, :func:`application_summary`, :func:`incident_series`,
:func:`connect`, :func:`record_access`; results :class:`KpiTable`, :class:`ContentTable`, :class:`SurveySummary`
and :class:`Panel` (frozen).
"""

from __future__ import annotations

from learnroi.metrics.access import record_access
from learnroi.metrics.catalog import LEVELS, KpiDef, catalog, kpi_def
from learnroi.metrics.content import ContentTable, content_effectiveness
from learnroi.metrics.engine import connect
from learnroi.metrics.incidents import incident_series
from learnroi.metrics.kpis import compute_all, compute_kpi, funnel
from learnroi.metrics.panel import ONE_PER_HIRE_KPIS, PANEL_COLUMNS, Panel, build_panel
from learnroi.metrics.result import KpiTable, suppress
from learnroi.metrics.surveys import SurveySummary, application_summary, reaction_summary

__all__ = [
    "LEVELS",
    "ONE_PER_HIRE_KPIS",
    "PANEL_COLUMNS",
    "ContentTable",
    "KpiDef",
    "KpiTable",
    "Panel",
    "SurveySummary",
    "application_summary",
    "build_panel",
    "catalog",
    "compute_all",
    "compute_kpi",
    "connect",
    "content_effectiveness",
    "funnel",
    "incident_series",
    "kpi_def",
    "reaction_summary",
    "record_access",
    "suppress",
]
