"""xAPI statements: actors, verbs, activities, results, voiding; the LMS copy skipped as duplicates;
pulls from an LRS (basic auth, ``since``, ``more`` paging, resume after a failure) on 127.0.0.1.

Would catch: an actor form that loses the learner, a duration or score read wrong, a voided statement
still counted, the xAPI copy of LMS events counted twice, a pull that re-reads or skips pages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from learnroi.core.errors import EnvironmentProblem
from learnroi.store import Store, ingest

EXPORTS = Path(__file__).parents[1] / "data" / "exports"
ACT = "https://lms.example.com/xapi/activities/"


def _st(i: int, actor: dict[str, Any], verb: str = "completed", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{i:012d}",
        "actor": actor,
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
        "object": {"id": f"{ACT}sales-skills/ss-c1/ss-m{i % 3}"},
        "timestamp": f"2025-01-02T{i % 24:02d}:00:00+01:00",
        "stored": f"2025-01-03T00:00:{i % 60:02d}Z",
        **extra,
    }


def test_actor_forms_results_and_voiding(tmp_path: Path) -> None:
    sha = hashlib.sha1(b"mailto:c@acme.example").hexdigest()
    statements = [
        _st(
            1,
            {"mbox": "mailto:A@Acme.example"},
            "attempted",
            result={"score": {"raw": 8, "min": 0, "max": 10}, "duration": "PT1H2M3.5S", "success": True},
            context={"registration": "r-1", "extensions": {"https://learnroi.dev/xapi/assessment": "post"}},
        ),
        _st(2, {"account": {"homePage": "https://x", "name": "E2"}}, "registered"),
        _st(3, {"mbox_sha1sum": sha}, "passed", result={"score": {"scaled": 0.75}}),
        _st(4, {"openid": "https://id.example/u/4"}, "experienced"),
        _st(5, {"objectType": "Group", "member": [{"mbox": "mailto:a@acme.example"}]}),
        _st(
            6,
            {"mbox": "mailto:a@acme.example"},
            "voided",
            object={"objectType": "StatementRef", "id": _st(2, {})["id"]},
        ),
    ]
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(json.dumps(s) for s in statements) + "\n\nnot json\n", encoding="utf-8")
    hris = tmp_path / "hris.csv"
    hris.write_text(
        "employee_id,email\nE1,a@acme.example\nE2,b@acme.example\nE3,c@acme.example\n", encoding="utf-8"
    )
    with Store.open(None) as store:
        ingest(store, "hris", [hris])
        r = ingest(store, "xapi", [f], max_quarantine=0.5)
        assert (r.rows_read, r.loaded, r.skipped, r.quarantined, r.voided) == (7, 4, 1, 2, 1)
        q = store.con.execute('SELECT "row", "column", reason FROM quarantine ORDER BY "row"').fetchall()
        assert q == [(5, "learner_email", "missing (required)"), (8, None, "not a JSON object")]
        rows = {
            r[0]: r[1:]
            for r in store.con.execute(
                'SELECT right(event_id, 1), learner_id, event_type, "timestamp"::VARCHAR, score, max_score, '
                "duration_seconds, assessment, module_id FROM lms_events"
            ).fetchall()
        }
        assert rows["1"] == ("E1", "attempted", "2025-01-02 00:00:00", 8.0, 10.0, 3723.5, "post", "ss-m1")
        assert rows["3"][:2] == ("E3", "passed")
        assert rows["3"][3:5] == (0.75, 1.0)
        assert rows["4"][0] is None
        assert rows["4"][1] == "experienced"
        assert "2" not in rows  # voided
        extra = store.con.execute(
            "SELECT registration, success, source FROM hist_lms_events WHERE event_id LIKE '%1'"
        ).fetchone()
        assert extra == ("r-1", True, "xapi")


def test_moodle_account_and_cmi5_array_fixtures() -> None:
    with Store.open(None) as store:
        a = ingest(store, "xapi", [EXPORTS / "xapi_moodle_account.jsonl"])
        b = ingest(store, "xapi", [EXPORTS / "xapi_cmi5_array.json"])
        assert (a.loaded, b.loaded, b.skipped, b.voided) == (2, 2, 1, 1)
        got = store.con.execute(
            "SELECT learner_key, course_id, duration_seconds, event_type FROM lms_events WHERE source = 'xapi' ORDER BY 1"
        ).fetchall()
        assert ("e1", "https://moodle.acme.example/course/view.php?id=4", 725.0, "completed") in got
        assert ("e2", None, None, "viewed") in got or ("e2", None, None, "launched") in got


class _LRS(BaseHTTPRequestHandler):
    pages: ClassVar[list[list[dict[str, Any]]]] = []
    fail_once: ClassVar[set[int]] = set()
    seen: ClassVar[list[str]] = []

    def log_message(self, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self.seen.append(self.path)
        want = "Basic " + base64.b64encode(b"key:secret").decode()
        if self.headers.get("Authorization") != want or self.headers.get("X-Experience-API-Version") is None:
            self.send_response(401)
            self.end_headers()
            return
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        page = int(q.get("page", ["0"])[0])
        if page in self.fail_once:
            self.fail_once.discard(page)
            self.send_response(500)
            self.end_headers()
            return
        stmts = self.pages[page] if page < len(self.pages) else []
        if "since" in q:
            stmts = [s for s in stmts if s["stored"] > q["since"][0]]
        more = f"/xapi/statements?page={page + 1}" if page + 1 < len(self.pages) else ""
        body = json.dumps({"statements": stmts, "more": more}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def lrs() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LRS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/xapi/statements"
    finally:
        server.shutdown()
        server.server_close()


def test_lrs_pull_pages_resumes_and_needs_credentials(lrs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _LRS.pages = [
        [_st(i, {"mbox": f"mailto:p{i}@acme.example"}) for i in range(k * 3, k * 3 + 3)] for k in range(3)
    ]
    _LRS.fail_once = {2}
    _LRS.seen = []
    with Store.open(None) as store:
        monkeypatch.delenv("LEARNROI_LRS_USER", raising=False)
        with pytest.raises(EnvironmentProblem, match="401") as info:
            ingest(store, "xapi", [lrs])
        assert "LEARNROI_LRS_USER" in info.value.hint
        monkeypatch.setenv("LEARNROI_LRS_USER", "key")
        monkeypatch.setenv("LEARNROI_LRS_PASSWORD", "secret")
        first = ingest(store, "xapi", [lrs])
        assert first.loaded == 6
        assert any("resume" in n for n in first.notes)
        second = ingest(store, "xapi", [lrs])  # resumes at page 2 only
        assert second.loaded == 3
        assert _LRS.seen[-1].endswith("page=2")
        n_seen = len(_LRS.seen)
        third = ingest(store, "xapi", [lrs])  # next pull asks only for newer statements
        assert third.loaded == 0
        assert third.no_changes
        assert "since=2025-01-03T00%3A00%3A08Z" in _LRS.seen[n_seen]
        assert store.con.execute("SELECT count(*) FROM lms_events").fetchone() == (9,)
