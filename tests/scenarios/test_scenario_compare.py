"""The difference of a variant from the base agrees with the two results it was computed from."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enmusubi.scenarios.compare import VariantDiff, compare_results
from enmusubi.scenarios.generator import generate_problem
from enmusubi.scenarios.scenario import Variant, build_variant
from enmusubi.solver import Problem, Result, parse_problem, solve
from tests.core_builders import two_towns


@pytest.fixture(scope="module")
def base_problem() -> Problem:
    return parse_problem(generate_problem(150, 30, seed=11))


@pytest.fixture(scope="module")
def base_result(base_problem: Problem) -> Result:
    return solve(base_problem)


def fully_filled(problem: Problem, result: Result) -> set[str]:
    """Positions whose every opening is taken, computed from the problem's openings and the assignments."""
    taken = Counter(a.position for a in result.assignments)
    return {p.id for p in problem.positions if taken[p.id] >= p.openings}


@st.composite
def changes(draw: st.DrawFn, problem: Problem, result: Result) -> list[dict[str, Any]]:
    budgeted = sorted(m.id for m in problem.municipalities if m.budget_yen is not None)
    chosen = sorted(result.pair_set())
    recruiting = sorted({p.municipality for p in problem.positions})
    closing = draw(st.sampled_from(recruiting))
    opening = draw(st.sampled_from([m for m in recruiting if m != closing]))
    options = [  # removals last, so that no change names what an earlier one removed
        {"municipality": draw(st.sampled_from(budgeted)), "set": {"budget_yen": draw(st.sampled_from(["*0.5", "*2"]))}},
        {"partner": "*", "set": {"hours_per_week": draw(st.sampled_from(["+4", "*0.5"]))}},
        {"weights": {"commute": draw(st.sampled_from([0.0, 2.0])), "cost": draw(st.sampled_from([0.0, 1.0]))}},
        {"forbid": [dict(zip(("partner", "position"), draw(st.sampled_from(chosen)), strict=True))]},
        {"position": "*", "set": {"onsite_days_per_week": 0}},
        {
            "add": {
                "positions": [
                    {"id": "new-role", "municipality": opening, "title": "New role",
                     "hours_per_week": 4, "openings": draw(st.integers(1, 3))}
                ]
            }
        },
        {"remove": {"partners": [draw(st.sampled_from(sorted(p.id for p in problem.partners)))]}},
        {"remove": {"positions": [draw(st.sampled_from(sorted(p.id for p in problem.positions)))]}},
        {"remove": {"municipalities": [closing]}},
    ]  # fmt: skip
    picks = draw(st.lists(st.integers(0, len(options) - 1), min_size=1, max_size=3, unique=True))
    return [options[k] for k in sorted(picks)]


def test_a_result_compared_with_itself_is_unchanged(base_result: Result) -> None:
    diff = compare_results(base_result, base_result)
    assert diff.unchanged and diff.optimal and diff.base_optimal
    assert VariantDiff.model_validate_json(diff.model_dump_json()) == diff


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_diff_agrees_with_both_results(base_problem: Problem, base_result: Result, data: st.DataObject) -> None:
    variant = Variant.model_validate({"name": "v", "changes": data.draw(changes(base_problem, base_result))})
    problem = build_variant(base_problem, variant).problem
    result = solve(problem, hint=sorted(base_result.pair_set()))
    diff = compare_results(base_result, result)

    base_pairs = {(a.partner, a.position): a.score for a in base_result.assignments}
    variant_pairs = {(a.partner, a.position): a.score for a in result.assignments}
    assert {(p.partner, p.position): p.score for p in diff.pairs_added} == {
        k: s for k, s in variant_pairs.items() if k not in base_pairs
    }
    assert {(p.partner, p.position): p.score for p in diff.pairs_removed} == {
        k: s for k, s in base_pairs.items() if k not in variant_pairs
    }
    assert diff.objective.change == pytest.approx(result.objective - base_result.objective, abs=1e-9)
    assert diff.filled_openings.variant == sum(m.filled for m in result.municipalities) == len(result.assignments)
    assert diff.filled_openings.change == len(result.assignments) - len(base_result.assignments)

    before = {m.id: m for m in base_result.municipalities}
    after = {m.id: m for m in result.municipalities}
    listed = {m.id: m for m in diff.spend}
    for mid in before.keys() | after.keys():
        b, v = before.get(mid), after.get(mid)
        if mid in listed:
            entry = listed[mid]
            assert entry.base == (b.spent_yen if b else None) and entry.variant == (v.spent_yen if v else None)
            assert entry.budget_base == (b.budget_yen if b else None)
            assert entry.budget_variant == (v.budget_yen if v else None)
        else:
            assert b is not None and v is not None
            assert (b.budget_yen, b.filled) == (v.budget_yen, v.filled)
            assert abs(b.spent_yen - v.spent_yen) <= 0.5
    assert sum(m.change for m in diff.spend) == pytest.approx(diff.total_spend.change, abs=0.5 * len(before))

    full_before, full_after = fully_filled(base_problem, base_result), fully_filled(problem, result)
    assert {p.position for p in diff.became_filled} == full_after - full_before
    existing = {p.id for p in problem.positions}
    assert {p.position for p in diff.became_unfilled} == (full_before & existing) - full_after


def test_served_municipalities_stand_beside_the_objective() -> None:
    """Equity 0 vs 1.5 as a one-line what-if: the diff counts the municipalities served on both sides."""
    plain = two_towns(0.0)
    plain["positions"][0]["openings"] = 2
    plain["partners"].append({**plain["partners"][0], "id": "q", "name": "Q"})
    fair = {**plain, "weights": {"equity": 1.5}}
    diff = compare_results(solve(plain), solve(fair))
    assert diff.served_municipalities is not None and diff.score_total is not None
    assert (diff.served_municipalities.base, diff.served_municipalities.variant) == (1, 2)
    assert diff.score_total.change < 0 < diff.objective.change
    assert diff.objective.change == pytest.approx(diff.score_total.change + 2 * 1.5)


def test_results_stored_before_equity_compare_without_the_served_count(base_result: Result) -> None:
    old = base_result.model_copy(update={"served_municipalities": None, "score_total": None})
    diff = compare_results(old, base_result)
    assert diff.served_municipalities is None and diff.score_total is None
