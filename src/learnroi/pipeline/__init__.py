"""The four steps wired together over a store: register specs, analyze programs, build the report, the demo.

The CLI and ``learnroi demo`` call these; the numeric layers below never see the database (this layer
hands them frames).
"""

from __future__ import annotations

from learnroi.pipeline.analysis import ProgramAnalysis, analyze_program
from learnroi.pipeline.programs import load_programs, register_spec
from learnroi.pipeline.reporting import build_report, read_truth

__all__ = [
    "ProgramAnalysis",
    "analyze_program",
    "build_report",
    "load_programs",
    "read_truth",
    "register_spec",
]
