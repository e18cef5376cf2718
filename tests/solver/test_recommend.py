"""recommend(): the k pairs whose locking keeps the optimum highest, with what each displaces."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enmusubi.solver import InputError, UnknownIdError, parse_problem, solve
from enmusubi.solver.explain import explain
from enmusubi.solver.recommend import recommend
from tests.core_builders import engine_scores, example, municipality, pair_refs, partner, position, problem


def locked_optimum(problem_dict: dict, partner_id: str, position_id: str) -> float:
    """The optimum of the problem with one more lock, by the engine's own solve."""
    locked = copy.deepcopy(problem_dict)
    locked["locks"] = [*locked.get("locks", []), *pair_refs((partner_id, position_id))]
    result = solve(locked)
    assert result.status == "optimal"
    return result.objective


def test_example_partners_for_a_position_best_first():
    found = recommend(parse_problem(example()), position="tama-tool-training", k=5)
    assert found.position == "tama-tool-training" and found.partner is None
    assert found.base_objective == pytest.approx(7.369305, abs=1e-6)
    assert [c.partner for c in found.candidates] == ["p-trainer", "p-remote", "p-pm"]
    assert all(c.position is None for c in found.candidates)
    # Both holders of the two openings are in the optimum: nothing changes, nothing is displaced.
    assert [c.objective_change for c in found.candidates[:2]] == [0.0, 0.0]
    assert [c.displaces for c in found.candidates[:2]] == [[], []]
    third = found.candidates[2]
    assert third.score == pytest.approx(0.88, abs=1e-6)
    assert third.objective_change == pytest.approx(0.88 - 1.128889, abs=1e-6)
    assert [(d.partner, d.position, d.municipality) for d in third.displaces] == [
        ("p-remote", "tama-tool-training", "13224")
    ]
    assert third.displaces[0].score == pytest.approx(1.128889, abs=1e-6)
    assert sum(third.breakdown.values()) == pytest.approx(third.score, abs=1e-12)


def test_k_cuts_the_list():
    found = recommend(parse_problem(example()), position="tama-tool-training", k=1)
    assert [c.partner for c in found.candidates] == ["p-trainer"]


def test_reverse_query_positions_for_a_partner():
    found = recommend(parse_problem(example()), partner="p-pm", k=5)
    assert found.partner == "p-pm" and found.position is None
    assert [c.position for c in found.candidates] == ["taito-pm", "tama-tool-training"]
    assert all(c.partner is None for c in found.candidates)
    assert found.candidates[0].objective_change == 0.0
    assert found.candidates[1].objective_change == pytest.approx(-0.248889, abs=1e-6)


def test_ranking_is_by_the_locked_optimum_not_by_the_pair_score():
    """p-star scores best at A, but placing it there costs B its only partner; p-plain costs nothing."""
    data = problem(
        [
            position("A", openings=3, preferred_skills={"x": 1.0}),
            position("B", required_skills={"x": 5}, priority=3.0),
            position("C"),
        ],
        [
            partner("p-star", skills={"x": 5}, max_assignments=1),
            partner("p-plain", skills={"x": 1}),
            partner("p-other", skills={"x": 1}),
        ],
    )
    scores = engine_scores(data)
    assert scores[("p-star", "A")] > scores[("p-plain", "A")]
    found = recommend(parse_problem(data), position="A", k=3)
    assert [c.partner for c in found.candidates] == ["p-other", "p-plain", "p-star"]
    star = found.candidates[2]
    assert star.objective_change == pytest.approx(scores[("p-star", "A")] - scores[("p-star", "B")])
    assert [(d.partner, d.position) for d in star.displaces] == [("p-star", "B")]
    for candidate in found.candidates:
        expected = locked_optimum(data, str(candidate.partner), "A") - found.base_objective
        assert candidate.objective_change == pytest.approx(expected, abs=1e-9)


def test_ties_go_to_the_higher_score_then_the_id():
    data = problem(
        [position("A", openings=3, preferred_skills={"x": 1.0})],
        [partner("b"), partner("a"), partner("c", skills={"x": 5})],
    )
    found = recommend(parse_problem(data), position="A", k=3)
    assert [c.partner for c in found.candidates] == ["c", "a", "b"]


def test_a_negative_pair_is_recommended_with_its_negative_change():
    data = problem([position("A")], [partner("p1")], [municipality("m1", budget_yen=100_000)], weights={"cost": 5.0})
    found = recommend(parse_problem(data), position="A")
    assert len(found.candidates) == 1
    assert found.candidates[0].score < 0
    assert found.candidates[0].objective_change == pytest.approx(found.candidates[0].score)
    assert found.base_objective == 0.0


def test_pairs_that_cannot_hold_with_the_locks_are_skipped_with_a_note():
    data = problem([position("A")], [partner("p1"), partner("p2")], locks=pair_refs(("p1", "A")))
    found = recommend(parse_problem(data), position="A", k=5)
    assert [c.partner for c in found.candidates] == ["p1"]
    assert "p2 -> A cannot be placed" in found.note and "openings" in found.note


def test_no_eligible_pair_gives_an_empty_list():
    data = problem([position("A", required_skills={"x": 3})], [partner("p1")])
    found = recommend(parse_problem(data), position="A")
    assert found.candidates == [] and found.note == ""


def test_uses_a_given_result():
    data = parse_problem(example())
    result = solve(data)
    found = recommend(data, partner="p-pm", result=result)
    assert found.base_objective == pytest.approx(result.objective, abs=1e-12)


@pytest.mark.parametrize(("options", "kind"), [({"position": "nope"}, "position"), ({"partner": "nobody"}, "partner")])
def test_unknown_ids(options, kind):
    with pytest.raises(UnknownIdError) as error:
        recommend(parse_problem(example()), **options)
    assert error.value.kind == kind


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({}, "position"),
        ({"position": "taito-pm", "partner": "p-pm"}, "position"),
        ({"position": "taito-pm", "k": 0}, "k"),
        ({"position": "taito-pm", "k": 101}, "k"),
        ({"position": "taito-pm", "k": True}, "k"),
        ({"position": "taito-pm", "time_limit_seconds": float("nan")}, "time_limit_seconds"),
    ],
)
def test_bad_arguments_name_the_field(options, path):
    with pytest.raises(InputError) as error:
        recommend(parse_problem(example()), **options)
    assert error.value.issues[0].path == path


# ------------------------------------------------------------------------------------------------- properties

SKILLS = ("a", "b")


@st.composite
def small_problems(draw: st.DrawFn) -> dict:
    """3-6 partners competing for 1-4 positions in 1-2 municipalities, budgets often binding."""
    n_munis = draw(st.integers(1, 2))
    munis = [
        municipality(f"m{k}", budget_yen=draw(st.sampled_from([None, 60_000, 100_000, 150_000])))
        for k in range(n_munis)
    ]
    positions = [
        position(
            f"j{k}",
            municipality=f"m{draw(st.integers(0, n_munis - 1))}",
            required_skills={s: draw(st.integers(1, 2)) for s in draw(st.sets(st.sampled_from(SKILLS), max_size=1))},
            hours_per_week=draw(st.sampled_from([2, 4, 6])),
            openings=draw(st.sampled_from([1, 1, 2])),
            priority=draw(st.sampled_from([0.5, 1.0, 2.0])),
        )
        for k in range(draw(st.integers(1, 4)))
    ]
    partners = [
        partner(
            f"p{k}",
            skills={s: draw(st.integers(1, 4)) for s in SKILLS},
            hours_per_week=draw(st.sampled_from([4, 6, 10])),
            hourly_rate_yen=draw(st.sampled_from([2000, 4000, 6000])),
            max_assignments=draw(st.integers(1, 2)),
        )
        for k in range(draw(st.integers(3, 6)))
    ]
    return problem(positions, partners, munis, weights={"cost": draw(st.sampled_from([0.5, 3.0]))})


@settings(max_examples=30, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem_dict=small_problems(), data=st.data())
def test_objective_change_is_the_locked_optimum_minus_the_optimum(problem_dict, data):
    parsed = parse_problem(problem_dict)
    base = solve(problem_dict).objective
    scores = engine_scores(problem_dict)
    by_position = data.draw(st.booleans())
    k = data.draw(st.integers(2, 4))
    if by_position:
        target = data.draw(st.sampled_from([p["id"] for p in problem_dict["positions"]]))
        found = recommend(parsed, position=target, k=k)
        pairs = [(str(c.partner), target) for c in found.candidates]
        pool = [pair for pair in scores if pair[1] == target]
    else:
        target = data.draw(st.sampled_from([p["id"] for p in problem_dict["partners"]]))
        found = recommend(parsed, partner=target, k=k)
        pairs = [(target, str(c.position)) for c in found.candidates]
        pool = [pair for pair in scores if pair[0] == target]
    assert found.base_objective == pytest.approx(base, abs=1e-6)
    changes = {pair: locked_optimum(problem_dict, *pair) - base for pair in pool}
    assert len(found.candidates) == min(k, len(pool))
    for pair, candidate in zip(pairs, found.candidates, strict=True):
        assert candidate.objective_change == pytest.approx(changes[pair], abs=1e-6)
        assert candidate.objective_change <= 1e-6
        assert candidate.score == scores[pair]
    # The k returned are the k best of all eligible pairs, best first.
    returned = [candidate.objective_change for candidate in found.candidates]
    assert returned == sorted(returned, reverse=True) or max(returned) - min(returned) < 1e-6
    best_left_out = max((changes[pair] for pair in pool if pair not in pairs), default=-float("inf"))
    assert all(change >= best_left_out - 1e-6 for change in returned)
    for pair in pool:
        assert explain(parsed, *pair).score == scores[pair]
