"""Rule 4, `rate`: the partner's hourly rate may not exceed the position's maximum, when it sets one."""

from __future__ import annotations

from enmusubi.solver import solve
from tests.core_builders import engine_scores, failing_rule, partner, position, problem


def tiny(rate: float, cap: int | None) -> dict:
    return problem([position("j", max_hourly_rate_yen=cap)], [partner("p", hourly_rate_yen=rate)])


def test_rate_above_the_cap_fails() -> None:
    case = tiny(rate=6001, cap=6000)
    assert failing_rule(case, "p", "j") == ("rate", "hourly rate ¥6,001 > position's maximum ¥6,000")
    assert engine_scores(case) == {}
    assert solve(case).assignments == []


def test_rate_equal_to_the_cap_passes() -> None:
    case = tiny(rate=6000, cap=6000)
    assert failing_rule(case, "p", "j")[0] is None
    assert solve(case).pair_set() == {("p", "j")}


def test_null_cap_takes_any_rate() -> None:
    case = tiny(rate=1_000_000, cap=None)
    rule, detail = failing_rule(case, "p", "j")
    assert rule is None
    assert "sets no maximum" in detail or detail == ""
    assert set(engine_scores(case)) == {("p", "j")}


def test_absent_cap_is_null() -> None:
    case = problem([position("j")], [partner("p", hourly_rate_yen=99_999)])
    assert set(engine_scores(case)) == {("p", "j")}


def test_zero_cap_takes_only_volunteers() -> None:
    case = problem(
        [position("j", max_hourly_rate_yen=0)], [partner("paid", hourly_rate_yen=1), partner("free", hourly_rate_yen=0)]
    )
    assert set(engine_scores(case)) == {("free", "j")}
