"""`learnroi design` and `learnroi hypotheses` end to end, through the real CLI entry point.

The store is a real `Store.open` file filled with a small synthetic company (HRIS + a monthly revenue
KPI with a person effect, team effects and noise). Would catch: options not reaching the library, the
plan or registry not stored, CSVs outside the data layout, a non-reproducible assignment, tracebacks
or wrong exit codes on user mistakes (1 with a Hint: for data/spec problems, 2 for usage).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from learnroi.store import Store

SEED = 31337
SPEC = """
[program]
id = "sales-skills"
name = "Consultative selling"
audience = "sales_rep"
design = "randomized"
primary_kpi = "revenue"

[[hypotheses]]
id = "sales-skills-h1"
kpi = "revenue"
assumed_effect = 0.06
assumed_effect_unit = "relative"
rationale = "Better discovery raises deal size"
owner = "Head of Enablement"

[pilot]
allocation = 0.5
strata = ["department", "tenure_band"]
baseline_months = 3
measurement_months = 3
guardrails = ["deals"]
"""


def _fill(path: Path, n: int = 480, months: int = 12) -> None:
    rng = np.random.default_rng(SEED)
    ids = [f"E{i:05d}" for i in range(n)]
    team = rng.integers(0, n // 8, n)
    emp = pd.DataFrame(
        {
            "employee_id": ids,
            "department": [f"Sales-{t % 6:02d}" for t in team],
            "team_id": [f"T{t:03d}" for t in team],
            "role": rng.choice(["sales_rep", "sales_manager"], n, p=[0.9, 0.1]),
            "hire_date": (pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3_000, n), "D")).date,
        }
    )
    person = rng.normal(0, 2_000, n) + rng.normal(0, 500, n // 8 + 1)[team]
    periods = pd.date_range("2024-01-01", periods=months, freq="MS").date
    values = 10_000 + person[:, None] + rng.normal(0, 2_500, (n, months))
    perf = pd.DataFrame(
        {
            "employee_id": np.repeat(ids, months),
            "period": np.tile(periods, n),
            "kpi": "revenue",
            "value": values.ravel(),
        }
    )
    with Store.open(path) as store:
        store.con.register("emp", emp)
        store.con.register("perf", perf)
        store.con.execute(
            "INSERT INTO hist_employees (employee_id, department, team_id, role, hire_date, _key, _hash, _batch_id) "
            "SELECT employee_id, department, team_id, role, hire_date, hash(employee_id), hash(employee_id), 1 FROM emp"
        )
        store.con.execute(
            "INSERT INTO hist_performance (employee_id, period, kpi, value, _key, _hash, _batch_id) "
            "SELECT employee_id, period, kpi, value, hash(employee_id || period::VARCHAR), hash(value), 1 FROM perf"
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "learnroi.duckdb"
    _fill(path)
    return path


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from learnroi.cli.main import run

    with pytest.raises(SystemExit) as done:
        run(list(args))
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out, out.err


def test_design_sizes_the_pilot_on_the_measured_kpi(db: Path, capsys: Any) -> None:
    rc, out, _ = cli(
        capsys,
        "design",
        "--program",
        "sales",
        "--kpi",
        "revenue",
        "--effect",
        "0.05",
        "--relative",
        "--db",
        str(db),
        "--json",
    )
    assert rc == 0
    res = json.loads(out)
    power, moments = res["power"], res["moments"]
    assert 1_500 < moments["sd"] < 3_000
    assert 0.4 < moments["rho"] < 0.9
    assert power["effect"] == pytest.approx(0.05 * moments["mean"])
    assert power["n_available"] == 480
    assert power["detectable"] == (power["power_available"] >= 0.8)
    rc, out, _ = cli(
        capsys,
        "design",
        "--program",
        "sales",
        "--kpi",
        "revenue",
        "--effect",
        "0.02",
        "--relative",
        "--n",
        "60",
        "--db",
        str(db),
    )
    assert rc == 0
    assert "detectable: NO" in out
    assert "More people" in out
    rc, out, _ = cli(
        capsys,
        "design",
        "--program",
        "sales",
        "--kpi",
        "revenue",
        "--effect",
        "0.05",
        "--relative",
        "--cluster",
        "team_id",
        "--db",
        str(db),
        "--json",
    )
    clustered = json.loads(out)["power"]
    assert clustered["icc"] > 0  # measured on the history by team (planted team effects)
    assert clustered["design_effect"] > 1
    assert clustered["n_required"] > power["n_required"]
    assert clustered["clusters_required"] > 0


def test_design_from_spec_assigns_plans_and_registers(db: Path, tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "program-sales-skills.toml"
    spec.write_text(SPEC, encoding="utf-8")
    out_dir = tmp_path / "data"
    args = [
        "design",
        str(spec),
        "--db",
        str(db),
        "--start",
        "2025-02-01",
        "--assign",
        "--out",
        str(out_dir),
        "--seed",
        "7",
    ]
    rc, out, _ = cli(capsys, *args, "--json")
    assert rc == 0
    res = json.loads(out)
    assert res["plan"]["measurement_end"] == "2025-04-30"
    assert res["plan"]["guardrails"] == ["deals"]
    with Store.open(db, read_only=True) as store:
        reps = store.con.execute("SELECT count(*) FROM employees WHERE role = 'sales_rep'").fetchone()
    assert reps is not None
    assert res["assignment"]["n_treatment"] + res["assignment"]["n_control"] == reps[0]  # the spec's audience
    csv = out_dir / "design" / "assignments.csv"
    first = pd.read_csv(csv, dtype=str, keep_default_na=False)
    gap = abs(res["assignment"]["n_treatment"] - res["assignment"]["n_control"])
    assert gap <= first["stratum"].nunique()  # each stratum splits evenly up to one person
    assert list(first.columns) == [
        "program_id",
        "employee_id",
        "arm",
        "stratum",
        "cluster_id",
        "assigned_date",
    ]
    rc, _, _ = cli(capsys, *args)
    pd.testing.assert_frame_equal(first, pd.read_csv(csv, dtype=str, keep_default_na=False))
    with Store.open(db, read_only=True) as store:
        versions = store.con.execute(
            "SELECT version FROM pilot_plans WHERE program_id = 'sales-skills'"
        ).fetchall()
        in_store = store.con.execute(
            "SELECT employee_id, arm FROM assignments WHERE program_id = 'sales-skills' ORDER BY employee_id"
        ).df()
    assert sorted(v[0] for v in versions) == [1, 2]
    expected = first[["employee_id", "arm"]].sort_values("employee_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(in_store, expected)  # recorded through `ingest design`, the same tables
    rc, out, _ = cli(capsys, "hypotheses", "list", "--db", str(db), "--json")
    listed = json.loads(out)
    assert [(h["hypothesis_id"], h["status"]) for h in listed] == [("sales-skills-h1", "piloting")]


def test_staggered_design_writes_waves(db: Path, tmp_path: Path, capsys: Any) -> None:
    rc, out, _ = cli(
        capsys,
        "design",
        "--program",
        "onb",
        "--kpi",
        "revenue",
        "--effect",
        "500",
        "--design",
        "staggered",
        "--waves",
        "3",
        "--assign",
        "--out",
        str(tmp_path),
        "--start",
        "2025-03-01",
        "--db",
        str(db),
        "--json",
    )
    assert rc == 0
    waves = pd.read_csv(tmp_path / "design" / "waves.csv", dtype=str, keep_default_na=False)
    assert list(waves.columns) == ["program_id", "unit_type", "unit_id", "wave", "start_date"]
    assert set(waves["wave"]) == {"1", "2", "3"}
    with Store.open(db, read_only=True) as store:
        stored = store.con.execute("SELECT count(*) FROM waves WHERE program_id = 'onb'").fetchone()
    assert stored == (len(waves),)
    assert json.loads(out)["plan"]["analysis_design"] == "staggered"


def test_hypotheses_add_list_show_review(db: Path, capsys: Any) -> None:
    rc, out, _ = cli(
        capsys,
        "hypotheses",
        "add",
        "--program",
        "sales",
        "--kpi",
        "revenue",
        "--effect",
        "0.05",
        "--owner",
        "Ana",
        "--steward",
        "RevOps",
        "--rationale",
        "coaching",
        "--db",
        str(db),
        "--json",
    )
    assert rc == 0
    hid = json.loads(out)["hypothesis_id"]
    rc, out, _ = cli(
        capsys,
        "hypotheses",
        "review",
        hid,
        "--status",
        "inconclusive",
        "--note",
        "q1",
        "--today",
        "2025-04-01",
        "--db",
        str(db),
        "--json",
    )
    assert rc == 0
    assert json.loads(out)["next_review"] == "2025-07-01"
    rc, out, _ = cli(
        capsys, "hypotheses", "list", "--due", "--today", "2025-07-02", "--db", str(db), "--json"
    )
    assert [h["hypothesis_id"] for h in json.loads(out)] == [hid]
    rc, out, _ = cli(capsys, "hypotheses", "show", hid, "--db", str(db))
    assert rc == 0
    assert "inconclusive" in out
    assert "q1" in out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["hypotheses", "show", "nope"], 1, "no hypothesis"),
        (["hypotheses", "review", "nope", "--status", "confirmed"], 1, "no hypothesis"),
        (
            ["hypotheses", "add", "--program", "p", "--kpi", "k", "--effect", "1", "--status", "maybe"],
            2,
            "status",
        ),
        (["design", "--kpi", "revenue"], 2, "--program"),
        (["design", "--program", "p", "--kpi", "nope", "--effect", "1"], 1, "no history"),
        (
            ["design", "--program", "p", "--kpi", "revenue", "--effect", "1", "--start", "soon"],
            2,
            "not a date",
        ),
    ],
)
def test_user_mistakes_exit_with_hints(
    db: Path, capsys: Any, args: list[str], code: int, needle: str
) -> None:
    rc, _, err = cli(capsys, *args, "--db", str(db))
    assert rc == code
    assert needle in err
    assert "Hint:" in err
    assert "Traceback" not in err


def test_look_reads_the_running_pilot_always_validly(db: Path, tmp_path: Path, capsys: Any) -> None:
    """A planted +1,500 effect (about 5 SEs) is detected at an interim look; the looks are stored."""
    rc, _, _ = cli(
        capsys,
        "design",
        "--program",
        "sales",
        "--kpi",
        "revenue",
        "--effect",
        "0.05",
        "--relative",
        "--assign",
        "--out",
        str(tmp_path),
        "--start",
        "2024-10-01",
        "--db",
        str(db),
    )
    assert rc == 0
    rc, out, _ = cli(capsys, "design", "--program", "sales", "--look", "--db", str(db), "--json")
    null = json.loads(out)
    assert [lk["look"] for lk in null["looks"]] == [1, 2, 3]
    assert null["looks"][-1]["information"] == pytest.approx(1.0, rel=0.3)
    with Store.open(db) as store:
        store.con.execute(
            "UPDATE hist_performance SET value = value + 1500 WHERE period >= DATE '2024-10-01' AND employee_id IN "
            "(SELECT employee_id FROM assignments WHERE program_id = 'sales' AND arm = 'treatment')"
        )
    rc, out, _ = cli(
        capsys, "design", "--program", "sales", "--look", "--as-of", "2024-11-30", "--db", str(db), "--json"
    )
    reading = json.loads(out)
    assert rc == 0
    assert len(reading["looks"]) == 2
    assert reading["looks"][0]["conf_low"] < 1500 < reading["looks"][0]["conf_high"]
    assert reading["decision"].startswith("effect detected")
    with Store.open(db, read_only=True) as store:
        assert store.con.execute(
            "SELECT count(*) FROM interim_looks WHERE program_id = 'sales'"
        ).fetchone() == (2,)
