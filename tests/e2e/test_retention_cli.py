"""`attribute --retention [--months N] [--json]` on a simulated company.

The store is the simulator's tables loaded with ``store_from_tables`` and copied to a file; the command
runs in-process through ``learnroi.cli.main.run``. Checked against the simulated tables directly: the
people per arm equal the truth's ``n``, each arm's exit share equals the share whose HRIS exit date falls
before the assignment's anniversary (counted here with plain date comparisons, not the pipeline's
calendar months), and each arm's interval covers the truth's ``exit_12m`` (one seed: a sanity check, the
coverage study is tests/unit/test_pipeline_retention.py).

Would catch: the flag parsed but ignored, ``--months`` ignored, JSON that is not one object per program,
arms missing, the exit share counted over the whole follow-up, a non-randomized program crashing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from learnroi.cli.main import run
from learnroi.pipeline.inmemory import store_from_tables
from learnroi.simulate import simulate_tables

EMPLOYEES = 1500
SEED = 2


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], pd.DataFrame]:
    root = tmp_path_factory.mktemp("retention-cli")
    sim = simulate_tables(EMPLOYEES, SEED, extras=False)
    for name, text in sim.specs.items():
        (root / name).write_text(text, encoding="utf-8")
    with store_from_tables(sim.tables) as store:
        db = store.con.execute("SELECT current_database()").fetchone()
        assert db is not None
        store.con.execute(f"ATTACH '{root / 'store.duckdb'}' AS f")
        store.con.execute(f"COPY FROM DATABASE {db[0]} TO f")
        store.con.execute("DETACH f")
    emp = sim.tables["hris/employees.csv"].select(["employee_id", "exit_date"]).to_pandas()
    asg = sim.tables["design/assignments.csv"].to_pandas()
    people = asg[asg["program_id"] == "service-blend"].merge(emp, on="employee_id", how="left")
    return root, sim.truth, people


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        run(args)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def _left_before(people: pd.DataFrame, months: int) -> dict[str, float]:
    """Per arm: share whose exit date is before the assignment date plus ``months`` (all assigned
    2024-06-01 in the simulator; 2024-06-01 + 12 months = 2025-06-01)."""
    assert set(people["assigned_date"].astype(str)) == {"2024-06-01"}
    y, m = divmod(6 - 1 + months, 12)
    anniversary = dt.date(2024 + y, m + 1, 1)
    gone = people["exit_date"].notna() & (pd.to_datetime(people["exit_date"]) < pd.Timestamp(anniversary))
    return {str(a): float(v) for a, v in gone.groupby(people["arm"]).mean().items()}


def test_attribute_retention_json(
    company: tuple[Path, dict[str, Any], pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    root, truth, people = company
    db = ["--db", str(root / "store.duckdb")]
    spec = str(root / "program-service-blend.toml")
    code, out, err = _run(["attribute", spec, "--retention", "--json", *db], capsys)
    assert code == 0, err
    (item,) = json.loads(out)
    assert item["program"] == "service-blend"
    assert item["months"] == 12
    assert item["identified"]
    arms = {a["arm"]: a for a in item["arms"]}
    true_arms = truth["programs"]["service-blend"]["arms"]
    assert sorted(arms) == sorted([*true_arms, "control"])
    want = _left_before(people, 12)
    for name, row in arms.items():
        assert row["exit_share"] == pytest.approx(want[name], abs=1e-12), name
        if name == "control":
            assert row["difference"] is None
            continue
        assert row["n"] == true_arms[name]["n"]
        assert row["conf_low"] <= true_arms[name]["exit_12m"] <= row["conf_high"], name
        assert row["hazard_ratio"] > 0
        assert row["hr_conf_low"] < row["hazard_ratio"] < row["hr_conf_high"]
    assert item["proportion"] is not None  # everyone was assigned 18 months before the data end
    assert any("not monetized" in n for n in item["notes"])

    code, out, err = _run(["attribute", spec, "--retention", "--months", "6", "--json", *db], capsys)
    assert code == 0, err
    six = {a["arm"]: a["exit_share"] for a in json.loads(out)[0]["arms"]}
    assert six == pytest.approx(_left_before(people, 6), abs=1e-12)


def test_attribute_retention_table(
    company: tuple[Path, dict[str, Any], pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _, _ = company
    db = ["--db", str(root / "store.duckdb")]
    onboarding = str(root / "program-onboarding.toml")
    code, out, err = _run(["attribute", str(root / "program-service-blend.toml"), "--retention", *db], capsys)
    assert code == 0, err
    assert "leaving within 12 months" in out
    assert "hazard ratio" in out
    for arm in ("control", "digital", "blended", "classroom"):
        assert arm in out
    assert "proportional-hazards check" in out
    code, out, err = _run(["attribute", onboarding, "--retention", *db], capsys)
    assert code == 0, err
    assert "onboarding: no retention comparison" in out


def test_months_without_retention_is_a_usage_error(
    company: tuple[Path, dict[str, Any], pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _, _ = company
    code, _, err = _run(["attribute", "--months", "6", "--db", str(root / "store.duckdb")], capsys)
    assert code == 2
    assert "Hint:" in err
