"""Aggregate rule `count`: a partner takes at most `max_assignments` positions (default 3)."""

from __future__ import annotations

from enmusubi.solver import solve
from tests.core_builders import partner, position, problem, solve_pairs, unfilled_reasons


def four_positions(**partner_fields: object) -> dict:
    return problem(
        [position(f"j{k}", hours_per_week=1, priority=1 + k / 10) for k in range(4)],
        [partner("p", hours_per_week=40, **partner_fields)],
    )


def test_default_limit_is_three() -> None:
    assert solve_pairs(four_positions()) == {("p", "j1"), ("p", "j2"), ("p", "j3")}


def test_limit_of_one_takes_the_best_position() -> None:
    result = solve(four_positions(max_assignments=1))
    assert result.pair_set() == {("p", "j3")}
    assert unfilled_reasons(result) == {"j0": "outscored", "j1": "outscored", "j2": "outscored"}
    assert "count" in result.unfilled[0].detail


def test_limit_not_binding() -> None:
    assert len(solve_pairs(four_positions(max_assignments=4))) == 4


def test_zero_placements() -> None:
    result = solve(four_positions(max_assignments=0))
    assert result.assignments == []
    assert result.partners[0].note == "offers no hours or placements"
