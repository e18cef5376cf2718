"""Reading scenario files: YAML or JSON, the base relative to the file, every fault named before solving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from enmusubi.scenarios.changes import change_to_dict
from enmusubi.scenarios.scenario import load_scenario, parse_scenario, slugify, variant_slugs
from enmusubi.solver import InputError, Problem, UnknownIdError, load_problem

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example-small.json"
REMOTE = {
    "name": "Creator role may be remote",
    "changes": [{"position": "akishima-creator", "set": {"onsite_days_per_week": 0}}],
}


def scenario_dict(**extra: Any) -> dict[str, Any]:
    return {
        "version": 1,
        "name": "Budget and remote work",
        "base": "problem.json",
        "variants": [
            {"name": "Akishima budget +30%", "changes": [{"municipality": "13207", "set": {"budget_yen": "*1.3"}}]},
            REMOTE,
        ],
        **extra,
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "problem.json").write_text(EXAMPLE.read_text())
    return tmp_path


def errors(data: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(InputError) as caught:
        parse_scenario(data, **kwargs)
    return [str(issue) for issue in caught.value.issues]


def test_yaml_file_with_base_relative_to_it(folder: Path) -> None:
    (folder / "plans").mkdir()
    data = scenario_dict(base="../problem.json", time_limit_seconds=30)
    (folder / "plans" / "what-if.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    scenario = load_scenario(folder / "plans" / "what-if.yaml")
    assert scenario.name == "Budget and remote work" and scenario.time_limit_seconds == 30
    assert scenario.base == load_problem(EXAMPLE)
    assert [v.name for v in scenario.variants] == ["Akishima budget +30%", "Creator role may be remote"]
    assert change_to_dict(scenario.variants[0].changes[0]) == {
        "municipality": "13207",
        "set": {"budget_yen": "*1.3"},
    }


def test_json_file_and_default_name(folder: Path) -> None:
    data = scenario_dict()
    del data["name"]
    (folder / "budget.json").write_text(json.dumps(data))
    scenario = load_scenario(folder / "budget.json")
    assert scenario.name == "budget" and scenario.time_limit_seconds is None


def test_inline_base_and_resolver() -> None:
    inline = json.loads(EXAMPLE.read_text())
    assert parse_scenario(scenario_dict(base=inline)).base == load_problem(EXAMPLE)

    def resolve(value: Any) -> Problem:
        if value != {"run": "r1"}:
            raise UnknownIdError("run", str(value))
        return load_problem(EXAMPLE)

    assert parse_scenario(scenario_dict(base={"run": "r1"}), resolve_base=resolve).base == load_problem(EXAMPLE)
    with pytest.raises(UnknownIdError):
        parse_scenario(scenario_dict(base={"run": "r2"}), resolve_base=resolve)


def test_a_bad_change_names_variant_index_and_reason(folder: Path) -> None:
    bad = {"name": "Creator role may be remote", "changes": [{"position": "x", "set": {"onsite_days_per_week": 0}}]}
    with pytest.raises(InputError) as caught:
        parse_scenario(scenario_dict(variants=[{"name": "as it is"}, bad]), base_dir=folder)
    [issue] = caught.value.issues
    assert issue.path == "variants[1].changes[0]"
    assert issue.message == "variant 'Creator role may be remote', change 0: unknown position 'x'"


def test_every_faulty_variant_is_reported_at_once(folder: Path) -> None:
    variants = [
        {"name": "a", "changes": [{"weights": {"commute": 1}}, {"partner": "nobody", "set": {"hours_per_week": 1}}]},
        REMOTE,
        {"name": "c", "changes": [{"remove": {"positions": ["gone"]}}]},
    ]
    assert errors(scenario_dict(variants=variants), base_dir=folder) == [
        "variants[0].changes[1]: variant 'a', change 1: unknown partner 'nobody'",
        "variants[2].changes[0]: variant 'c', change 0: remove.positions[0]: unknown position 'gone'",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"extra": 1, "version": 1}, "extra: unknown field"),
        ({"version": 2}, "version: unsupported version 2"),
        ({"variants": []}, "variants: expected a list of one or more variants"),
        ({"time_limit_seconds": -1}, "time_limit_seconds: expected a number of seconds > 0"),
        ({"base": "missing.json"}, "base: "),
        ({"base": 42}, "base: expected the path of a problem file"),
        ({"variants": [{"changes": []}]}, "variants[0].name: every variant needs a name"),
        ({"variants": [{"name": "a", "changes": {}}]}, "variants[0].changes: variant 'a': changes must be a list"),
        ({"variants": [{"name": "a", "change": []}]}, "variants[0].change: unknown field"),
        ({"variants": [{"name": "a"}, {"name": "a"}]}, "variants[1].name: duplicate variant name 'a'"),
    ],
)
def test_scenario_level_faults(folder: Path, change: dict[str, Any], expected: str) -> None:
    found = errors(scenario_dict(**change), base_dir=folder)
    assert any(message.startswith(expected) for message in found), found


def test_missing_version_and_base() -> None:
    found = errors({"variants": [{"name": "a"}]})
    assert any(m.startswith("version: required field is missing") for m in found)
    assert any(m.startswith("base: required field is missing") for m in found)


def test_invalid_inline_base_names_the_place() -> None:
    inline = json.loads(EXAMPLE.read_text())
    inline["positions"][0]["hours_per_week"] = -1
    found = errors(scenario_dict(base=inline))
    assert found[0].startswith("base.positions[0].hours_per_week:")


def test_a_base_whose_locks_cannot_hold_is_rejected() -> None:
    inline = json.loads(EXAMPLE.read_text())
    inline["locks"] = [{"partner": "p-remote", "position": "taito-pm"}]
    assert errors(scenario_dict(base=inline))[0].startswith("base.locks[0]: lock p-remote -> taito-pm is not eligible")


def test_yaml_syntax_error_names_the_file(folder: Path) -> None:
    (folder / "broken.yaml").write_text("version: 1\nvariants: [\n")
    with pytest.raises(InputError, match="invalid YAML"):
        load_scenario(folder / "broken.yaml")


def test_slugs_are_unique_and_never_base(folder: Path) -> None:
    variants = [{"name": "Base"}, {"name": "Akishima +30%"}, {"name": "akishima 30"}, {"name": "!!!"}]
    scenario = parse_scenario(scenario_dict(variants=variants), base_dir=folder)
    assert variant_slugs(scenario) == ["base-2", "akishima-30", "akishima-30-2", "variant"]
    assert slugify("Creator role may be remote") == "creator-role-may-be-remote"
