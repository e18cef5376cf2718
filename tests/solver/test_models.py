"""Validation of problem files (PROBLEM.md §2): every fault is an InputError naming its place."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from enmusubi.solver import InputError, Problem, load_problem, parse_problem
from tests.core_builders import example, pair_refs

Mutation = Callable[[dict[str, Any]], None]


def issues_of(problem_dict: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, message) of every issue parse_problem reports; fails the test when it accepts the input."""
    with pytest.raises(InputError) as caught:
        parse_problem(problem_dict)
    return [(issue.path, issue.message) for issue in caught.value.issues]


def mutated(mutation: Mutation) -> dict[str, Any]:
    problem = example()
    mutation(problem)
    return problem


def test_example_is_valid() -> None:
    problem = parse_problem(example())
    assert isinstance(problem, Problem)
    assert [p.id for p in problem.partners] == ["p-designer", "p-trainer", "p-pm", "p-remote"]


# Each case: how to break the §8 example, the path the error must name, and words its message must hold.
INVALID: list[tuple[str, Mutation, str, str]] = [
    ("unknown top-level field", lambda d: d.update(budget_total=1), "budget_total", "unknown field"),
    (
        "unknown nested field",
        lambda d: d["partners"][2].update(hourly_rat=9000),
        "partners[2].hourly_rat",
        "unknown field",
    ),
    ("unknown weight", lambda d: d.update(weights={"fil": 1.0}), "weights.fil", "unknown field"),
    ("missing version", lambda d: d.pop("version"), "version", "missing"),
    ("wrong version", lambda d: d.update(version=2), "version", "1"),
    (
        "missing partner hours",
        lambda d: d["partners"][0].pop("hours_per_week"),
        "partners[0].hours_per_week",
        "missing",
    ),
    ("missing position title", lambda d: d["positions"][1].pop("title"), "positions[1].title", "missing"),
    ("missing budget", lambda d: d["municipalities"][0].pop("budget_yen"), "municipalities[0].budget_yen", "missing"),
    ("hours as text", lambda d: d["positions"][0].update(hours_per_week="ten"), "positions[0].hours_per_week", "'ten'"),
    ("id as number", lambda d: d["partners"][1].update(id=5), "partners[1].id", "string"),
    ("list as object", lambda d: d.update(partners={}), "partners", "list"),
    (
        "boolean hours",
        lambda d: d["positions"][0].update(hours_per_week=True),
        "positions[0].hours_per_week",
        "boolean",
    ),
    ("boolean openings", lambda d: d["positions"][1].update(openings=False), "positions[1].openings", "boolean"),
    (
        "boolean level",
        lambda d: d["partners"][0]["skills"].update(pr_writing=True),
        "partners[0].skills.pr_writing",
        "boolean",
    ),
    ("fractional openings", lambda d: d["positions"][1].update(openings=1.5), "positions[1].openings", "integer"),
    ("NaN latitude", lambda d: d["partners"][0].update(lat=float("nan")), "partners[0].lat", "finite"),
    (
        "infinite rate",
        lambda d: d["partners"][3].update(hourly_rate_yen=float("inf")),
        "partners[3].hourly_rate_yen",
        "finite",
    ),
    ("infinite weight", lambda d: d.update(weights={"commute": float("-inf")}), "weights.commute", "finite"),
    (
        "required level 7",
        lambda d: d["positions"][0]["required_skills"].update(security=7),
        "positions[0].required_skills.security",
        "level 7 is above 5",
    ),
    (
        "required level 0",
        lambda d: d["positions"][2]["required_skills"].update(security=0),
        "positions[2].required_skills.security",
        "level 0 is below 1",
    ),
    (
        "partner level 6",
        lambda d: d["partners"][1]["skills"].update(training=6),
        "partners[1].skills.training",
        "above 5",
    ),
    (
        "partner level -1",
        lambda d: d["partners"][1]["skills"].update(training=-1),
        "partners[1].skills.training",
        "below 0",
    ),
    (
        "negative partner hours",
        lambda d: d["partners"][0].update(hours_per_week=-1),
        "partners[0].hours_per_week",
        "-1",
    ),
    ("zero position hours", lambda d: d["positions"][0].update(hours_per_week=0), "positions[0].hours_per_week", "0"),
    ("negative rate", lambda d: d["partners"][0].update(hourly_rate_yen=-100), "partners[0].hourly_rate_yen", "-100"),
    (
        "negative rate cap",
        lambda d: d["positions"][0].update(max_hourly_rate_yen=-5),
        "positions[0].max_hourly_rate_yen",
        "-5",
    ),
    ("negative budget", lambda d: d["municipalities"][1].update(budget_yen=-1), "municipalities[1].budget_yen", "-1"),
    (
        "fractional budget",
        lambda d: d["municipalities"][1].update(budget_yen=10.5),
        "municipalities[1].budget_yen",
        "integer",
    ),
    (
        "onsite 6 days",
        lambda d: d["positions"][2].update(onsite_days_per_week=6),
        "positions[2].onsite_days_per_week",
        "6",
    ),
    ("openings 0", lambda d: d["positions"][0].update(openings=0), "positions[0].openings", "0"),
    ("priority 0", lambda d: d["positions"][0].update(priority=0), "positions[0].priority", "0"),
    ("period 0", lambda d: d.update(period_weeks=0), "period_weeks", "0"),
    ("negative weight", lambda d: d.update(weights={"fill": -1}), "weights.fill", "-1"),
    (
        "negative commute limit",
        lambda d: d["partners"][0].update(max_commute_minutes=-5),
        "partners[0].max_commute_minutes",
        "-5",
    ),
    ("latitude 91", lambda d: d["municipalities"][0].update(lat=91), "municipalities[0].lat", "91"),
    ("empty id", lambda d: d["positions"][0].update(id=""), "positions[0].id", "1 character"),
    (
        "negative preferred weight",
        lambda d: d["positions"][0]["preferred_skills"].update(ux=-1.0),
        "positions[0].preferred_skills.ux",
        "-1",
    ),
]


@pytest.mark.parametrize(("mutation", "path", "words"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_field_errors_name_the_place(mutation: Mutation, path: str, words: str) -> None:
    issues = issues_of(mutated(mutation))
    assert [p for p, _ in issues] == [path]
    assert words in issues[0][1]


def test_required_level_message_matches_the_spec() -> None:
    """PROBLEM.md §2's own example of a message."""
    problem = mutated(lambda d: d["positions"][0]["required_skills"].update(security=7))
    with pytest.raises(InputError) as caught:
        parse_problem(problem)
    assert str(caught.value) == "positions[0].required_skills.security: level 7 is above 5"
    assert caught.value.first_line() == "positions[0].required_skills.security: level 7 is above 5"


def test_every_fault_is_listed_at_once() -> None:
    def two_faults(d: dict[str, Any]) -> None:
        d["partners"][0]["hours_per_week"] = -1
        d["positions"][1]["required_skills"]["saas_admin"] = 9

    paths = {p for p, _ in issues_of(mutated(two_faults))}
    assert paths == {"partners[0].hours_per_week", "positions[1].required_skills.saas_admin"}


def test_not_an_object() -> None:
    for document in ([], "problem", 3, None):
        with pytest.raises(InputError, match="JSON object"):
            parse_problem(document)


# Faults found after the field checks: identities and cross references.
REFERENCES: list[tuple[str, Mutation, str, str]] = [
    (
        "duplicate partner id",
        lambda d: d["partners"][3].update(id="p-designer"),
        "partners[3].id",
        "duplicate id 'p-designer' (also partners[0])",
    ),
    (
        "duplicate position id",
        lambda d: d["positions"][2].update(id="akishima-creator"),
        "positions[2].id",
        "duplicate",
    ),
    (
        "duplicate municipality id",
        lambda d: d["municipalities"].append(dict(d["municipalities"][0])),
        "municipalities[3].id",
        "duplicate",
    ),
    (
        "unknown municipality of a position",
        lambda d: d["positions"][1].update(municipality="99999"),
        "positions[1].municipality",
        "unknown municipality '99999'",
    ),
    (
        "unknown preferred municipality",
        lambda d: d["partners"][0]["preferred_municipalities"].append("nowhere"),
        "partners[0].preferred_municipalities[1]",
        "'nowhere'",
    ),
    (
        "unknown excluded municipality",
        lambda d: d["partners"][3]["excluded_municipalities"].append("nowhere"),
        "partners[3].excluded_municipalities[1]",
        "'nowhere'",
    ),
    (
        "skill both required and preferred",
        lambda d: d["positions"][0]["preferred_skills"].update(graphic_design=1.0),
        "positions[0].preferred_skills.graphic_design",
        "also in required_skills",
    ),
    (
        "lock also forbidden",
        lambda d: d.update(locks=pair_refs(("p-pm", "taito-pm")), forbidden=pair_refs(("p-pm", "taito-pm"))),
        "locks[0]",
        "forbidden",
    ),
    (
        "lock of an unknown partner",
        lambda d: d.update(locks=pair_refs(("nobody", "taito-pm"))),
        "locks[0].partner",
        "nobody",
    ),
    (
        "forbidden unknown position",
        lambda d: d.update(forbidden=pair_refs(("p-pm", "taito-pm"), ("p-pm", "nothing"))),
        "forbidden[1].position",
        "unknown position 'nothing'",
    ),
    (
        "incumbent unknown partner",
        lambda d: d.update(incumbents=pair_refs(("ghost", "taito-pm"))),
        "incumbents[0].partner",
        "'ghost'",
    ),
    (
        "commute entry for an unknown municipality",
        lambda d: d.update(commute_minutes=[{"partner": "p-pm", "municipality": "00000", "minutes": 30}]),
        "commute_minutes[0].municipality",
        "unknown municipality '00000'",
    ),
    (
        "duplicate commute entry",
        lambda d: d.update(
            commute_minutes=[{"partner": "p-pm", "municipality": "13106", "minutes": m} for m in (30, 40)]
        ),
        "commute_minutes[1]",
        "duplicate",
    ),
    (
        "negative commute minutes",
        lambda d: d.update(commute_minutes=[{"partner": "p-pm", "municipality": "13106", "minutes": -3}]),
        "commute_minutes[0].minutes",
        "-3",
    ),
]


@pytest.mark.parametrize(("mutation", "path", "words"), [c[1:] for c in REFERENCES], ids=[c[0] for c in REFERENCES])
def test_reference_errors_name_the_place(mutation: Mutation, path: str, words: str) -> None:
    issues = issues_of(mutated(mutation))
    assert [p for p, _ in issues] == [path]
    assert words in issues[0][1]


def test_commute_entry_for_unknown_partner_and_municipality() -> None:
    problem = mutated(lambda d: d.update(commute_minutes=[{"partner": "zz", "municipality": "yy", "minutes": 3}]))
    assert [p for p, _ in issues_of(problem)] == ["commute_minutes[0].partner", "commute_minutes[0].municipality"]


def test_defaults_applied() -> None:
    minimal = {
        "version": 1,
        "weights": {"commute": 2.0},
        "municipalities": [{"id": "m", "name": "M", "lat": 35.7, "lon": 139.7, "budget_yen": None}],
        "positions": [{"id": "j", "municipality": "m", "title": "T", "hours_per_week": 5}],
        "partners": [{"id": "p", "name": "P", "lat": 35.7, "lon": 139.7, "hours_per_week": 8, "hourly_rate_yen": 0}],
    }
    problem = parse_problem(minimal)
    assert problem.period_weeks == 4
    assert problem.weights.model_dump() == {
        "fill": 1.0,
        "skill": 1.0,
        "preference": 0.2,
        "commute": 2.0,
        "cost": 0.5,
        "incumbent": 0.5,
        "equity": 0.0,
    }
    pos = problem.positions[0]
    assert (pos.required_skills, pos.preferred_skills) == ({}, {})
    assert (pos.onsite_days_per_week, pos.openings, pos.max_hourly_rate_yen, pos.priority) == (0, 1, None, 1.0)
    who = problem.partners[0]
    assert who.skills == {}
    assert (who.max_onsite_days_per_week, who.max_commute_minutes, who.max_assignments) == (5, 90, 3)
    assert (who.preferred_municipalities, who.excluded_municipalities) == ([], [])
    assert (problem.commute_minutes, problem.locks, problem.forbidden, problem.incumbents) == ([], [], [], [])
    # Defaults are spelled out in the canonical dict and survive a round trip.
    assert parse_problem(problem.to_json_dict()) == problem


def test_integers_accepted_for_numbers() -> None:
    problem = parse_problem(mutated(lambda d: d["partners"][0].update(lat=36, hours_per_week=20)))
    assert problem.partners[0].lat == 36.0


def test_problem_is_immutable() -> None:
    problem = parse_problem(example())
    with pytest.raises(ValueError, match="frozen"):
        problem.period_weeks = 2  # type: ignore[misc]
    changed = problem.model_copy(update={"period_weeks": 2.0})
    assert (changed.period_weeks, problem.period_weeks) == (2.0, 4.0)


# ------------------------------------------------------------------------------------------------------ files


def test_load_json_and_yaml_alike(tmp_path: Path) -> None:
    as_yaml = tmp_path / "example.yaml"
    as_yaml.write_text(yaml.safe_dump(example(), allow_unicode=True), encoding="utf-8")
    as_json = tmp_path / "example.json"
    as_json.write_text(json.dumps(example()), encoding="utf-8")
    assert load_problem(as_yaml) == load_problem(as_json) == parse_problem(example())
    as_yml = tmp_path / "example.yml"
    as_yml.write_text(as_yaml.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_problem(as_yml) == load_problem(as_json)


def test_yaml_faults_name_the_field(tmp_path: Path) -> None:
    broken = example()
    broken["positions"][1]["hours_per_week"] = -2
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_problem(path)
    assert [i.path for i in caught.value.issues] == ["positions[1].hours_per_week"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_in_json_text(tmp_path: Path, token: str) -> None:
    """Python's json would accept these tokens; the loader must reject them and name the field."""
    text = json.dumps(example(), indent=1).replace('"lat": 35.6586', f'"lat": {token}', 1)
    assert token in text
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_problem(path)
    assert [i.path for i in caught.value.issues] == ["partners[1].lat"]
    assert "finite" in caught.value.issues[0].message


def test_invalid_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "truncated.json"
    path.write_text('{"version": 1,\n  "partners": [', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_problem(path)
    assert caught.value.issues[0].path == str(path)
    assert "invalid JSON" in caught.value.issues[0].message
    assert "line 2" in caught.value.issues[0].message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    with pytest.raises(InputError) as caught:
        load_problem(path)
    assert str(caught.value) == f"{path}: no such file"


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\npartners: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid YAML"):
        load_problem(path)
