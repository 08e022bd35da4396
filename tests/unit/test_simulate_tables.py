"""``simulate_tables``: the in-memory company equals what ``simulate_company`` writes for the same seed.

Would catch: the fast in-memory path (used for R >= 200 replications) drifting from the files the rest
of the pipeline reads, in any table, in the program events, the specs or the truth.
"""

from __future__ import annotations

from pathlib import Path

from learnroi.simulate import simulate_company, simulate_tables
from learnroi.simulate._io import write_csv


def test_in_memory_tables_are_the_files(tmp_path: Path) -> None:
    mem = simulate_tables(employees=500, seed=9)
    disk = simulate_company(tmp_path / "d", employees=500, seed=9, xapi=False)
    assert mem.truth == disk.truth
    for name, table in mem.tables.items():
        write_csv(tmp_path / "m" / name, table)
        got = (tmp_path / "m" / name).read_bytes()
        want = (disk.out / name).read_bytes()
        if name == "lms/events.csv":  # the two evaluated programs' events come first in the file
            assert want.startswith(got)
            assert disk.files[name] > table.num_rows
        else:
            assert got == want, name
    for name, text in mem.specs.items():
        assert (disk.out / name).read_text(encoding="utf-8") == text
    assert mem["hris/employees.csv"].num_rows == 500
    assert mem.to_dict()["tables"]["design/assignments.csv"] == disk.files["design/assignments.csv"]
