"""The program spec: what a learning program is, what it should change, and how that is worth money.

A spec is a TOML file validated on load (pydantic). Errors point at the spec line and say how to fix
it. The JSON Schema is published from :func:`json_schema` (``docs/reference/program.schema.json``).
The Calculate step (``learnroi.roi``) reads ``kpis``, ``assumptions``, ``costs`` and ``intangibles``;
the Define step (``learnroi.design``) reads ``pilot`` and ``hypotheses``.
"""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from learnroi.core import correlation
from learnroi.core.errors import SpecError
from learnroi.core.expression import EXPRESSION_EFFECT_NAMES, parse_expression
from learnroi.core.options import (
    CostCategory,
    Design,
    Direction,
    HypothesisStatus,
    Modality,
    MonetizationRule,
    choices,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpecProblem(ValueError):
    """A validation problem that knows where it is (``loc``) and how to fix it (``hint``).

    Raised inside validators; :func:`parse_spec` turns it into a :class:`SpecError` on the right line.
    """

    def __init__(self, message: str, *, loc: tuple[int | str, ...] = (), hint: str = "") -> None:
        super().__init__(message)
        self.loc = loc
        self.hint = hint


class Assumption(_Model):
    """One assumption with its source and plausible range (used by sensitivity and Monte Carlo)."""

    value: float
    low: float | None = None
    high: float | None = None
    unit: str = ""
    source: str = Field(min_length=1, description="Where the number comes from (finance, HRIS, a study...).")
    distribution: Literal["triangular", "uniform"] = Field(
        default="triangular",
        description="How Monte Carlo draws the value within [low, high]: triangular (mode = value) or uniform.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Assumption:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise SpecProblem(
                f"needs low <= value <= high; got low={lo}, value={self.value}, high={hi}",
                hint="Make low <= value <= high (the range is what the Monte Carlo and sensitivity vary).",
            )
        return self


class Correlation(_Model):
    """Two assumptions that move together, drawn jointly by a Gaussian copula (``learnroi.roi``)."""

    a: str = Field(description="An assumption name (under [assumptions], with low < high).")
    b: str = Field(description="Another assumption name (under [assumptions], with low < high).")
    rho: float = Field(
        description="Correlation of the copula's normals, strictly between -1 and 1 "
        "(Spearman's rank correlation of the draws is 6/pi asin(rho/2)).",
        json_schema_extra={"exclusiveMinimum": -1, "exclusiveMaximum": 1},
    )
    source: str = Field(min_length=1, description="Why the two move together (a study, past data...).")

    @field_validator("rho")
    @classmethod
    def _open_interval(cls, rho: float) -> float:
        if not -1 < rho < 1:
            raise SpecProblem(
                f"rho must be strictly between -1 and 1; got {rho}",
                hint="Use e.g. rho = 0.5 (moderate) or -0.3; +-1 would make one assumption a copy of the other.",
            )
        return rho

    @model_validator(mode="after")
    def _two_names(self) -> Correlation:
        if self.a == self.b:
            raise SpecProblem(
                f"correlates {self.a!r} with itself",
                loc=("b",),
                hint="Name two different assumptions in a and b.",
            )
        return self


class ProgramInfo(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    audience: str
    target_behaviour: str = ""
    design: Design
    primary_kpi: str
    start: date | None = None
    horizon_months: int = Field(default=12, ge=1, le=120)
    evaluation_window_months: int = Field(default=6, ge=1, le=60)
    currency: str = "USD"


class KpiLink(_Model):
    """One row of the KPI map: learning KPI -> business KPI -> money.

    ``path`` names the causal path; benefits from KPIs on the same path are one benefit, so only one
    KPI per path may be monetized (revenue and deal size of the same reps are one path).
    """

    business_kpi: str
    learning_kpi: str | None = None
    unit: str
    direction: Direction = "increase"
    path: str
    monetized: bool = True
    rule: MonetizationRule | None = None
    value_per_unit: str | None = Field(
        default=None, description="Name of the assumption that converts one KPI unit into money."
    )
    expression: str | None = Field(
        default=None, description="For rule='custom': an expression in effect and assumptions."
    )
    per: str = Field(
        default="person_month", description="person_month (recurring) or person (once per person)."
    )
    redeployed: bool | None = Field(
        default=None,
        description="For rule='time_saved': true only when the saved time is redeployed to productive work.",
    )

    @field_validator("per")
    @classmethod
    def _known_per(cls, per: str) -> str:
        if per not in PER_CHOICES:
            raise SpecProblem(
                f"per must be one of {', '.join(PER_CHOICES)}; got {per!r}",
                hint='Use per = "person_month" for a monthly KPI (revenue) or "person" for one value per person.',
            )
        return per

    @field_validator("expression")
    @classmethod
    def _safe_expression(cls, expression: str | None) -> str | None:
        if expression is not None:
            parse_expression(expression)
        return expression

    @model_validator(mode="after")
    def _rule_when_monetized(self) -> KpiLink:
        if self.monetized and self.rule is None:
            raise SpecProblem(
                f"KPI {self.business_kpi!r} is monetized but has no rule",
                loc=("monetized",),
                hint="Add rule = one of "
                + ", ".join(choices(MonetizationRule))
                + ", or set monetized = false.",
            )
        if self.rule == "custom" and not self.expression:
            raise SpecProblem(
                f"KPI {self.business_kpi!r} uses rule 'custom' but has no expression",
                loc=("rule",),
                hint='Add expression = "..." in effect, gain and assumption names (e.g. "gain * value * 0.5").',
            )
        if self.monetized and self.rule not in (None, "custom") and not self.value_per_unit:
            raise SpecProblem(
                f"KPI {self.business_kpi!r} uses rule {self.rule!r} but names no value_per_unit",
                loc=("rule",),
                hint='Add value_per_unit = "<assumption name>" naming the [assumptions] entry worth one unit.',
            )
        if self.monetized and self.rule == "time_saved" and self.redeployed is not True:
            raise SpecProblem(
                f"KPI {self.business_kpi!r}: time saved is money only when the time is redeployed",
                loc=("rule",),
                hint="Set redeployed = true (and say to what in the assumption's source), or set "
                "monetized = false and list it under [[intangibles]].",
            )
        return self


PER_CHOICES = ("person_month", "person")


class CostLine(_Model):
    category: CostCategory
    amount: float = Field(ge=0)
    description: str = ""
    modality: Modality | None = None
    prorate_over_users: int | None = Field(default=None, ge=1)
    """Design or acquisition cost shared over this many expected users; this program bears its own share."""


class Intangible(_Model):
    """A measure deliberately not converted to money (Phillips principle 11): listed with its evidence."""

    name: str
    evidence: str = ""


class Cohort(_Model):
    """One cohort of learners (a wave, an intake, a year); ``size`` people starting on ``start``."""

    id: str
    start: date | None = None
    size: int | None = Field(default=None, ge=0)
    description: str = ""


class Hypothesis(_Model):
    id: str
    kpi: str
    assumed_effect: float
    assumed_effect_unit: str = "relative"
    rationale: str = ""
    owner: str = ""
    data_steward: str = ""
    status: HypothesisStatus = "proposed"


class Pilot(_Model):
    """The pilot's design as planned (Define step); the analysis follows it and reports deviations."""

    unit: str = "employee"
    allocation: float = Field(default=0.5, gt=0, lt=1)
    strata: list[str] = Field(default_factory=list)
    cluster: str | None = None
    baseline_months: int = Field(default=3, ge=0)
    measurement_months: int = Field(default=3, ge=1)
    guardrails: list[str] = Field(default_factory=list)
    analysis: str = "auto"
    arms: list[str] = Field(default_factory=list)
    """Treatment arms of a multi-arm pilot (each compared with ``control``); empty for a two-arm pilot.
    With arms, ``allocation`` is the share of people *not* in control."""


class ProgramSpec(_Model):
    """A whole program spec (see ``learnroi init`` for a commented example)."""

    program: ProgramInfo
    kpis: list[KpiLink] = Field(default_factory=list)
    assumptions: dict[str, Assumption] = Field(default_factory=dict)
    costs: list[CostLine] = Field(default_factory=list)
    intangibles: list[Intangible] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    pilot: Pilot | None = None
    cohorts: list[Cohort] = Field(default_factory=list)
    correlations: list[Correlation] = Field(default_factory=list)

    @field_validator("kpis")
    @classmethod
    def _one_monetized_kpi_per_path(cls, kpis: list[KpiLink]) -> list[KpiLink]:
        seen: dict[str, str] = {}
        for i, k in enumerate(kpis):
            if not k.monetized:
                continue
            if k.path in seen:
                raise SpecProblem(
                    f"KPIs {seen[k.path]!r} and {k.business_kpi!r} are both monetized on path {k.path!r}: "
                    "that counts one benefit twice; set monetized = false on one of them",
                    loc=(i, "monetized"),
                    hint=f"Set monetized = false on {k.business_kpi!r} or {seen[k.path]!r}, or give them "
                    "different paths if they really are separate causal paths.",
                )
            seen[k.path] = k.business_kpi
        return kpis

    @model_validator(mode="after")
    def _references_exist(self) -> ProgramSpec:
        for i, k in enumerate(self.kpis):
            if k.value_per_unit and k.value_per_unit not in self.assumptions:
                raise SpecProblem(
                    f"KPI {k.business_kpi!r} converts to money with assumption {k.value_per_unit!r}, "
                    f"which is not under [assumptions]",
                    loc=("kpis", i, "value_per_unit"),
                    hint=f"Add [assumptions.{k.value_per_unit}] with value, low, high and source, "
                    "or fix the name.",
                )
            if k.expression:
                _, names = parse_expression(k.expression)
                unknown = sorted(names - EXPRESSION_EFFECT_NAMES - set(self.assumptions))
                if unknown:
                    raise SpecProblem(
                        f"KPI {k.business_kpi!r}: expression uses {', '.join(unknown)}, which "
                        + ("is" if len(unknown) == 1 else "are")
                        + " neither effect, gain nor an assumption",
                        loc=("kpis", i, "expression"),
                        hint="Use only effect, gain and names defined under [assumptions].",
                    )
        return self

    @model_validator(mode="after")
    def _assumption_bounds(self) -> ProgramSpec:
        for name, (lower, upper, strict, what) in _ASSUMPTION_BOUNDS.items():
            a = self.assumptions.get(name)
            if a is None:
                continue
            for v in (a.value, a.low, a.high):
                if v is not None and not ((v > lower if strict else v >= lower) and v <= upper):
                    raise SpecProblem(
                        f"assumption {name} must be {what}; got {v}",
                        loc=("assumptions", name),
                        hint=f"Set value, low and high of {name} to {what}.",
                    )
        return self

    @model_validator(mode="after")
    def _correlations_usable(self) -> ProgramSpec:
        ranged = {
            k: a.low is not None and a.high is not None and a.low < a.high
            for k, a in self.assumptions.items()
        }
        found = correlation.first_problem([(c.a, c.b, c.rho) for c in self.correlations], ranged)
        if found is not None:
            i, key, message, hint = found
            raise SpecProblem(message, loc=("correlations", i, key), hint=hint)
        return self

    @property
    def id(self) -> str:
        return self.program.id

    def kpi(self, name: str) -> KpiLink | None:
        return next((k for k in self.kpis if k.business_kpi == name), None)


_ASSUMPTION_BOUNDS: dict[str, tuple[float, float, bool, str]] = {
    "reach": (0.0, math.inf, False, "a count of people >= 0"),
    "adoption": (0.0, 1.0, False, "a share between 0 and 1"),
    "contribution_margin": (0.0, 1.0, False, "a share between 0 and 1"),
    "decay_half_life_months": (0.0, math.inf, True, "a number of months > 0"),
    "discount_rate": (-1.0, 1.0, True, "an annual rate above -1 and at most 1 (0.08 = 8 %)"),
}
"""Well-known assumptions (docs/dev/roi-formulas.md): (lower, upper, lower bound excluded, in words)."""


def spec_hash(text: str) -> str:
    """SHA-256 of the spec text: stored with every result for provenance."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_HEADER = re.compile(r"^\s*\[\[?\s*([\w.\"'-]+)\s*\]\]?")


def _header_name(line: str) -> str | None:
    m = _HEADER.match(line)
    return m.group(1).replace('"', "").replace("'", "") if m else None


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line number (1-based) of a validation error's location in the TOML text.

    Walks the location: a key followed by an index is the n-th ``[[key]]`` table; a key is an assignment
    ``key =`` inside the current table, or else a ``[... .key]`` table header after it.
    """
    lines = text.splitlines()
    start, found = 0, False
    parts = list(loc)
    i = 0
    while i < len(parts):
        key = parts[i]
        if not isinstance(key, str):
            i += 1
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        if isinstance(nxt, int):
            hits = [
                j
                for j in range(start, len(lines))
                if lines[j].lstrip().startswith("[[") and (_header_name(lines[j]) or "").split(".")[-1] == key
            ]
            if len(hits) > nxt:
                start, found = hits[nxt], True
            i += 2
            continue
        assign = re.compile(rf"^\s*(?:[\w-]+\.)*{re.escape(key)}\s*=")
        hit = None
        for j in range(start + 1 if found else start, len(lines)):
            if found and _header_name(lines[j]) is not None:
                break
            if assign.search(lines[j]):
                hit = j
                break
        if hit is None:
            hit = next(
                (j for j in range(start, len(lines)) if (_header_name(lines[j]) or "").split(".")[-1] == key),
                None,
            )
        if hit is not None:
            start, found = hit, True
        i += 1
    return start + 1 if found else None


def _hint_for(err: Any) -> str:
    """A how-to-fix sentence for one pydantic error."""
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, SpecProblem) and problem.hint:
        return problem.hint
    loc = tuple(err.get("loc", ()))
    last = next((str(p) for p in reversed(loc) if isinstance(p, str)), "the key")
    kind = err.get("type", "")
    doc = "docs/reference/program-spec.md"
    if kind == "missing":
        return f"Add `{last} = ...` to that table (see {doc} or `learnroi init` for an example)."
    if kind == "extra_forbidden":
        return f"Remove `{last}` or fix its spelling; {doc} lists the keys each table accepts."
    if kind.startswith("literal_error") or kind == "enum":
        return f"Set `{last}` to one of the values listed above."
    if kind.endswith("_parsing") or kind.endswith("_type"):
        return f"Give `{last}` a value of the right type (a number, a quoted string or true/false)."
    return f"Fix `{last}` on that line (see {doc} or `learnroi init` for a valid example)."


def parse_spec(text: str, source: str = "<spec>") -> ProgramSpec:
    """Validate spec text; raise :class:`SpecError` naming the line and how to fix it."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise SpecError(
            f"not valid TOML: {exc}",
            where=f"{source} line {m.group(1)}" if m else source,
            hint="Check quotes, brackets and '=' on that line; `learnroi init` writes a valid example.",
        ) from None
    try:
        return ProgramSpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        err = errors[0]
        loc = tuple(err.get("loc", ()))
        problem = (err.get("ctx") or {}).get("error")
        if isinstance(problem, SpecProblem) and problem.loc:
            loc = (*loc, *problem.loc)
        line = _line_of(text, loc)
        field = ".".join(str(p) for p in loc) or "(top level)"
        where = f"{source} line {line}" if line else source
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        more = (
            f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        raise SpecError(f"{field}: {msg}{more}", where=where, hint=_hint_for(err)) from None


def load_spec(path: Path) -> ProgramSpec:
    """Read and validate a program spec file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(
            "program spec not found",
            where=str(path),
            hint="Check the path, or create one with `learnroi init`.",
        ) from None
    return parse_spec(text, source=str(path))


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a program spec."""
    return ProgramSpec.model_json_schema()
