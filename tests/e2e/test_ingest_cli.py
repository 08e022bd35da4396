"""`learnroi ingest` / `learnroi sources` end to end on the simulated company, clean and --messy.

Would catch: a planted fault (truth/messy.json) that is loaded, lost or miscounted; a re-ingest that adds
rows; a CLI that prints a traceback or omits the Hint; a killed ingest that leaves half a batch.
The commands run through a typer app holding only `ingest` and `sources` and the same error handling
as `learnroi.cli.main.run` (so these tests do not depend on the other commands).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from learnroi.cli import ingest_cmd
from learnroi.cli.common import report_error
from learnroi.simulate.company import simulate_company
from learnroi.store import PAUSE_ENV, Store

SEED = 7
EMPLOYEES = 300


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def _root() -> None:
        """learnroi (ingest commands only)."""

    ingest_cmd.register(app)
    return app


def run(*args: str) -> tuple[int, str, str]:
    """Invoke like `learnroi.cli.main.run`: learnroi errors become a message + exit code."""
    runner = CliRunner()
    result = runner.invoke(_app(), list(args), catch_exceptions=True)
    code, err = result.exit_code, result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import io
        from contextlib import redirect_stderr

        buf = io.StringIO()
        with redirect_stderr(buf):
            from learnroi.cli import common

            common.err_console.file = buf
            try:
                code = report_error(result.exception)
            finally:
                common.err_console._file = None  # back to following sys.stderr (pytest's capture swaps it)
        err += buf.getvalue()
    return code, result.stdout, err


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("clean")
    summary = simulate_company(out, employees=EMPLOYEES, seed=SEED)
    return out, dict(summary.files)


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("messy")
    simulate_company(out, employees=EMPLOYEES, seed=SEED, messy=True)
    return out


def _by_file(results: list[dict[str, object]], root: Path) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in results:
        assert r["rows_read"] == r["loaded"] + r["quarantined"] + r["skipped"]  # type: ignore[operator]
        for f in r["files"]:  # type: ignore[attr-defined]
            out[str(Path(f["file"]).relative_to(root))] = f
    return out


def test_clean_company_every_file_every_row(clean: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    root, files = clean
    db = tmp_path / "s.duckdb"
    code, out, err = run("ingest", "all", str(root), "--db", str(db), "--json")
    assert code == 0, err
    got = _by_file(json.loads(out), root)
    assert set(got) == set(files)
    for name, n in files.items():
        f = got[name]
        assert f["rows_read"] == n, name
        assert f["quarantined"] == 0, name
        if name.startswith("xapi/"):
            assert (f["loaded"], f["skipped"]) == (0, n)  # the xAPI copy of the LMS events
        else:
            assert (f["loaded"], f["skipped"]) == (n, 0), name
    code, out, _ = run("ingest", "all", str(root), "--db", str(db), "--json")
    assert code == 0
    assert all(r["no_changes"] and r["loaded"] == 0 for r in json.loads(out))
    code, out, _ = run("sources", "--db", str(db), "--json")
    rows = json.loads(out)
    assert len({r["batch_id"] for r in rows}) == 14
    second_round = [r for r in rows if r["batch_id"] > 7]
    assert len(second_round) == len(files)
    assert all(r["no_changes"] for r in second_round)
    code, out, _ = run("sources", "--db", str(db))
    assert code == 0
    assert "Ingest batches" in out


def test_messy_company_matches_what_the_simulator_planted(messy: Path, tmp_path: Path) -> None:
    planted = json.loads((messy / "truth" / "messy.json").read_text(encoding="utf-8"))["faults"]
    db = tmp_path / "m.duckdb"
    code, out, err = run("ingest", "all", str(messy), "--db", str(db), "--json")
    assert code == 0, err
    got = _by_file(json.loads(out), messy)

    def rows(fault: str, file: str) -> list[int]:
        return sorted(int(f["row"]) for f in planted if f["fault"] == fault and f["file"] == file)

    with Store.open(db, read_only=True) as store:
        q = store.con.execute('SELECT file, "row", "column" FROM quarantine ORDER BY 1, 2').fetchall()
        quarantined = {(str(Path(f).relative_to(messy)), r) for f, r, _ in q}
        expected_q = {("lms/events.csv", r) for r in rows("malformed_timestamp", "lms/events.csv")}
        expected_q |= {("hris/employees.csv", r) for r in rows("malformed_date", "hris/employees.csv")}
        assert quarantined == expected_q
        assert got["lms/events.csv"]["skipped"] == len(rows("duplicate_row", "lms/events.csv"))
        assert got["performance/kpis.csv"]["skipped"] == len(rows("duplicate_row", "performance/kpis.csv"))
        assert got["xapi/statements.jsonl"]["loaded"] == len(rows("malformed_timestamp", "lms/events.csv"))
        assert got["costs/ledger_2026-01-05.csv"]["superseded"] == 1
        n_ledger = sum(
            1 for line in (messy / "costs" / "ledger.csv").read_text().splitlines()[1:] if line.strip()
        )
        assert got["costs/ledger.csv"]["rows_read"] == n_ledger
        corrected = next(f for f in planted if f["fault"] == "corrected_row")
        wrong = float(corrected["detail"].split()[1])
        assert store.con.execute("SELECT count(*) FROM cost_ledger WHERE amount = ?", [wrong]).fetchone() == (
            0,
        )
        accented = store.con.execute(
            "SELECT count(*) FROM employees WHERE regexp_matches(full_name, '[éèüöçñ]')"
        ).fetchone()
        assert accented is not None
        assert accented[0] > 0
    unknown = {f["detail"].split()[1].lower() for f in planted if f["fault"] == "unknown_id"}
    perf = next(r for r in json.loads(out) if r["kind"] == "performance")
    assert unknown <= set(perf["unmatched"])


def test_bad_input_exit_1_with_file_and_hint_and_usage_exit_2(tmp_path: Path) -> None:
    f = tmp_path / "events.csv"
    f.write_text("who,when\nx,y\n", encoding="utf-8")
    code, out, err = run("ingest", "lms", str(f), "--db", str(tmp_path / "s.duckdb"))
    assert code == 1
    assert str(f) in err
    assert "no column for learner_email" in err
    assert "\nHint: " in err
    assert "Traceback" not in err + out
    code, _, err = run("ingest", "nope", str(f), "--db", str(tmp_path / "s.duckdb"))
    assert code == 2
    assert "Hint:" in err
    code, _, err = run("ingest", "--undo", "42", "--db", str(tmp_path / "s.duckdb"))
    assert code == 2
    assert "learnroi sources" in err


def test_undo_from_the_cli(clean: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    root, _ = clean
    db = tmp_path / "u.duckdb"
    run("ingest", "hris", str(root / "hris" / "employees.csv"), "--db", str(db))
    code, out, _ = run("ingest", "--undo", "1", "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out)["removed"] == EMPLOYEES
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM employees").fetchone() == (0,)


@pytest.mark.parametrize("path", ["direct", "general"])
def test_killed_inside_the_write_transaction_leaves_the_store_as_before(
    clean: tuple[Path, dict[str, int]], tmp_path: Path, path: str
) -> None:
    """Both write paths: a clean export is loaded directly; one refused row sends it the general way."""
    root, _ = clean
    events = root / "lms" / "events.csv"
    if path == "general":
        events = tmp_path / "events.csv"
        text = (root / "lms" / "events.csv").read_text(encoding="utf-8")
        events.write_text(text + text.splitlines()[1].replace("T", "X", 1) + "\n", encoding="utf-8")
    db = tmp_path / "k.duckdb"
    with Store.open(db) as store:
        from learnroi.store import ingest

        ingest(store, "hris", [root / "hris" / "employees.csv"])
        before = store.con.execute(
            "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM hist_employees), (SELECT count(*) FROM hist_lms_events)"
        ).fetchone()
    flag = tmp_path / "paused"
    script = (
        "import sys; from learnroi.store import Store, ingest\n"
        "with Store.open(sys.argv[1]) as s: ingest(s, 'lms', [sys.argv[2]], max_quarantine=0.5)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(db), str(events)],
        env={**os.environ, PAUSE_ENV: str(flag)},
    )
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, "the ingest ended before reaching the pause"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store.open(db) as store:
        after = store.con.execute(
            "SELECT (SELECT count(*) FROM batches), (SELECT count(*) FROM hist_employees), (SELECT count(*) FROM hist_lms_events)"
        ).fetchone()
        assert after == before
        from learnroi.store import ingest

        r = ingest(store, "lms", [events], max_quarantine=0.5)
        assert r.loaded > 0
        assert r.quarantined == (path == "general")
        assert r.batch_id is not None
