"""Rule 7 and aggregate `budget`: one placement's cost fits the municipality's budget, and so do all of them.

cost = hourly rate x position hours x period weeks; the tiny partner costs ¥5,000 x 4 h x 4 weeks = ¥80,000.
"""

from __future__ import annotations

import pytest

from enmusubi.solver import solve
from tests.core_builders import engine_scores, failing_rule, municipality, partner, position, problem, unfilled_reasons


def tiny(budget: int | None, **fields: object) -> dict:
    return problem([position("j")], [partner("p")], municipalities=[municipality(budget_yen=budget)], **fields)


def test_a_placement_above_the_budget_fails() -> None:
    case = tiny(79_999)
    assert failing_rule(case, "p", "j") == ("budget", "cost ¥80,000 for the period > budget ¥79,999")
    assert engine_scores(case) == {}
    assert solve(case).assignments == []


def test_a_placement_equal_to_the_budget_passes() -> None:
    case = tiny(80_000)
    assert failing_rule(case, "p", "j")[0] is None
    # cost penalty cost / budget = 1: 2 - 0.5 x 1
    assert engine_scores(case) == {("p", "j"): pytest.approx(1.5, abs=1e-12)}
    result = solve(case)
    assert result.pair_set() == {("p", "j")}
    assert result.municipalities[0].spent_yen == 80_000
    assert result.municipalities[0].remaining_yen == 0


def test_null_budget_is_no_limit_and_no_penalty() -> None:
    case = tiny(None, period_weeks=52)
    assert engine_scores(case) == {("p", "j"): pytest.approx(2.0, abs=1e-12)}
    result = solve(case)
    assert result.assignments[0].cost_yen == 5000 * 4 * 52
    assert result.municipalities[0].remaining_yen is None


def test_period_weeks_scale_the_cost() -> None:
    case = tiny(79_999, period_weeks=2)
    (placed,) = solve(case).assignments
    assert placed.cost_yen == 40_000
    assert placed.breakdown["cost"] == pytest.approx(-0.5 * 40_000 / 79_999, abs=1e-12)


def test_zero_budget_takes_only_volunteers() -> None:
    case = problem(
        [position("j")],
        [partner("paid", hourly_rate_yen=1), partner("free", hourly_rate_yen=0)],
        municipalities=[municipality(budget_yen=0)],
    )
    assert failing_rule(case, "paid", "j")[0] == "budget"
    assert engine_scores(case) == {("free", "j"): pytest.approx(2.0, abs=1e-12)}


def two_positions(budget: int) -> dict:
    return problem(
        [position("a", priority=2), position("b")],
        [partner("p"), partner("q")],
        municipalities=[municipality(budget_yen=budget)],
    )


def test_placements_together_stay_within_the_budget() -> None:
    """Each placement costs ¥80,000 and fits alone; ¥100,000 pays for one, the higher priority."""
    result = solve(two_positions(100_000))
    assert {j for _, j in result.pair_set()} == {"a"}
    assert unfilled_reasons(result) == {"b": "budget"}
    assert result.municipalities[0].spent_yen == 80_000
    assert " left of ¥" in result.unfilled[0].detail


def test_placements_summing_exactly_to_the_budget_fit() -> None:
    result = solve(two_positions(160_000))
    assert {j for _, j in result.pair_set()} == {"a", "b"}
    assert result.municipalities[0].spent_yen == 160_000
    assert result.unfilled == []
