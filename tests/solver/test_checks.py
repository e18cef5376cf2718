"""The engine's checks by id for outer layers (`enmusubi.solver.check_locks`, `failing_rules`)."""

from __future__ import annotations

from typing import Any

import pytest

from enmusubi.solver import InputError, check_locks, failing_rules, parse_problem
from tests.core_builders import ISLAND_LAT, ISLAND_LON, partner, position, problem


def _problem(**fields: Any) -> dict[str, Any]:
    return problem(
        [position("near", onsite_days_per_week=2), position("remote")],
        [partner("p1"), partner("far", lat=ISLAND_LAT, lon=ISLAND_LON)],
        **fields,
    )


def test_failing_rules_names_the_first_rule_of_each_ineligible_pair() -> None:
    found = failing_rules(
        parse_problem(_problem()), [("far", "near"), ("far", "remote"), ("p1", "near"), ("nobody", "near")]
    )
    assert list(found) == [("far", "near")]
    rule, detail = found["far", "near"]
    assert rule == "commute" and "min" in detail


def test_check_locks_accepts_eligible_locks_and_names_an_ineligible_one() -> None:
    check_locks(parse_problem(_problem(locks=[{"partner": "p1", "position": "near"}])))
    with pytest.raises(InputError) as error:
        check_locks(parse_problem(_problem(locks=[{"partner": "far", "position": "near"}])))
    assert str(error.value).startswith("locks[0]: lock far -> near is not eligible: rule commute")


def test_check_locks_names_locks_that_cannot_hold_together() -> None:
    check_locks(
        parse_problem(_problem(locks=[{"partner": "p1", "position": "near"}, {"partner": "far", "position": "remote"}]))
    )
    crowded = problem(
        [position("one")], [partner("a"), partner("b")], locks=[{"partner": p, "position": "one"} for p in "ab"]
    )
    with pytest.raises(InputError, match="locks cannot hold together: rule openings for one"):
        check_locks(parse_problem(crowded))
