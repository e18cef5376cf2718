"""Aggregate rule `lock`: locked pairs are in the result; locks that cannot be honoured are input errors."""

from __future__ import annotations

import pytest

from enmusubi.solver import InputError, solve
from tests import reference as ref
from tests.core_builders import engine_scores, example, municipality, pair_refs, partner, position, problem


def two_candidates(**fields: object) -> dict:
    """Partner `good` outscores `weak` (skill 5 against 1) for the single opening."""
    return problem(
        [position("j", required_skills={"ux": 1})],
        [partner("good", skills={"ux": 5}), partner("weak", skills={"ux": 1})],
        **fields,
    )


def lock_error(case: dict) -> InputError:
    with pytest.raises(InputError) as caught:
        solve(case)
    return caught.value


def test_without_a_lock_the_better_pair_wins() -> None:
    result = solve(two_candidates())
    assert result.pair_set() == {("good", "j")}
    assert not result.assignments[0].locked


def test_a_lock_forces_a_lower_scoring_pair() -> None:
    case = two_candidates(locks=pair_refs(("weak", "j")))
    scores = engine_scores(case)
    assert scores[("weak", "j")] < scores[("good", "j")]
    result = solve(case)
    assert result.status == "optimal"
    assert result.pair_set() == {("weak", "j")}
    assert result.assignments[0].locked
    assert result.objective == pytest.approx(scores[("weak", "j")], abs=1e-12)


def test_a_lock_with_a_negative_score_is_still_chosen() -> None:
    """Weights make every score -0.5 (cost penalty only): nothing is worth choosing but the lock."""
    case = problem(
        [position("j1"), position("j2")],
        [partner("a"), partner("b")],
        municipalities=[municipality(budget_yen=80_000)],
        weights={"fill": 0, "skill": 0},
        locks=pair_refs(("b", "j2")),
    )
    result = solve(case)
    assert result.pair_set() == {("b", "j2")}
    assert result.objective == pytest.approx(-0.5, abs=1e-12)


def test_an_ineligible_lock_names_the_lock_and_the_rule() -> None:
    case = example()
    case["locks"] = pair_refs(("p-designer", "taito-pm"), ("p-remote", "akishima-creator"))
    error = lock_error(case)
    assert [i.path for i in error.issues] == ["locks[0]", "locks[1]"]
    assert "rule skill" in error.issues[1].message
    assert "graphic_design 2 < 3" in error.issues[1].message


def test_an_ineligible_lock_by_another_rule() -> None:
    case = two_candidates(locks=pair_refs(("weak", "j")))
    case["partners"][1]["hours_per_week"] = 1
    error = lock_error(case)
    assert [i.path for i in error.issues] == ["locks[0]"]
    assert "rule hours" in error.issues[0].message


def test_a_forbidden_lock_is_an_input_error() -> None:
    case = two_candidates(locks=pair_refs(("weak", "j")), forbidden=pair_refs(("weak", "j")))
    assert [i.path for i in lock_error(case).issues] == ["locks[0]"]


def assert_names_locks(error: InputError, rule: str, *pairs: tuple[str, str]) -> None:
    (issue,) = error.issues
    assert issue.path.startswith("locks")
    assert f"rule {rule}" in issue.message
    for partner_id, position_id in pairs:
        assert f"{partner_id} -> {position_id}" in issue.message


def test_two_locks_over_a_partners_hours() -> None:
    case = problem(
        [position("j1", hours_per_week=6), position("j2", hours_per_week=6)],
        [partner("p", hours_per_week=10)],
        locks=pair_refs(("p", "j1"), ("p", "j2")),
    )
    assert_names_locks(lock_error(case), "hours", ("p", "j1"), ("p", "j2"))


def test_two_locks_over_the_openings() -> None:
    case = problem([position("j")], [partner("a"), partner("b")], locks=pair_refs(("a", "j"), ("b", "j")))
    assert_names_locks(lock_error(case), "openings", ("a", "j"), ("b", "j"))


def test_two_locks_over_the_budget() -> None:
    case = problem(
        [position("j1"), position("j2")],
        [partner("a"), partner("b")],
        municipalities=[municipality(budget_yen=150_000)],
        locks=pair_refs(("a", "j1"), ("b", "j2")),
    )
    assert_names_locks(lock_error(case), "budget", ("a", "j1"), ("b", "j2"))


def test_two_locks_over_the_count() -> None:
    case = problem(
        [position("j1"), position("j2")], [partner("p", max_assignments=1)], locks=pair_refs(("p", "j1"), ("p", "j2"))
    )
    assert_names_locks(lock_error(case), "count", ("p", "j1"), ("p", "j2"))


def test_locks_that_fit_together_are_all_kept() -> None:
    case = problem(
        [position("j1", hours_per_week=5), position("j2", hours_per_week=5, openings=2)],
        [partner("p", hours_per_week=10), partner("q")],
        municipalities=[municipality(budget_yen=300_000)],  # three placements of ¥100,000
        locks=pair_refs(("p", "j1"), ("p", "j2"), ("q", "j2")),
    )
    result = solve(case)
    assert result.pair_set() == {("p", "j1"), ("p", "j2"), ("q", "j2")}
    assert all(a.locked for a in result.assignments)
    assert ref.check_allocation(case, sorted(result.pair_set())) == []
