"""The program spec: what a learning program is, what it should change, and how that is worth money.

A spec is a TOML file validated on load (pydantic). Errors point at the spec line and say how to fix
it. The JSON Schema is published from :func:`json_schema` (``docs/reference/program.schema.json``).
The Calculate step (``learnroi.roi``) reads ``kpis``, ``assumptions``, ``costs`` and ``intangibles``;
the Define step (``learnroi.design``) reads ``pilot`` and ``hypotheses``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from learnroi.core.errors import SpecError
from learnroi.core.options import (
    CostCategory,
    Design,
    Direction,
    HypothesisStatus,
    Modality,
    MonetizationRule,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Assumption(_Model):
    """One assumption with its source and plausible range (used by sensitivity and Monte Carlo)."""

    value: float
    low: float | None = None
    high: float | None = None
    unit: str = ""
    source: str = Field(min_length=1, description="Where the number comes from (finance, HRIS, a study...).")

    @model_validator(mode="after")
    def _ordered(self) -> Assumption:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if not lo <= self.value <= hi:
            raise ValueError(f"needs low <= value <= high; got low={lo}, value={self.value}, high={hi}")
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

    @model_validator(mode="after")
    def _rule_when_monetized(self) -> KpiLink:
        if self.monetized and self.rule is None:
            raise ValueError(f"KPI {self.business_kpi!r} is monetized but has no rule")
        if self.rule == "custom" and not self.expression:
            raise ValueError(f"KPI {self.business_kpi!r} uses rule 'custom' but has no expression")
        return self


class CostLine(_Model):
    category: CostCategory
    amount: float = Field(ge=0)
    description: str = ""
    modality: Modality | None = None
    prorate_over_users: int | None = Field(default=None, ge=1)
    """Design or acquisition cost shared over this many expected users; this program bears its own share."""


class Intangible(_Model):
    name: str
    evidence: str = ""


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


class ProgramSpec(_Model):
    """A whole program spec (see ``learnroi init`` for a commented example)."""

    program: ProgramInfo
    kpis: list[KpiLink] = Field(default_factory=list)
    assumptions: dict[str, Assumption] = Field(default_factory=dict)
    costs: list[CostLine] = Field(default_factory=list)
    intangibles: list[Intangible] = Field(default_factory=list)
    hypotheses: list[Hypothesis] = Field(default_factory=list)
    pilot: Pilot | None = None

    @field_validator("kpis")
    @classmethod
    def _one_monetized_kpi_per_path(cls, kpis: list[KpiLink]) -> list[KpiLink]:
        seen: dict[str, str] = {}
        for k in kpis:
            if not k.monetized:
                continue
            if k.path in seen:
                raise ValueError(
                    f"KPIs {seen[k.path]!r} and {k.business_kpi!r} are both monetized on path {k.path!r}: "
                    "that counts one benefit twice; set monetized = false on one of them"
                )
            seen[k.path] = k.business_kpi
        return kpis

    @model_validator(mode="after")
    def _references_exist(self) -> ProgramSpec:
        for k in self.kpis:
            if k.value_per_unit and k.value_per_unit not in self.assumptions:
                raise ValueError(
                    f"KPI {k.business_kpi!r} converts to money with assumption {k.value_per_unit!r}, "
                    f"which is not under [assumptions]"
                )
        return self

    @property
    def id(self) -> str:
        return self.program.id

    def kpi(self, name: str) -> KpiLink | None:
        return next((k for k in self.kpis if k.business_kpi == name), None)


def spec_hash(text: str) -> str:
    """SHA-256 of the spec text: stored with every result for provenance."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort line number of a validation error's location in the TOML text."""
    keys = [str(k) for k in loc if isinstance(k, str)]
    lines = text.splitlines()
    start = 0
    for key in keys:
        pattern = re.compile(
            rf"^\s*(\[\[?\s*[\w.-]*\b{re.escape(key)}\b[\w.-]*\s*\]\]?|{re.escape(key)}\s*=|[\w-]+\.{re.escape(key)}\s*=)"
        )
        for i in range(start, len(lines)):
            if pattern.search(lines[i]):
                start = i
                break
    return start + 1 if keys else None


def parse_spec(text: str, source: str = "<spec>") -> ProgramSpec:
    """Validate spec text; raise :class:`SpecError` naming the line and how to fix it."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(
            f"not valid TOML: {exc}",
            where=source,
            hint="Check quotes, brackets and '=' on that line; `learnroi init` writes a valid example.",
        ) from None
    try:
        return ProgramSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        line = _line_of(text, loc)
        field = ".".join(str(p) for p in loc) or "(top level)"
        where = f"{source} line {line}" if line else source
        raise SpecError(
            f"{field}: {err.get('msg', 'invalid')}",
            where=where,
            hint="Fix that entry (see docs/reference/program-spec.md or `learnroi init` for a valid example).",
        ) from None


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
