"""``--pseudonymize``: no raw email or employee id anywhere in the store file or in any output.

Would catch: a raw identity written to a table, the quarantine, the batch ledger or a printed list of
unmatched learners; pseudonyms that differ between sources (joins break); a key file readable by others.
The control run (same data, no pseudonymization, compression off) proves the byte scan can see raw values.
"""

from __future__ import annotations

import csv
import json
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from learnroi.core.errors import EnvironmentProblem, UsageError
from learnroi.simulate.company import simulate_company
from learnroi.sources.identity import key_file, load_key, normalize, pseudonym
from learnroi.store import Store, ingest, ingest_all, list_batches

SEED = 11


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("co")
    simulate_company(out, employees=300, seed=SEED, messy=True)
    return out


def _raw_identities(company: Path) -> set[str]:
    ids: set[str] = set()
    with (company / "hris" / "employees.csv").open(encoding="latin-1") as fh:
        for row in csv.DictReader(fh):
            ids |= {row["employee_id"], row["email"], row["full_name"]}
    with (company / "lms" / "events.csv").open(encoding="utf-8") as fh:
        ids |= {r["learner_email"].strip() for r in csv.DictReader(fh)}
    return {i for i in ids if len(i) >= 6}


HEXISH = re.compile(r"^[0-9a-f]+$")
HEX_RUN = re.compile(rb"[0-9a-f]{6,}")


def _finder(blob: bytes) -> Callable[[str], bool]:
    """Whether a raw identity is in the bytes. An all-hex id (``e000123``) counts only as a whole hex run:
    pseudonyms, hashes and UUIDs are hex too and can contain it by chance, while a stored raw value sits
    between length bytes and padding, which are not hex."""
    runs = set(HEX_RUN.findall(blob))

    def present(identity: str) -> bool:
        needle = identity.lower().encode()
        return needle in runs if HEXISH.match(identity.lower()) else needle in blob

    return present


def _fill(db: Path, company: Path, pseudonymize: bool) -> list[str]:
    outputs: list[str] = []
    with Store.open(db) as store:
        store.con.execute("SET force_compression = 'uncompressed'")
        for r in ingest_all(store, company, pseudonymize=pseudonymize, max_quarantine=0.05):
            outputs += [r.summary(), json.dumps(r.to_dict(), default=str)]
        outputs.append(json.dumps([b.to_dict() for b in list_batches(store)], default=str))
        outputs.append(str(store.con.sql("SELECT * FROM quarantine").fetchall()))
        store.con.execute("CHECKPOINT")
    return outputs


def test_no_raw_identity_in_the_store_bytes_or_outputs(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNROI_PSEUDONYM_KEY", "test-key-not-secret")
    raw = _raw_identities(company)
    control = tmp_path / "raw.duckdb"
    _fill(control, company, pseudonymize=False)
    control_bytes = control.read_bytes().lower()
    in_control = _finder(control_bytes)
    assert sum(1 for i in raw if in_control(i)) > len(raw) // 2

    db = tmp_path / "p.duckdb"
    outputs = _fill(db, company, pseudonymize=True)
    blob = db.read_bytes().lower()
    text = "\n".join(outputs).lower()
    in_store, in_text = _finder(blob), _finder(text.encode())
    leaked = sorted(i for i in raw if in_store(i) or in_text(i))
    assert leaked == []
    with Store.open(db, read_only=True) as store:
        # joins still work: LMS learners resolve to HR pseudonyms, quarantine values are pseudonyms
        matched = store.con.execute("SELECT count(learner_id) / count(*) FROM lms_events").fetchone()
        assert matched is not None
        assert matched[0] > 0.9
        emp = store.con.execute("SELECT employee_id FROM employees ORDER BY 1 LIMIT 1").fetchone()
        assert emp is not None
        assert len(emp[0]) == 64
        assert store.con.execute("SELECT count(*) FROM quarantine WHERE length(value) <> 64").fetchone() == (
            0,
        )


def test_pseudonyms_are_hmac_and_the_store_refuses_mixing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEARNROI_PSEUDONYM_KEY", "k1")
    f = tmp_path / "hris.csv"
    f.write_text(
        "employee_id,email,full_name\nE1, Ana@Acme.example ,Ana\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest(store, "hris", [f], pseudonymize=True)
        row = store.con.execute("SELECT employee_id, email FROM employees").fetchone()
        assert row == (pseudonym("e1", b"k1"), pseudonym(normalize("ana@acme.example"), b"k1"))
        with pytest.raises(UsageError, match="with --pseudonymize"):
            ingest(store, "hris", [f])
        monkeypatch.setenv("LEARNROI_PSEUDONYM_KEY", "k2")
        with pytest.raises(UsageError, match="key differs"):
            ingest(store, "hris", [f], pseudonymize=True)


def test_key_file_is_created_0600_and_refused_when_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEARNROI_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    key = load_key()
    assert len(key) == 64
    assert stat.S_IMODE(key_file().stat().st_mode) == 0o600
    assert load_key() == key
    key_file().chmod(0o644)
    with pytest.raises(EnvironmentProblem, match="readable by other users"):
        load_key()
