"""explain(): every rule with its values, the score's terms, and why a pair is left out."""

from __future__ import annotations

import pytest

from enmusubi.solver import InputError, UnknownIdError, parse_problem, solve
from enmusubi.solver.explain import explain
from tests.core_builders import example, municipality, pair_refs, partner, position, problem

RULE_ORDER = ["skill", "onsite", "commute", "rate", "excluded", "hours", "budget"]


def rule(found, name: str):
    return next(r for r in found.rules if r.name == name)


def test_example_ineligible_pair_names_every_rule_with_values():
    found = explain(parse_problem(example()), "p-remote", "akishima-creator")
    assert [r.name for r in found.rules] == RULE_ORDER
    assert not found.eligible and found.score is None and not found.in_optimal
    assert found.reason == "ineligible: rule skill: graphic_design 2 < 3"
    assert rule(found, "skill").detail == "graphic_design 2 < 3"
    # Every rule is evaluated, not only the first failing one.
    assert [r.passed for r in found.rules] == [False, False, False, True, True, False, True]
    assert "12 h/week > partner's 8 h/week" in rule(found, "hours").detail
    assert found.objective_change is None and found.displaces == []


def test_breakdown_of_an_ineligible_pair_is_computed_as_if_eligible():
    found = explain(parse_problem(example()), "p-remote", "akishima-creator")
    assert set(found.breakdown) == {"fill", "skill", "preference", "commute", "cost", "incumbent"}
    assert found.breakdown["fill"] == pytest.approx(1.0)
    assert found.breakdown["commute"] < -1.0  # an island partner on an on-site position


@pytest.mark.parametrize(
    ("partner_id", "position_id", "score"),
    [
        ("p-designer", "akishima-creator", 1.684555),
        ("p-trainer", "tama-tool-training", 1.895556),
        ("p-pm", "taito-pm", 2.660306),
        ("p-remote", "tama-tool-training", 1.128889),
    ],
)
def test_pairs_in_the_example_optimum(partner_id, position_id, score):
    found = explain(parse_problem(example()), partner_id, position_id)
    assert found.eligible and found.in_optimal and found.reason == ""
    assert all(r.passed for r in found.rules)
    assert found.score == pytest.approx(score, abs=1e-6)
    assert sum(found.breakdown.values()) == pytest.approx(found.score, abs=1e-12)
    assert found.objective_change == 0.0 and found.displaces == []


def test_outscored_because_the_openings_are_full_names_who_took_them():
    found = explain(parse_problem(example()), "p-pm", "tama-tool-training")
    assert found.eligible and not found.in_optimal
    assert found.score == pytest.approx(0.88, abs=1e-6)
    assert found.reason.startswith("openings: all 2 opening(s) of tama-tool-training are taken by")
    assert "p-trainer (score 1.895556)" in found.reason and "p-remote (score 1.128889)" in found.reason
    # Forcing p-pm in pushes out the weaker holder: 0.88 - 1.128889.
    assert found.objective_change == pytest.approx(0.88 - 1.128889, abs=1e-6)
    assert [(d.partner, d.position, d.municipality) for d in found.displaces] == [
        ("p-remote", "tama-tool-training", "13224")
    ]


def budget_problem() -> dict:
    """p1 fits both positions, p2 only B; the budget of m1 pays for one of them (¥80,000 each of ¥100,000)."""
    return problem(
        [position("A", required_skills={"x": 1}, priority=2.0), position("B")],
        [partner("p1", skills={"x": 3}), partner("p2")],
        [municipality("m1", budget_yen=100_000)],
    )


def test_blocked_by_the_budget():
    found = explain(parse_problem(budget_problem()), "p2", "B")
    assert found.eligible and not found.in_optimal
    assert "budget: m1 has ¥20,000 left of ¥100,000, the pair costs ¥80,000" in found.reason
    assert found.objective_change == pytest.approx(1.6 - 2.8)  # A scores 2 x (1 + 3/5) - 0.4
    assert [(d.partner, d.position) for d in found.displaces] == [("p1", "A")]


def test_blocked_by_the_partners_hours():
    data = problem(
        [position("A", hours_per_week=8, priority=2.0), position("B", hours_per_week=8)],
        [partner("p1", hours_per_week=10)],
    )
    found = explain(parse_problem(data), "p1", "B")
    assert found.reason.startswith("hours: p1 has 8 of 10 h/week taken by A (8 h, score 4.000000); B needs 8")
    assert found.objective_change == pytest.approx(2.0 - 4.0)
    assert [(d.partner, d.position) for d in found.displaces] == [("p1", "A")]


def test_blocked_by_the_partners_maximum_placements():
    data = problem(
        [position("A", hours_per_week=2, priority=2.0), position("B", hours_per_week=2)],
        [partner("p1", max_assignments=1)],
    )
    found = explain(parse_problem(data), "p1", "B")
    assert found.reason.startswith("count: p1 already holds 1 placement(s), their maximum of 1 (A")
    assert "hours:" not in found.reason


def test_a_pair_scoring_below_zero_is_never_worth_choosing():
    data = problem([position("A")], [partner("p1")], [municipality("m1", budget_yen=100_000)], weights={"cost": 5.0})
    found = explain(parse_problem(data), "p1", "A")
    assert found.eligible and found.score < 0 and not found.in_optimal
    assert found.reason.startswith("never worth choosing")
    assert found.objective_change == pytest.approx(found.score)


def test_a_pair_that_cannot_be_locked_with_the_problems_locks():
    data = problem([position("A")], [partner("p1"), partner("p2")], locks=pair_refs(("p1", "A")))
    found = explain(parse_problem(data), "p2", "A")
    assert "cannot be locked together with the problem's locks" in found.reason
    assert found.objective_change is None


@pytest.mark.parametrize(
    ("name", "problem_dict", "detail"),
    [
        (
            "skill",
            problem([position("J", required_skills={"security": 4})], [partner("p", skills={"security": 2})]),
            "security 2 < 4",
        ),
        (
            "onsite",
            problem([position("J", onsite_days_per_week=3)], [partner("p", max_onsite_days_per_week=1)]),
            "3 on-site day(s) a week > partner's maximum 1",
        ),
        (
            "commute",
            problem(
                [position("J", onsite_days_per_week=1)],
                [partner("p", max_commute_minutes=30)],
                commute_minutes=[{"partner": "p", "municipality": "m1", "minutes": 45}],
            ),
            "commute 45.0 min (measured) > partner's limit 30 min",
        ),
        (
            "rate",
            problem([position("J", max_hourly_rate_yen=4000)], [partner("p", hourly_rate_yen=5000)]),
            "hourly rate ¥5,000 > position's maximum ¥4,000",
        ),
        (
            "excluded",
            problem([position("J")], [partner("p", excluded_municipalities=["m1"])]),
            "excludes municipality m1",
        ),
        ("excluded", problem([position("J")], [partner("p")], forbidden=pair_refs(("p", "J"))), "forbidden"),
        (
            "hours",
            problem([position("J", hours_per_week=12)], [partner("p", hours_per_week=10)]),
            "12 h/week > partner's 10",
        ),
        (
            "budget",
            problem([position("J")], [partner("p")], [municipality("m1", budget_yen=50_000)]),
            "cost ¥80,000 for the period > budget ¥50,000",
        ),
    ],
)
def test_each_failing_rule_is_named_with_its_values(name, problem_dict, detail):
    found = explain(parse_problem(problem_dict), "p", "J")
    assert not found.eligible and found.score is None
    failing = [r.name for r in found.rules if not r.passed]
    assert failing == [name]
    assert detail in rule(found, name).detail
    assert found.reason.startswith(f"ineligible: rule {name}: ")
    assert detail in found.reason


def test_uses_a_given_result_instead_of_solving():
    data = parse_problem(example())
    result = solve(data)
    assert explain(data, "p-pm", "tama-tool-training", result=result).in_optimal is False


def test_rejects_a_result_of_another_problem():
    other = solve(parse_problem(budget_problem()))
    with pytest.raises(InputError) as error:
        explain(parse_problem(example()), "p-pm", "taito-pm", result=other)
    assert error.value.issues[0].path == "result"


@pytest.mark.parametrize(
    ("partner_id", "position_id", "kind"), [("nobody", "taito-pm", "partner"), ("p-pm", "x", "position")]
)
def test_unknown_ids(partner_id, position_id, kind):
    with pytest.raises(UnknownIdError) as error:
        explain(parse_problem(example()), partner_id, position_id)
    assert error.value.kind == kind


def test_rejects_a_negative_time_limit():
    with pytest.raises(InputError) as error:
        explain(parse_problem(example()), "p-pm", "taito-pm", time_limit_seconds=-1)
    assert error.value.issues[0].path == "time_limit_seconds"
