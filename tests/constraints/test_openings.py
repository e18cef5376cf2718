"""Aggregate rule `openings`: a position takes at most its number of openings."""

from __future__ import annotations

from enmusubi.solver import solve
from tests.core_builders import partner, position, problem, unfilled_reasons


def three_candidates(openings: int) -> dict:
    return problem(
        [position("j", openings=openings, required_skills={"ux": 1})],
        [partner("a", skills={"ux": 5}), partner("b", skills={"ux": 3}), partner("c", skills={"ux": 1})],
    )


def test_one_opening_takes_the_best_partner() -> None:
    result = solve(three_candidates(openings=1))
    assert result.pair_set() == {("a", "j")}
    assert result.unfilled == []


def test_two_openings_fill_two() -> None:
    result = solve(three_candidates(openings=2))
    assert result.pair_set() == {("a", "j"), ("b", "j")}
    assert result.municipalities[0].openings == 2
    assert result.municipalities[0].filled == 2


def test_more_openings_than_candidates_stay_open() -> None:
    result = solve(three_candidates(openings=5))
    assert len(result.assignments) == 3
    (open_position,) = result.unfilled
    assert (open_position.position, open_position.openings, open_position.filled) == ("j", 5, 3)
    assert unfilled_reasons(result) == {"j": "not_worth"}


def test_default_is_one_opening() -> None:
    result = solve(problem([position("j")], [partner("a"), partner("b")]))
    assert len(result.assignments) == 1
