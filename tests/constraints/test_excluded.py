"""Rule 5, `excluded`: a partner's excluded municipalities and the forbidden pairs are never matched."""

from __future__ import annotations

from enmusubi.solver import solve
from tests.core_builders import engine_scores, failing_rule, municipality, pair_refs, partner, position, problem


def two_towns(**fields: object) -> dict:
    return problem(
        [position("j1", municipality="m1"), position("j2", municipality="m2")],
        [partner("p", **fields)],
        municipalities=[municipality("m1"), municipality("m2")],
    )


def test_excluded_municipality_fails() -> None:
    case = two_towns(excluded_municipalities=["m1"])
    assert failing_rule(case, "p", "j1") == ("excluded", "partner excludes municipality m1")
    assert set(engine_scores(case)) == {("p", "j2")}
    assert solve(case).pair_set() == {("p", "j2")}


def test_forbidden_pair_fails_and_only_that_pair() -> None:
    case = two_towns()
    case["forbidden"] = pair_refs(("p", "j2"))
    assert failing_rule(case, "p", "j2") == ("excluded", "the pair is forbidden")
    assert set(engine_scores(case)) == {("p", "j1")}
    assert solve(case).pair_set() == {("p", "j1")}


def test_nothing_excluded() -> None:
    case = two_towns(excluded_municipalities=[], preferred_municipalities=["m2"])
    assert failing_rule(case, "p", "j1")[0] is None
    assert solve(case).pair_set() == {("p", "j1"), ("p", "j2")}


def test_forbidding_one_partner_leaves_the_others() -> None:
    case = problem([position("j")], [partner("p"), partner("q")], forbidden=pair_refs(("p", "j")))
    assert set(engine_scores(case)) == {("q", "j")}
