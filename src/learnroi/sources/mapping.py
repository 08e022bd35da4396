"""Declarative column mappings: how a vendor export's columns become the canonical columns.

A mapping is a small TOML file (docs/reference/mappings.md) or a built-in preset
(``learnroi/sources/presets/*.toml``). ``learnroi`` (the identity on the simulator's files) is the default.
:func:`infer_mapping` proposes one from a header by name similarity (``difflib``, standard library).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from learnroi.core.errors import SpecError
from learnroi.sources.schema import TABLES, TableSpec
from learnroi.sources.wide import RowValue, Unpivot

TIMESTAMP_FORMATS = ("iso", "epoch_s", "epoch_ms", "dotnet")
"""Besides these, any strptime pattern (``%d/%m/%y, %H:%M:%S``) is accepted."""
DURATION_FORMATS = ("auto", "seconds", "minutes", "hours")

_KNOWN_KEYS = {
    "name",
    "description",
    "source",
    "preset",
    "table",
    "columns",
    "constants",
    "values",
    "timestamp_format",
    "date_format",
    "timezone",
    "missing",
    "decimal_comma",
    "delimiter",
    "encoding",
    "duration_format",
    "skip_if_missing",
    "drop_rows",
    "unpivot",
}
_UNPIVOT_KEYS = {"columns", "keep", "name", "value", "extract", "companions", "row_values"}


@dataclass(frozen=True)
class Mapping:
    """How one source file maps onto one canonical table.

    ``columns``: canonical -> source column(s) (a list means the first non-empty, e.g. Moodle's
    ``relateduserid`` then ``userid``). ``constants``: canonical -> fixed value. ``values``: canonical ->
    {source value: canonical value}. ``skip_if_missing``: rows lacking these canonical values are
    skipped and counted, not quarantined. ``drop_rows``: source column -> regex; matching rows (report
    header rows such as Canvas' ``Points Possible``) are skipped and counted.
    """

    name: str = "learnroi"
    table: str | None = None
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    timestamp_format: str = "iso"
    date_format: str = "iso"
    timezone: str | None = None
    missing: tuple[str, ...] = ()
    decimal_comma: bool = False
    delimiter: str | None = None
    encoding: str | None = None
    duration_format: str = "auto"
    skip_if_missing: tuple[str, ...] = ()
    drop_rows: dict[str, str] = field(default_factory=dict)
    unpivot: Unpivot | None = None
    """Set for wide reports (one column per activity): see :class:`Unpivot`."""
    identity: bool = True
    """True for the default identity mapping (columns named as in data-layout.md)."""

    def source_columns(self, spec: TableSpec, header: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """canonical column -> the source columns present in ``header`` (empty when absent)."""
        lookup = {h.strip().lower(): h for h in header}
        out: dict[str, tuple[str, ...]] = {}
        for col in spec.column_names:
            wanted = self.columns.get(col, (col,))
            out[col] = tuple(lookup[w.strip().lower()] for w in wanted if w.strip().lower() in lookup)
        return out

    def to_toml(self) -> str:
        """The mapping as TOML (what ``--infer`` prints for the user to save and edit)."""
        lines = [f'name = "{self.name}"']
        if self.table:
            lines.append(f'table = "{self.table}"')
        lines.append(f'timestamp_format = "{self.timestamp_format}"')
        lines.append(f'date_format = "{self.date_format}"')
        if self.timezone:
            lines.append(f'timezone = "{self.timezone}"')
        if self.missing:
            lines.append("missing = [" + ", ".join(_q(m) for m in self.missing) + "]")
        lines.append("")
        lines.append("[columns]")
        for k, v in self.columns.items():
            lines.append(f"{k} = {_q(v[0])}" if len(v) == 1 else f"{k} = [{', '.join(_q(x) for x in v)}]")
        if self.constants:
            lines += ["", "[constants]"] + [f"{k} = {_q(v)}" for k, v in self.constants.items()]
        for col, table in self.values.items():
            lines += ["", f"[values.{col}]"] + [f"{_q(k)} = {_q(v)}" for k, v in table.items()]
        return "\n".join(lines) + "\n"


def _q(s: str) -> str:
    return (
        "'" + s + "'"
        if "'" not in s and "\n" not in s
        else '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    )


def preset_names() -> list[str]:
    """Built-in presets (besides ``learnroi``)."""
    folder = resources.files("learnroi.sources") / "presets"
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".toml"))


def _str_tuple(v: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise SpecError(
        f"{key} must be a string or a list of strings", where=where, hint='Write e.g. col = "Email".'
    )


def parse_mapping(data: dict[str, Any], where: str) -> Mapping:
    """Validate mapping TOML data (already parsed)."""
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise SpecError(
            f"unknown mapping key(s): {', '.join(sorted(unknown))}",
            where=where,
            hint=f"Allowed keys: {', '.join(sorted(_KNOWN_KEYS))} (see docs/reference/mappings.md).",
        )
    base = load_mapping(str(data["preset"])) if "preset" in data else Mapping(identity=False)
    table = data.get("table", base.table)
    if table is not None and table not in TABLES:
        raise SpecError(
            f"table {table!r} is not a canonical table",
            where=where,
            hint=f"Use one of: {', '.join(TABLES)}.",
        )
    cols = dict(base.columns)
    for k, v in dict(data.get("columns", {})).items():
        cols[k] = _str_tuple(v, where, f"columns.{k}")
    spec_cols = {c for t in TABLES.values() for c in t.column_names}
    bad = [c for c in [*cols, *data.get("constants", {})] if c not in spec_cols]
    if bad:
        close = difflib.get_close_matches(bad[0], sorted(spec_cols), n=1)
        raise SpecError(
            f"{bad[0]!r} is not a canonical column",
            where=where,
            hint=f"Did you mean {close[0]!r}? "
            if close
            else "See docs/reference/data-layout.md for the names.",
        )
    values = {k: dict(v) for k, v in base.values.items()}
    for k, v in dict(data.get("values", {})).items():
        values.setdefault(k, {}).update({str(a): str(b) for a, b in dict(v).items()})
    return replace(
        base,
        name=str(data.get("name", base.name if "preset" in data else Path(where).stem)),
        table=table,
        columns=cols,
        constants={**base.constants, **{k: str(v) for k, v in data.get("constants", {}).items()}},
        values=values,
        timestamp_format=str(data.get("timestamp_format", base.timestamp_format)),
        date_format=str(data.get("date_format", base.date_format)),
        timezone=data.get("timezone", base.timezone),
        missing=tuple(str(m) for m in data.get("missing", base.missing)),
        decimal_comma=bool(data.get("decimal_comma", base.decimal_comma)),
        delimiter=data.get("delimiter", base.delimiter),
        encoding=data.get("encoding", base.encoding),
        duration_format=str(data.get("duration_format", base.duration_format)),
        skip_if_missing=tuple(data.get("skip_if_missing", base.skip_if_missing)),
        drop_rows={**base.drop_rows, **{str(k): str(v) for k, v in data.get("drop_rows", {}).items()}},
        unpivot=_parse_unpivot(data["unpivot"], where) if "unpivot" in data else base.unpivot,
        identity=False,
    )


def _regex(v: Any, where: str, key: str) -> str:
    if not isinstance(v, str):
        raise SpecError(
            f"unpivot.{key} must be a string", where=where, hint="Write a regular expression in quotes."
        )
    try:
        re.compile(v)
    except re.error as exc:
        raise SpecError(
            f"unpivot.{key} is not a regular expression: {exc}",
            where=where,
            hint="Use single quotes in TOML ('...') so that backslashes stay as written.",
        ) from None
    return v


def _parse_unpivot(data: Any, where: str) -> Unpivot:
    if not isinstance(data, dict):
        raise SpecError("[unpivot] must be a table", where=where, hint="Write an [unpivot] section.")
    unknown = set(data) - _UNPIVOT_KEYS
    if unknown:
        raise SpecError(
            f"unknown [unpivot] key(s): {', '.join(sorted(unknown))}",
            where=where,
            hint=f"Allowed: {', '.join(sorted(_UNPIVOT_KEYS))} (docs/reference/mappings.md).",
        )
    keep = data.get("keep", [])
    companions = {str(k): str(v) for k, v in dict(data.get("companions", {})).items()}
    for k, t in companions.items():
        if "{}" not in t:
            raise SpecError(
                f"unpivot.companions.{k} must contain {{}} (where the wide column's header goes)",
                where=where,
                hint='For example "{} - Completion date".',
            )
    row_values: dict[str, RowValue] = {}
    for k, v in dict(data.get("row_values", {})).items():
        if not isinstance(v, dict) or set(v) != {"column", "match"}:
            raise SpecError(
                f"unpivot.row_values.{k} needs exactly column and match",
                where=where,
                hint="For example { column = \"Student\", match = '^\\s*Points Possible' }.",
            )
        row_values[str(k)] = RowValue(str(v["column"]), _regex(v["match"], where, f"row_values.{k}.match"))
    return Unpivot(
        columns=_regex(data["columns"], where, "columns") if "columns" in data else None,
        keep=_str_tuple(keep, where, "unpivot.keep") if isinstance(keep, list) else (),
        keep_pattern=_regex(keep, where, "keep") if isinstance(keep, str) else None,
        name=str(data.get("name", "column")),
        value=str(data.get("value", "value")),
        extract=_regex(data["extract"], where, "extract") if "extract" in data else None,
        companions=companions,
        row_values=row_values,
    )


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A preset by name, or a mapping TOML file."""
    text: str
    where = str(name_or_path)
    if str(name_or_path) == "learnroi":
        return Mapping()
    if str(name_or_path) in preset_names():
        res = resources.files("learnroi.sources") / "presets" / f"{name_or_path}.toml"
        text = res.read_text(encoding="utf-8")
        where = f"preset {name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise SpecError(
                "mapping not found",
                where=where,
                hint=f"Pass a TOML file or a preset: learnroi, {', '.join(preset_names())}.",
            )
        text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(
            f"not valid TOML: {exc}", where=where, hint="Check quotes and brackets on that line."
        ) from None
    mapping = parse_mapping(data, where)
    return replace(mapping, name=str(data.get("name", Path(where).stem)))


_SYNONYMS: dict[str, tuple[str, ...]] = {
    "employee_id": ("employeeid", "empid", "employeenumber", "workerid", "idnumber", "userref", "personid"),
    "email": ("emailaddress", "workemail", "mail", "emailprimarywork"),
    "learner_email": ("email", "emailaddress", "useremail", "learner", "user", "userid", "username", "mbox"),
    "full_name": ("name", "fullname", "employeename", "student"),
    "hire_date": ("hiredate", "startdate", "originalhiredate"),
    "exit_date": ("terminationdate", "enddate", "leavingdate"),
    "manager_id": ("managerid", "supervisorid", "supervisoreid", "mgrid", "usermgrref"),
    "timestamp": (
        "time",
        "timecreated",
        "date",
        "datetime",
        "eventtime",
        "createdat",
        "completiondate",
        "completed",
        "completedon",
        "timestamputc",
    ),
    "event_type": ("eventname", "event", "action", "verb", "status"),
    "event_id": ("id", "eventid", "logid"),
    "course_id": ("courseid", "course", "loid", "objectid"),
    "module_id": ("moduleid", "cmid", "contextinstanceid", "activityid"),
    "score": ("grade", "points", "userloscore", "result"),
    "duration_seconds": ("duration", "timespent", "timetaken", "seconds"),
    "department": ("dept", "division", "orgunit"),
    "role": ("jobtitle", "title", "jobprofile", "businesstitle"),
    "value": ("amount", "kpivalue"),
    "period": ("month", "date"),
}


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]", "", h.lower())


def infer_mapping(
    header: tuple[str, ...], spec: TableSpec, samples: dict[str, list[str]] | None = None
) -> Mapping:
    """Propose a mapping from a header: exact, synonym, then closest name (difflib ratio >= 0.8)."""
    by_norm = {_norm(h): h for h in header}
    used: set[str] = set()
    cols: dict[str, tuple[str, ...]] = {}
    for col in spec.column_names:
        cands = [_norm(col), *_SYNONYMS.get(col, ())]
        hit = next((by_norm[c] for c in cands if c in by_norm and by_norm[c] not in used), None)
        if hit is None:
            close = difflib.get_close_matches(
                _norm(col), [k for k, v in by_norm.items() if v not in used], n=1, cutoff=0.8
            )
            hit = by_norm[close[0]] if close else None
        if hit is not None:
            cols[col] = (hit,)
            used.add(hit)
    ts_format = "iso"
    for col, kind in spec.columns:
        if kind == "timestamp" and col in cols and samples:
            vals = [v.strip() for v in samples.get(cols[col][0], []) if v and v.strip()]
            if vals and all(v.isdigit() for v in vals):
                ts_format = "epoch_ms" if all(len(v) >= 13 for v in vals) else "epoch_s"
    return Mapping(name="inferred", table=spec.name, columns=cols, timestamp_format=ts_format, identity=False)
