"""`attribute --by-arm`, `roi --by-arm`, `roi --by cohort|year` and `roi --platform` on a simulated company.

The store is the simulator's tables loaded with ``store_from_tables`` and copied to a file (the CLI
opens a file); the commands run in-process through ``learnroi.cli.main.run``. Checked against the
simulator's truth where the number is exact by construction (per-arm costs follow the same contract
rules; the platform's cost lines and before/after admin hours are written as-is), and against the
other outputs of the same store where it is not (the year table ends at the program's ROI).

Would catch: a flag that is parsed but ignored, JSON that is not one object per arm, arms missing from
the table, a breakdown that disagrees with `roi --json`, wrong usage exiting 1 instead of 2 or without a Hint.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from learnroi.cli.main import run
from learnroi.pipeline.arms import ARM_COLUMNS
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.simulate import simulate_tables

EMPLOYEES = 1500
SEED = 1


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("arms-cli")
    sim = simulate_tables(EMPLOYEES, SEED)
    for name, text in sim.specs.items():
        (root / name).write_text(text, encoding="utf-8")
    with store_from_tables(sim.tables) as store:
        db = store.con.execute("SELECT current_database()").fetchone()
        assert db is not None
        store.con.execute(f"ATTACH '{root / 'base.duckdb'}' AS f")
        store.con.execute(f"COPY FROM DATABASE {db[0]} TO f")
        store.con.execute("DETACH f")
    return root, sim.truth


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        run(args)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def test_attribute_and_roi_by_arm(
    company: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, truth = company
    db = _fresh(root, "arms")
    code, out, err = _run(
        ["attribute", str(root / "program-service-blend.toml"), "--by-arm", "--json", *db], capsys
    )
    assert code == 0, err
    rows = json.loads(out)
    true_arms = truth["programs"]["service-blend"]["arms"]
    assert sorted(r["arm"] for r in rows) == sorted(a for a in true_arms if a != "control")
    for r in rows:
        assert set(ARM_COLUMNS) <= set(r)
        assert r["program"] == "service-blend"
        assert r["versus"] == "control"
        assert r["cost"] == pytest.approx(true_arms[r["arm"]]["cost"], rel=1e-9)
        assert r["conf_low"] <= r["effect"] <= r["conf_high"]
    code, out, err = _run(["roi", "--by-arm", *db], capsys)
    assert code == 0, err
    assert "Which blend pays" in out
    for arm in ("digital", "blended", "classroom"):
        assert arm in out


def _fresh(root: Path, name: str) -> list[str]:
    """A copy of the store with no program registered, so each command analyzes only what it is given."""
    target = root / f"{name}.duckdb"
    shutil.copy(root / "base.duckdb", target)
    return ["--db", str(target)]


def test_roi_by_cohort_and_year(
    company: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, truth = company
    db = _fresh(root, "cohorts")
    code, out, err = _run(
        ["roi", str(root / "program-onboarding.toml"), "--by", "cohort", "--json", *db], capsys
    )
    assert code == 0, err
    (item,) = json.loads(out)
    onb = item["by_cohort"]
    assert onb is not None
    waves = {w[:7] for w in truth["programs"]["onboarding"]["waves"].values()}
    assert {c["cohort"] for c in onb["cohorts"]} <= waves
    assert sum(c["cost"] for c in onb["cohorts"]) == pytest.approx(onb["total"]["cost"], rel=1e-9)
    assert sum(c["reach"] for c in onb["cohorts"]) == pytest.approx(truth["programs"]["onboarding"]["reach"])
    code, out, err = _run(["roi", "--by", "year", "--json", *db], capsys)
    assert code == 0, err
    (item,) = json.loads(out)
    assert item["program"] == "onboarding"
    assert item["roi_pct"] is not None
    # the last year's cumulative ROI is the program's ROI
    assert item["by_year"][-1]["cumulative_roi_pct"] == pytest.approx(item["roi_pct"], rel=1e-9)


def test_roi_platform(company: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    root, truth = company
    db = _fresh(root, "platform")
    code, out, err = _run(
        ["roi", str(root / "program-sales-skills.toml"), "--platform", "--json", *db], capsys
    )
    assert code == 0, err
    plat = json.loads(out)
    assert plat["platform_cost"] == pytest.approx(truth["platform"]["total_cost"], rel=1e-9)
    assert plat["admin"]["hours_saved"] == pytest.approx(truth["platform"]["hours_saved_realized"], rel=1e-9)
    code, out, err = _run(["roi", "--platform", *db], capsys)
    assert code == 0, err
    assert "platform" in out.lower()


@pytest.mark.parametrize(
    "args", [["roi", "--by", "department"], ["roi", "--by-arm", "--platform"]], ids=["bad-by", "two-modes"]
)
def test_wrong_usage_exits_2_with_hint(
    args: list[str], company: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = company
    code, _, err = _run([*args, *_fresh(root, "usage")], capsys)
    assert code == 2
    assert "Hint:" in err
