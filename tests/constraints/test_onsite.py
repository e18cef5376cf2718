"""Rule 2, `onsite`: the position's on-site days may not exceed the partner's maximum."""

from __future__ import annotations

from enmusubi.solver import solve
from tests.core_builders import engine_scores, failing_rule, partner, position, problem


def tiny(onsite: int, maximum: int) -> dict:
    return problem([position("j", onsite_days_per_week=onsite)], [partner("p", max_onsite_days_per_week=maximum)])


def test_more_days_than_the_partner_accepts_fails() -> None:
    case = tiny(onsite=3, maximum=2)
    assert failing_rule(case, "p", "j") == ("onsite", "3 on-site day(s) a week > partner's maximum 2")
    assert engine_scores(case) == {}
    assert solve(case).assignments == []


def test_equal_days_pass() -> None:
    case = tiny(onsite=2, maximum=2)
    assert failing_rule(case, "p", "j")[0] is None
    assert solve(case).pair_set() == {("p", "j")}


def test_remote_positions_suit_partners_who_never_come_in() -> None:
    assert failing_rule(tiny(onsite=0, maximum=0), "p", "j")[0] is None


def test_default_maximum_is_five_days() -> None:
    case = problem([position("j", onsite_days_per_week=5)], [partner("p")])
    assert set(engine_scores(case)) == {("p", "j")}
