"""The workbook carries what the dashboard's blend and evidence blocks show: content effectiveness and the
modality mix on the KPIs sheet, the chain of evidence, the surveys and the qualitative notes on the Evidence
sheet (static values, suppressed cells kept suppressed).

Would catch: a workbook that leaves out the chain of evidence or the content ranking the report shows, or
one that writes a suppressed module's numbers.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from learnroi.report.example_blend import example_blend_report_data
from learnroi.report.xlsx import write_xlsx


def _cells(ws: object) -> list[str]:
    return [str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None]  # type: ignore[attr-defined]


def test_evidence_and_content_sheets(tmp_path: Path) -> None:
    data = example_blend_report_data()
    path = write_xlsx(data, tmp_path / "model.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert "Evidence" in wb.sheetnames
    ev = _cells(wb["Evidence"])
    p = next(p for p in data.programs if p.content)
    assert [link.name for link in p.evidence] == ["Reaction", "Learning", "Application", "Impact", "ROI"]
    for link in p.evidence:
        assert link.name in ev
        assert link.strength in ev
    assert "Level 1: reaction survey" in ev
    assert "Level 3: application (manager ratings)" in ev
    assert "Qualitative evidence (not monetized)" in ev
    assert p.qualitative[0]["note"] in ev
    kpis = _cells(wb["KPIs"])
    assert "Content effectiveness (update first: rank 1)" in kpis
    assert "sb-core-2" in kpis  # the example's planted weakest module (reach 330, drop-off 45 %, gain 0.01)
    # the 3-learner social module is suppressed in the report data: the workbook writes no numbers for it
    social = next(r for r in p.content if r.get("module_id") == "sb-social-1")
    assert social.get("reach") is None
    rows = [row for row in wb["KPIs"].iter_rows(values_only=True) if "sb-social-1" in row]
    assert rows
    assert all(not isinstance(v, int | float) or isinstance(v, bool) for row in rows for v in row), rows
    wb.close()
