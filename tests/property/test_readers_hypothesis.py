"""Malformed rows and files into every reader: a learnroi error or a full accounting, never a traceback.

Would catch: a reader that raises a raw DuckDB/JSON/Unicode error, or that loses or invents rows
(read must equal the rows written, and read = loaded + quarantined + skipped).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnroi.core.errors import LearnroiError
from learnroi.simulate.lms import EVENT_COLUMNS
from learnroi.store import IngestResult, Store, ingest

LMS_COLS = EVENT_COLUMNS  # the LMS event header exactly as the simulator writes it
TEXT = st.text(alphabet=st.sampled_from(list("aZ09 ,;\"'\n\t-:+.TéЖ€\\/")), max_size=12)
VALUE = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            "2025-01-02T03:04:05+01:00",
            "2025-13-40",
            "PT1M",
            "12 mins 5 secs",
            "1e309",
            "-0",
            "NaN",
            "true",
            "00:01:02.5",
            "mailto:A@B.c",
            "0000-00-00",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(kind: str, path: Path, written: int) -> IngestResult | None:
    with Store.open(None) as store:
        try:
            r = ingest(store, kind, [path], max_quarantine=1.0)
        except LearnroiError as exc:
            hint = exc.hint
            if not hint:
                raise AssertionError(f"a learnroi error without a hint: {exc}") from exc
            return None
        assert r.rows_read == r.loaded + r.quarantined + r.skipped
        assert r.rows_read == written
        n = store.con.execute(
            "SELECT count(*) FROM hist_lms_events WHERE _batch_id = ?", [r.batch_id]
        ).fetchone()
        assert n is not None
        assert n[0] == r.loaded
        return r


@SETTINGS
@given(
    rows=st.lists(st.lists(VALUE, min_size=10, max_size=14), min_size=1, max_size=15),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_csv_rows_of_any_shape(rows: list[list[str]], encoding: str, delimiter: str) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(LMS_COLS)
    kept = [r for r in rows if any(v.strip() for v in r)]
    w.writerows(kept)
    text = buf.getvalue()
    if encoding == "latin-1":
        text = text.encode("latin-1", "replace").decode("latin-1")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "events.csv"
        path.write_bytes(text.encode(encoding, "replace"))
        _check("lms", path, len(kept))


def _statement(draw: Any) -> dict[str, Any]:
    actor = draw(
        st.sampled_from(
            [
                {"mbox": "mailto:a@b.c"},
                {"mbox_sha1sum": "abc"},
                {"account": {"name": "E1", "homePage": "x"}},
                {"openid": "https://o"},
                {"objectType": "Group"},
                {},
                "not an object",
            ]
        )
    )
    stmt: dict[str, Any] = {
        "id": draw(st.uuids()).hex,
        "actor": actor,
        "verb": {"id": draw(st.sampled_from(["http://adlnet.gov/expapi/verbs/completed", "x", "", 3]))},
        "object": {"id": draw(st.one_of(TEXT, st.just("https://lms.example.com/xapi/activities/p/c/m")))},
        "timestamp": draw(VALUE),
    }
    if draw(st.booleans()):
        stmt["result"] = {
            "score": {"raw": draw(VALUE), "max": draw(VALUE)},
            "duration": draw(VALUE),
            "success": draw(st.sampled_from([True, "maybe", None])),
        }
    return stmt


@SETTINGS
@given(data=st.data(), n=st.integers(1, 12), garbage=st.lists(TEXT, max_size=4))
def test_xapi_statements_of_any_shape(data: st.DataObject, n: int, garbage: list[str]) -> None:
    lines = [json.dumps(_statement(data.draw)) for _ in range(n)]
    lines += [g for g in garbage if g.strip() and "\n" not in g and "\r" not in g]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        _check("xapi", path, len(lines))
        arr = Path(d) / "a.json"
        arr.write_text(json.dumps([json.loads(x) for x in lines[:n]]), encoding="utf-8")
        _check("xapi", arr, n)


@SETTINGS
@given(
    records=st.lists(
        st.dictionaries(
            st.sampled_from(["employee_id", "period", "kpi", "value", "extra", "Value "]),
            st.one_of(VALUE, st.none(), st.integers(), st.lists(st.integers(), max_size=2)),
            max_size=5,
        ),
        min_size=1,
        max_size=10,
    ),
    as_array=st.booleans(),
)
def test_json_records_of_any_shape(records: list[dict[str, Any]], as_array: bool) -> None:
    with tempfile.TemporaryDirectory() as d:
        if as_array:
            path = Path(d) / "kpis.json"
            path.write_text(json.dumps(records), encoding="utf-8")
        else:
            path = Path(d) / "kpis.jsonl"
            path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
        with Store.open(None) as store:
            try:
                r = ingest(store, "performance", [path], max_quarantine=1.0)
            except LearnroiError as exc:
                if not exc.hint:
                    raise AssertionError(f"a learnroi error without a hint: {exc}") from exc
                return
            assert r.rows_read == len(records)
            assert r.rows_read == r.loaded + r.quarantined + r.skipped


CANVAS_MAPPING = (
    'preset = "canvas-gradebook"\n[constants]\ntimestamp = "2025-03-31T17:00:00Z"\ncourse_id = "c1"\n'
)


@SETTINGS
@given(
    grades=st.lists(st.lists(VALUE, min_size=3, max_size=3), min_size=1, max_size=8),
    points=st.lists(VALUE, min_size=3, max_size=3),
    logins=st.lists(st.one_of(TEXT, st.just("")), min_size=8, max_size=8),
)
def test_wide_gradebook_of_any_content(grades: list[list[str]], points: list[str], logins: list[str]) -> None:
    """Any cells in a Canvas-shaped gradebook: every cell (students x assignments, plus the Points
    Possible row's) is accounted for once, and the stored rows are the loaded ones."""
    header = ["Student", "ID", "SIS Login ID", "Quiz (1)", "Essay (2)", "Final (3)", "Current Score"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerow(["    Points Possible", "", "", *points, "(read only)"])
    for i, row in enumerate(grades):
        w.writerow([f"Student {i}", str(100 + i), logins[i], *row, "50"])
    with tempfile.TemporaryDirectory() as d:
        path, spec = Path(d) / "gradebook.csv", Path(d) / "canvas.toml"
        path.write_text(buf.getvalue(), encoding="utf-8")
        spec.write_text(CANVAS_MAPPING, encoding="utf-8")
        with Store.open(None) as store:
            try:
                r = ingest(store, "lms", [path], mapping=spec, max_quarantine=1.0)
            except LearnroiError as exc:
                if not exc.hint:
                    raise AssertionError(f"a learnroi error without a hint: {exc}") from exc
                return
            assert r.rows_read == 3 * (len(grades) + 1)
            assert r.rows_read == r.loaded + r.quarantined + r.skipped
            n = store.con.execute("SELECT count(*) FROM hist_lms_events").fetchone()
            assert n == (r.loaded,)
