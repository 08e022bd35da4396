"""learnroi.report: the report data and its exporters (HTML dashboard, one-page PDF, live Excel model).

Build one frozen :class:`ReportData` with :func:`build_program_section` per program and
:func:`build_report_data`; every exporter reads only it (docs/explanation/report.md).
"""

from __future__ import annotations

from learnroi.report.actions import Action, Driver, recommend_actions
from learnroi.report.build import build_program_section, build_report_data
from learnroi.report.data import ProgramSection, Provenance, ReportData, RoiFigures
from learnroi.report.export import write_report
from learnroi.report.html import write_html
from learnroi.report.pdf import write_pdf
from learnroi.report.xlsx import write_xlsx

__all__ = [
    "Action",
    "Driver",
    "ProgramSection",
    "Provenance",
    "ReportData",
    "RoiFigures",
    "build_program_section",
    "build_report_data",
    "recommend_actions",
    "write_html",
    "write_pdf",
    "write_report",
    "write_xlsx",
]
