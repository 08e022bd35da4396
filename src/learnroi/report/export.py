"""``write_report``: every format from one report data object, so the formats cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from learnroi.core.options import ReportFormat, check_option
from learnroi.report.data import ReportData
from learnroi.report.html import write_html
from learnroi.report.pdf import write_pdf
from learnroi.report.xlsx import write_xlsx

FILE_NAMES = {"html": "report.html", "pdf": "summary.pdf", "xlsx": "roi-model.xlsx"}


def write_report(
    data: ReportData, out_dir: Path | str, formats: Iterable[str] = ("html", "pdf", "xlsx")
) -> dict[str, Path]:
    """Write the chosen formats into ``out_dir``; returns ``{format: path}``.

    ``report.html`` (the dashboard), ``summary.pdf`` (the one-page summary of the first identified
    program) and ``roi-model.xlsx`` (the live ROI model). With several programs, one one-page PDF per
    program is also written as ``summary-<program>.pdf`` under the keys ``pdf:<program>``.
    """
    chosen: list[ReportFormat] = []
    for f in formats:
        check_option(f, ReportFormat, "format")
        if f not in chosen:
            chosen.append(f)  # type: ignore[arg-type]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for f in chosen:
        target = out / FILE_NAMES[f]
        if f == "html":
            written[f] = write_html(data, target)
        elif f == "xlsx":
            written[f] = write_xlsx(data, target)
        else:
            written[f] = write_pdf(data, target)
            if len(data.programs) > 1:
                for p in data.programs:
                    written[f"pdf:{p.program_id}"] = write_pdf(
                        data, out / f"summary-{p.program_id}.pdf", p.program_id
                    )
    return written
