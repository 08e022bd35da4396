"""A seeded synthetic company with planted, known effects: HRIS, LMS events, xAPI, KPIs, costs, surveys.

:func:`simulate_company` writes the folder described in ``docs/reference/data-layout.md``; the planted
truth (``truth/truth.json``) is how the estimators are proven right. See
``docs/explanation/simulated-company.md`` for what is planted and why.
"""

from __future__ import annotations

from learnroi.simulate.company import SimulationSummary, simulate_company
from learnroi.simulate.tables import CompanyTables, simulate_tables
from learnroi.simulate.xapi import XAPI_NAMESPACE, statement_id

__all__ = [
    "XAPI_NAMESPACE",
    "CompanyTables",
    "SimulationSummary",
    "simulate_company",
    "simulate_tables",
    "statement_id",
]
