"""The one-page PDF read as a person's tools read it: rendered to PNG by poppler, text extracted by pypdf.

What it would catch: a summary that spills onto a second page, a chart that fails to render (a blank
image), and a page missing what the executive needs: the ROI, its range, the probability it is positive,
the three drivers, the two actions and the sentence naming the design — with the same numbers as the
dashboard and the workbook.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from learnroi.report import write_pdf, write_report
from learnroi.report.example import example_report_data
from learnroi.report.example_blend import example_blend_report_data
from learnroi.report.fmt import ascii_safe, pct
from learnroi.report.view import figures
from learnroi.report.view_blend import best_arm_sentence
from tests.conftest import require_tool

pytestmark = pytest.mark.poppler


def _gray_std(path: Path) -> float:
    """Contrast of a binary PGM (P5) image: near zero for a blank page."""
    raw = path.read_bytes()
    parts = raw.split(maxsplit=4)
    assert parts[0] == b"P5"
    width, height = int(parts[1]), int(parts[2])
    pixels = np.frombuffer(parts[4][-width * height :], dtype=np.uint8)
    return float(pixels.std())


def _text(path: Path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.mark.parametrize("program", ["sales-skills", "onboarding"])
def test_one_page_with_roi_range_drivers_and_actions(tmp_path: Path, program: str) -> None:
    pdftoppm = require_tool("pdftoppm", "the PDF is rendered to PNG as a viewer would")
    data = example_report_data()
    p = data.program(program)
    path = write_pdf(data, tmp_path / "summary.pdf", program)
    subprocess.run([pdftoppm, "-r", "60", "-png", str(path), str(tmp_path / "page")], check=True)
    assert len(sorted(tmp_path.glob("page*.png"))) == 1, "the summary must be exactly one page"
    subprocess.run([pdftoppm, "-r", "30", "-gray", str(path), str(tmp_path / "gray")], check=True)
    assert _gray_std(next(tmp_path.glob("gray*.pgm"))) > 20, "the page rendered blank"

    text = _text(path)
    f = figures(p)
    compact = " ".join(ascii_safe(s) for s in (f.roi, f.range, f.p_pos))
    for piece in compact.split(" "):
        assert piece in text
    for d in p.drivers:
        assert " ".join(ascii_safe(d.text).split()) in text
    for a in p.actions:
        assert a.verb.capitalize() in text
        assert " ".join(ascii_safe(a.text).split()) in text
    assert " ".join(ascii_safe(p.design_sentence).split()) in text
    if not p.identified:
        assert "Not identified" in text
        assert "not attributed" in text


def test_numbers_agree_across_html_pdf_and_workbook(tmp_path: Path) -> None:
    require_tool("pdftoppm", "the PDF is rendered to PNG as a viewer would")
    openpyxl = pytest.importorskip("openpyxl")
    data = example_report_data()
    files = write_report(data, tmp_path)
    html = files["html"].read_text(encoding="utf-8")
    for p in data.programs:
        h = p.headline
        assert h is not None
        text = _text(files[f"pdf:{p.program_id}"])
        f = figures(p)
        for s in (pct(h.roi_pct), f.range, f.benefit, f.cost):
            assert s in html
            assert ascii_safe(s) in text
    ws = openpyxl.load_workbook(files["xlsx"], data_only=True)["Summary"]
    cached = [r[1].value for r in ws.iter_rows() if r[0].value == "ROI %"]
    want = [p.headline.roi_pct for p in data.programs if p.headline]
    assert cached == pytest.approx(want, abs=0.005)


def test_blended_program_names_its_best_paying_arm_on_one_page(tmp_path: Path) -> None:
    pdftoppm = require_tool("pdftoppm", "the PDF is rendered to PNG as a viewer would")
    data = example_blend_report_data()
    p = data.programs[0]
    path = write_pdf(data, tmp_path / "blend.pdf")
    subprocess.run([pdftoppm, "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    assert len(sorted(tmp_path.glob("page*.png"))) == 1, "the summary must stay one page"
    text = _text(path)
    sentence = best_arm_sentence(p)
    assert sentence is not None
    assert " ".join(ascii_safe(sentence).split()) in text  # 'Best-paying arm: blended - ROI 55.5% ...'
    f = figures(p)
    assert ascii_safe(f.roi) in text
    # a program without arms has no such line
    assert "Best-paying arm" not in _text(write_pdf(example_report_data(), tmp_path / "plain.pdf"))
