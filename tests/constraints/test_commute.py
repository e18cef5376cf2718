"""Rule 3, `commute`: on-site positions must lie within the partner's one-way limit (PROBLEM.md §3, §4)."""

from __future__ import annotations

import math

import pytest

from enmusubi.solver import solve
from tests import reference as ref
from tests.core_builders import (
    ISLAND_LAT,
    ISLAND_LON,
    TOKYO_LAT,
    TOKYO_LON,
    engine_scores,
    failing_rule,
    partner,
    position,
    problem,
)


def tiny(onsite: int, commute_minutes: list[dict] | None = None, **partner_fields: object) -> dict:
    return problem(
        [position("j", onsite_days_per_week=onsite)],
        [partner("p", **partner_fields)],
        commute_minutes=commute_minutes or [],
    )


def measured(minutes: float) -> list[dict]:
    return [{"partner": "p", "municipality": "m1", "minutes": minutes}]


def test_beyond_the_limit_fails() -> None:
    case = tiny(onsite=1, lat=ISLAND_LAT, lon=ISLAND_LON)
    rule, detail = failing_rule(case, "p", "j")
    assert rule == "commute"
    assert "(estimated) > partner's limit 90 min" in detail
    assert engine_scores(case) == {}
    assert solve(case).assignments == []


def test_remote_positions_ignore_the_commute() -> None:
    case = tiny(onsite=0, lat=ISLAND_LAT, lon=ISLAND_LON, max_commute_minutes=0)
    assert failing_rule(case, "p", "j")[0] is None
    # No commute penalty for a remote position: fill 1 + skill 1 x fit 1.
    assert engine_scores(case) == {("p", "j"): pytest.approx(2.0, abs=1e-12)}


def test_measured_commute_replaces_the_estimate() -> None:
    """An islander with a measured 30-minute trip is eligible; the penalty uses the 30 minutes."""
    case = tiny(onsite=2, commute_minutes=measured(30), lat=ISLAND_LAT, lon=ISLAND_LON)
    assert failing_rule(case, "p", "j")[0] is None
    result = solve(case)
    (placed,) = result.assignments
    assert placed.commute_minutes == 30
    # 2 - 0.5 x (2/5 days) x (30/60 h)
    assert placed.score == pytest.approx(1.9, abs=1e-12)
    assert placed.breakdown["commute"] == pytest.approx(-0.1, abs=1e-12)


def test_measured_commute_can_also_be_longer() -> None:
    case = tiny(onsite=1, commute_minutes=measured(100))
    rule, detail = failing_rule(case, "p", "j")
    assert rule == "commute"
    assert "measured" in detail


def test_commute_equal_to_the_limit_passes() -> None:
    case = tiny(onsite=5, commute_minutes=measured(45), max_commute_minutes=45)
    assert failing_rule(case, "p", "j")[0] is None
    # 2 - 0.5 x (5/5) x (45/60)
    assert engine_scores(case)[("p", "j")] == pytest.approx(2 - 0.375, abs=1e-12)


def test_estimate_is_15_minutes_plus_2_6_per_haversine_km() -> None:
    case = tiny(onsite=1, lat=TOKYO_LAT + 1.0, lon=TOKYO_LON, max_commute_minutes=1000)
    (placed,) = solve(case).assignments
    one_degree_km = 6371.0 * math.pi / 180
    assert placed.commute_minutes == pytest.approx(15 + 2.6 * one_degree_km, abs=1e-9)
    muni = case["municipalities"][0]
    assert placed.commute_minutes == pytest.approx(ref.commute_minutes(case, case["partners"][0], muni), abs=1e-9)


def test_next_door_is_the_station_allowance() -> None:
    (placed,) = solve(tiny(onsite=1)).assignments
    assert placed.commute_minutes == pytest.approx(15.0, abs=1e-9)


def test_penalty_grows_with_onsite_days() -> None:
    one_day = engine_scores(tiny(onsite=1, commute_minutes=measured(60)))[("p", "j")]
    five_days = engine_scores(tiny(onsite=5, commute_minutes=measured(60)))[("p", "j")]
    assert one_day == pytest.approx(2 - 0.5 * 0.2, abs=1e-12)
    assert five_days == pytest.approx(2 - 0.5 * 1.0, abs=1e-12)
