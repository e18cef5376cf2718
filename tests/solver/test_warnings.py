"""Warnings (PROBLEM.md §12): valid input that is almost surely a mistake, with its exact path."""

from __future__ import annotations

from enmusubi.solver import parse_problem, solve
from enmusubi.solver.shortlist import shortlist
from enmusubi.solver.warnings import input_warnings
from tests.core_builders import municipality, partner, position, problem


def warnings_of(problem_dict: dict) -> list[str]:
    return [str(w) for w in input_warnings(parse_problem(problem_dict))]


def skills_problem() -> dict:
    positions = [position(f"j{k}", required_skills={"pm": 1}) for k in range(5)]
    positions.append(position("j5", required_skills={"procurment": 2}, preferred_skills={"pm": 1.0, "zzz": 1.0}))
    return problem(positions, [partner("p", skills={"procurement": 3, "project_management": 2})])


def test_a_misspelt_skill_names_its_path_and_the_closest_known_skill() -> None:
    assert warnings_of(skills_problem()) == [
        *[f"positions[{k}].required_skills.pm: no partner lists this skill" for k in range(5)],
        "positions[5].required_skills.procurment: no partner lists this skill; did you mean procurement?",
        "positions[5].preferred_skills.pm: no partner lists this skill",
        "positions[5].preferred_skills.zzz: no partner lists this skill",
    ]


def test_listed_skills_raise_no_warning() -> None:
    fine = problem([position("j", required_skills={"pm": 1})], [partner("p", skills={"pm": 0})])
    assert warnings_of(fine) == []


def test_a_zero_budget_with_positions_is_a_warning_unless_someone_works_for_free() -> None:
    munis = [municipality("m1", budget_yen=0), municipality("m2", budget_yen=0)]
    built = problem([position("j", municipality="m1")], [partner("p")], munis)
    assert warnings_of(built) == [
        "municipalities[0].budget_yen: the budget is 0, so its 1 position(s) can never be filled"
    ]
    built["partners"][0]["hourly_rate_yen"] = 0
    assert warnings_of(built) == []


def test_a_partner_with_zero_hours_is_a_warning() -> None:
    built = problem([position("j")], [partner("p"), partner("q", hours_per_week=0)])
    assert warnings_of(built) == ["partners[1].hours_per_week: 0 hours a week: this partner can take no position"]


def test_warnings_travel_with_results_and_shortlists() -> None:
    built = skills_problem()
    expected = warnings_of(built)
    assert [str(w) for w in solve(built).warnings] == expected
    assert [str(w) for w in shortlist(built).warnings] == expected
    assert solve(built).warnings[5].path == "positions[5].required_skills.procurment"
