"""Equity across municipalities (PROBLEM.md §9): the optimum against the independent reference MIP,
and the hand-made cases where the reward changes the answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import find, given, note, settings
from hypothesis import strategies as st

from enmusubi.solver import parse_problem, solve
from enmusubi.solver.data import compile_problem
from enmusubi.solver.model import build_model
from enmusubi.solver.recommend import recommend
from enmusubi.solver.scoring import score_candidates
from tests import reference as ref
from tests.core_builders import (
    busy_partners,
    chosen,
    example,
    municipality,
    pair_refs,
    partner,
    position,
    problem,
    two_towns,
)
from tests.solver.test_properties import PROPERTY_SETTINGS, add_locks

Problem = dict[str, Any]
TOLERANCE = 1e-6

EQUITY_SETTINGS = settings(PROPERTY_SETTINGS, max_examples=60)


@st.composite
def scarce_problems(draw: st.DrawFn) -> Problem:
    """Few partners, more positions than they can take, tight budgets and a cost weight that can push
    scores below 0: the cases where rewarding served municipalities changes the optimum."""
    muni_ids = [f"m{k}" for k in range(draw(st.integers(2, 5)))]
    municipalities = [
        municipality(m, budget_yen=draw(st.sampled_from([None, 40_000, 80_000, 120_000, 200_000]))) for m in muni_ids
    ]
    positions = [
        position(
            f"j{k}",
            municipality=draw(st.sampled_from(muni_ids)),
            hours_per_week=draw(st.sampled_from([2, 4, 5, 8])),
            openings=draw(st.integers(1, 2)),
            required_skills=draw(st.dictionaries(st.sampled_from(["pm", "design"]), st.integers(1, 3), max_size=1)),
            priority=draw(st.sampled_from([0.5, 1.0, 2.0])),
        )
        for k in range(draw(st.integers(2, 8)))
    ]
    partners = [
        partner(
            f"p{i}",
            skills=draw(st.dictionaries(st.sampled_from(["pm", "design"]), st.integers(0, 4), min_size=1)),
            hours_per_week=draw(st.sampled_from([4, 8, 10, 16])),
            hourly_rate_yen=draw(st.sampled_from([1000, 2500, 4000, 6000])),
            max_assignments=draw(st.integers(1, 3)),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    weights = {
        "equity": draw(st.sampled_from([0.3, 1.0, 1.5, 4.0])),
        "cost": draw(st.sampled_from([0.5, 3.0, 8.0])),
        "fill": draw(st.sampled_from([0.0, 0.5, 1.0])),
    }
    built = problem(positions, partners, municipalities, weights=weights)
    add_locks(draw, built)
    note(f"problem file: {json.dumps(built)}")
    return built


def served_count(problem_dict: Problem, pairs: list[tuple[str, str]]) -> int:
    return len(ref.served(problem_dict, pairs))


@pytest.fixture(scope="module", autouse=True)
def engine_runs_highs_first() -> None:
    """See test_properties.engine_runs_highs_first: the engine must run HiGHS before the reference does."""
    assert solve(busy_partners()).stats.components_by_engine >= 1


@EQUITY_SETTINGS
@given(scarce_problems())
def test_equity_optimum_equals_the_reference_mip(problem_dict: Problem) -> None:
    optimum, _ = ref.mip_optimum(problem_dict)
    for engine in ("highs", "cpsat"):
        result = solve(problem_dict, engine=engine)
        pairs = sorted(chosen(result))
        assert result.status == "optimal", engine
        assert ref.check_allocation(problem_dict, pairs) == [], engine
        assert abs(result.objective - optimum) <= TOLERANCE, engine
        assert abs(ref.objective(problem_dict, pairs) - result.objective) <= TOLERANCE, engine
        equity = problem_dict["weights"]["equity"]
        assert result.served_municipalities == served_count(problem_dict, pairs)
        assert abs(result.score_total + equity * result.served_municipalities - result.objective) <= 1e-9
        with_positions = {j["municipality"] for j in problem_dict["positions"]}
        assert result.municipalities_with_positions == len(with_positions)
        assert {u.municipality for u in result.unserved} == with_positions - ref.served(problem_dict, pairs)


def test_the_strategy_reaches_problems_where_equity_changes_the_answer() -> None:
    """Not vacuous: some drawn problem serves more municipalities at its equity optimum than without equity."""

    def changes(problem_dict: Problem) -> bool:
        without = {**problem_dict, "weights": {**problem_dict["weights"], "equity": 0.0}}
        _, plain = ref.mip_optimum(without)
        _, fair = ref.mip_optimum(problem_dict)
        return served_count(problem_dict, fair) > served_count(problem_dict, plain)

    found = find(
        scarce_problems(), changes, settings=settings(derandomize=True, max_examples=500, database=None, deadline=None)
    )
    assert changes(found)


def test_equity_zero_changes_nothing() -> None:
    plain = solve(example())
    explicit = example()
    explicit["weights"] = {"equity": 0.0}
    same = solve(explicit)
    assert chosen(same) == chosen(plain)
    assert same.objective == plain.objective == same.score_total
    assert same.stats.variables == plain.stats.variables and same.stats.components == plain.stats.components


def test_equity_moves_a_placement_to_an_unserved_town() -> None:
    # Both municipalities already served is impossible (one placement); equity cannot change this one.
    assert chosen(solve(two_towns(0.0))) == {("p", "ward-job")}
    assert chosen(solve(two_towns(5.0))) == {("p", "ward-job")}
    # Serve the ward by someone else: the town's reward now decides where p goes.
    fair = two_towns(1.0)
    fair["positions"][0]["openings"] = 2
    fair["partners"].append(partner("q", skills={"pm": 5}, max_assignments=1, hourly_rate_yen=1000))
    plain = {**fair, "weights": {"equity": 0.0}}
    assert chosen(solve(plain)) == {("p", "ward-job"), ("q", "ward-job")}
    result = solve(fair)
    assert len(chosen(result)) == 2 and {j for _, j in chosen(result)} == {"ward-job", "town-job"}
    assert result.served_municipalities == 2
    assert result.objective == pytest.approx(result.score_total + 2 * 1.0)


def test_a_negative_pair_is_chosen_when_it_alone_serves_its_municipality() -> None:
    # ¥1000 x 4 h x 4 weeks = ¥16,000 of a ¥20,000 budget: with cost weight 3 the town's pair scores below 0.
    plain = two_towns(0.0, cost_weight=3.0)
    plain["partners"][0]["max_assignments"] = 2
    data = compile_problem(parse_problem(plain))
    cands = score_candidates(data)
    town = data.position_index["town-job"]
    assert float(cands.score[cands.position == town][0]) < 0
    assert chosen(solve(plain)) == {("p", "ward-job")}
    assert build_model(data, cands).n_variables == 1
    fair = {**plain, "weights": {"equity": 2.0, "cost": 3.0}}
    result = solve(fair)
    assert chosen(result) == {("p", "ward-job"), ("p", "town-job")}
    assert result.score_total < solve(plain).score_total


def test_components_keep_a_municipality_together_when_equity_counts() -> None:
    # Two partners for two positions of one municipality: without equity nothing couples them.
    plain = problem(
        [position("a", openings=1), position("b", openings=1)],
        [partner("p", max_assignments=1), partner("q", max_assignments=1)],
    )
    plain["forbidden"] = [{"partner": "p", "position": "b"}, {"partner": "q", "position": "a"}]

    def components(problem_dict: Problem) -> int:
        data = compile_problem(parse_problem(problem_dict))
        return len(build_model(data, score_candidates(data)).components)

    assert components(plain) == 2
    assert components({**plain, "weights": {"equity": 1.0}}) == 1


def test_unserved_municipalities_say_why() -> None:
    positions = [
        position("island-job", municipality="island", required_skills={"diving": 3}),
        position("poor-job", municipality="poor", hours_per_week=8),
        position("busy-job", municipality="busy"),
        position("ward-job", municipality="ward"),
    ]
    partners = [partner("p", max_assignments=1, preferred_municipalities=["ward"], excluded_municipalities=["poor"])]
    partners.append(partner("r", hourly_rate_yen=9000, preferred_municipalities=["ward"]))
    munis = [
        municipality("island"),
        municipality("poor", budget_yen=100_000),
        municipality("busy"),
        municipality("ward"),
        municipality("empty"),
    ]
    built = problem(positions, partners, munis, forbidden=pair_refs(("r", "busy-job"), ("r", "ward-job")))
    result = solve(built)
    reasons = {u.municipality: u.reason for u in result.unserved}
    assert reasons == {"island": "no_eligible_partner", "poor": "budget", "busy": "placed_elsewhere"}
    assert result.municipalities_with_positions == 4 and result.served_municipalities == 1
    detail = {u.municipality: u.detail for u in result.unserved}
    assert "weekly hours" in detail["busy"] or "maximum placements" in detail["busy"]


@settings(EQUITY_SETTINGS, max_examples=25)
@given(scarce_problems())
def test_recommend_prices_a_lock_with_the_equity_term(problem_dict: Problem) -> None:
    """What locking a pair changes (recommend, through lock_search's one-of MIP) equals the reference's
    optimum with that lock minus its optimum without, equity included."""
    position_id = problem_dict["positions"][0]["id"]
    found = recommend(parse_problem(problem_dict), position=position_id, k=3)
    base, _ = ref.mip_optimum(problem_dict)
    assert found.base_objective == pytest.approx(base, abs=TOLERANCE)
    for candidate in found.candidates:
        locks = [*problem_dict.get("locks", []), *pair_refs((candidate.partner, position_id))]
        locked = {**problem_dict, "locks": locks}
        with_lock, _ = ref.mip_optimum(locked)
        assert candidate.objective_change == pytest.approx(with_lock - base, abs=TOLERANCE), candidate.partner
