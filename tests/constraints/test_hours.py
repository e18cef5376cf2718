"""Rule 6 and aggregate `hours`: each position fits the partner's weekly hours, and so do all of them together."""

from __future__ import annotations

from enmusubi.solver import solve
from tests import reference as ref
from tests.core_builders import engine_scores, failing_rule, partner, position, problem, solve_pairs


def test_position_longer_than_the_partner_offers_fails() -> None:
    case = problem([position("j", hours_per_week=12)], [partner("p", hours_per_week=10)])
    assert failing_rule(case, "p", "j") == ("hours", "12 h/week > partner's 10 h/week")
    assert engine_scores(case) == {}


def test_equal_hours_pass() -> None:
    case = problem([position("j", hours_per_week=10)], [partner("p", hours_per_week=10)])
    assert failing_rule(case, "p", "j")[0] is None
    assert solve_pairs(case) == {("p", "j")}


def test_zero_hours_partner_takes_nothing() -> None:
    case = problem([position("j", hours_per_week=0.5)], [partner("p", hours_per_week=0)])
    assert failing_rule(case, "p", "j")[0] == "hours"
    result = solve(case)
    assert result.assignments == []
    assert result.partners[0].note == "offers no hours or placements"


def test_positions_together_may_not_exceed_the_hours() -> None:
    """6 + 6 > 10: one position each way, and the better-scoring one (priority 2) is taken."""
    case = problem(
        [position("low", hours_per_week=6), position("high", hours_per_week=6, priority=2)],
        [partner("p", hours_per_week=10)],
    )
    assert set(engine_scores(case)) == {("p", "low"), ("p", "high")}
    assert solve_pairs(case) == {("p", "high")}


def test_positions_summing_exactly_to_the_hours_fit() -> None:
    case = problem(
        [position("a", hours_per_week=2.5), position("b", hours_per_week=7.5)], [partner("p", hours_per_week=10)]
    )
    pairs = solve_pairs(case)
    assert pairs == {("p", "a"), ("p", "b")}
    assert ref.check_allocation(case, sorted(pairs)) == []
