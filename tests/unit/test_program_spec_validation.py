"""The program spec: the example from ``learnroi init`` is valid, validation errors name the spec line and
end with a hint, the published JSON Schema is current, and ``learnroi init`` refuses to overwrite."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from learnroi.cli import init_cmd
from learnroi.core.errors import SpecError, UsageError
from learnroi.core.program import json_schema, load_spec, parse_spec
from learnroi.roi import init_spec, template_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "reference" / "program.schema.json"
TEMPLATE = template_text()


def test_template_is_a_valid_sales_skills_spec() -> None:
    spec = parse_spec(TEMPLATE, "program.toml")
    assert spec.id == "sales-skills"
    revenue = spec.kpi("revenue")
    assert revenue is not None
    assert (revenue.rule, revenue.value_per_unit, revenue.per, revenue.path) == (
        "revenue_margin",
        "contribution_margin",
        "person_month",
        "sales",
    )
    for name in ("deal_size", "win_rate"):
        link = spec.kpi(name)
        assert link is not None
        assert (link.path, link.monetized) == ("sales", False)
    for name in ("reach", "adoption", "decay_half_life_months", "discount_rate", "contribution_margin"):
        a = spec.assumptions[name]
        assert a.low is not None
        assert a.high is not None
        assert a.source


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# (what to replace in the template, its replacement, the text of the line the error must point at)
BROKEN = [
    ('rule = "revenue_margin"', 'rule = "revenue_margn"', 'rule = "revenue_margn"'),
    ('value_per_unit = "contribution_margin"', 'value_per_unit = "margin"', 'value_per_unit = "margin"'),
    ('per = "person_month"', 'per = "month"', 'per = "month"'),
    ("horizon_months = 12", "horizon_months = 0", "horizon_months = 0"),
    ('currency = "USD"', 'currency = "USD"\ncolour = "red"', 'colour = "red"'),
    ("monetized = false                         # same", "monetized = true #", "monetized = true #"),
    ("value = 0.35\n", "value = 1.35\n", "[assumptions.contribution_margin]"),
    ("[pilot]", "[pilot", "[pilot"),
    (
        'rule = "revenue_margin"',
        "rule = \"custom\"\nexpression = \"__import__('os').system('true')\"",
        "expression =",
    ),
]


@pytest.mark.parametrize(("old", "new", "at"), BROKEN, ids=[b[1][:24] for b in BROKEN])
def test_errors_name_the_line_and_end_with_a_hint(old: str, new: str, at: str) -> None:
    assert old in TEMPLATE
    text = TEMPLATE.replace(old, new, 1)
    with pytest.raises(SpecError) as info:
        parse_spec(text, "program.toml")
    err = info.value
    assert err.where == f"program.toml line {_line(text, at)}"
    rendered = str(err)
    assert rendered.startswith(f"program.toml line {_line(text, at)}: ")
    last = rendered.splitlines()[-1]
    assert last.startswith("Hint: ")
    assert len(last) > len("Hint: ") + 10


def test_a_double_counted_path_is_refused_with_both_names() -> None:
    text = TEMPLATE.replace(
        "monetized = false                         # same",
        'rule = "revenue_margin"\nvalue_per_unit = "contribution_margin" #',
        1,
    )
    with pytest.raises(SpecError, match="deal_size") as info:
        parse_spec(text, "p.toml")
    assert "monetized = false" in info.value.hint


def test_time_saved_needs_redeployment() -> None:
    data = tomllib.loads(TEMPLATE)
    data["kpis"][0].update(rule="time_saved", value_per_unit="contribution_margin")
    from learnroi.core.program import ProgramSpec

    with pytest.raises(ValueError, match="redeployed"):
        ProgramSpec.model_validate(data)
    data["kpis"][0]["redeployed"] = True
    assert ProgramSpec.model_validate(data).kpis[0].redeployed is True


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not found") as info:
        load_spec(tmp_path / "nope.toml")
    assert "learnroi init" in info.value.hint


def test_published_schema_is_current() -> None:
    """docs/reference/program.schema.json is json_schema() (regenerate it when the model changes)."""
    assert json.loads(SCHEMA.read_text(encoding="utf-8")) == json_schema(), (
        'regenerate: python -c "import json; from learnroi.core.program import json_schema; '
        "open('docs/reference/program.schema.json','w').write(json.dumps(json_schema(), indent=2) + '\\n')\""
    )
    jsonschema.validate(tomllib.loads(TEMPLATE), json.loads(SCHEMA.read_text(encoding="utf-8")))


def test_init_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "program.toml"
    assert init_spec(target) == target
    assert parse_spec(target.read_text(encoding="utf-8")).id == "sales-skills"
    target.write_text("# edited", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists") as info:
        init_spec(target)
    assert "--force" in info.value.hint
    assert target.read_text(encoding="utf-8") == "# edited"
    init_spec(target, force=True)
    assert target.read_text(encoding="utf-8") == TEMPLATE
    folder = tmp_path / "new"
    folder.mkdir()
    assert init_spec(folder) == folder / "program.toml"  # a folder gets program.toml


def test_init_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`learnroi init [PATH] [--force]` through its typer command (the CLI shell's e2e tests run it whole)."""
    app = typer.Typer()
    init_cmd.register(app)

    @app.callback()
    def _root() -> None:  # a group, so the command is addressed by name as in the real app
        """learnroi."""

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["init"])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "program.toml").read_text(encoding="utf-8") == TEMPLATE
    again = runner.invoke(app, ["init"])
    assert isinstance(again.exception, UsageError)
    assert again.exception.exit_code == 2
    assert "--force" in again.exception.hint
    forced = runner.invoke(app, ["init", "--force", "other.toml"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "other.toml").exists()


def test_reference_page_documents_every_key() -> None:
    page = (ROOT / "docs" / "reference" / "program-spec.md").read_text(encoding="utf-8")
    schema = json_schema()
    keys = set(schema["properties"])
    for d in schema["$defs"].values():
        keys |= set(d.get("properties", {}))
    missing = sorted(
        k for k in keys if f"`{k}`" not in page and f"[{k}]" not in page and f"[[{k}]]" not in page
    )
    assert not missing, f"docs/reference/program-spec.md does not document: {missing}"
