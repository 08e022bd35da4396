"""learnroi: measure the return on investment of corporate learning programs.

Four steps, one layer each (see docs/explanation/architecture.md): define the program
(:mod:`learnroi.core.program`, :mod:`learnroi.design`), measure (:mod:`learnroi.sources`,
:mod:`learnroi.store`, :mod:`learnroi.metrics`), attribute (:mod:`learnroi.attribution`),
calculate and report (:mod:`learnroi.roi`, :mod:`learnroi.report`).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
