"""PROBLEM.md §11: every limit accepts its boundary and refuses beyond it, naming the path (one case per limit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from enmusubi.solver import InputError, parse_problem
from enmusubi.solver.problem import Weights
from tests.core_builders import example

Edit = Callable[[dict[str, Any], Any], None]

LIMITS: list[tuple[str, Edit, Any, Any]] = [
    ("positions[0].openings", lambda d, v: d["positions"][0].update(openings=v), 10_000, 10**18),
    ("partners[0].max_assignments", lambda d, v: d["partners"][0].update(max_assignments=v), 100, 101),
    ("partners[0].hours_per_week", lambda d, v: d["partners"][0].update(hours_per_week=v), 168, 168.5),
    ("positions[0].hours_per_week", lambda d, v: d["positions"][0].update(hours_per_week=v), 168, 169),
    ("period_weeks", lambda d, v: d.update(period_weeks=v), 520, 521),
    ("municipalities[0].budget_yen", lambda d, v: d["municipalities"][0].update(budget_yen=v), 10**15, 10**15 + 1),
    ("partners[0].hourly_rate_yen", lambda d, v: d["partners"][0].update(hourly_rate_yen=v), 10**7, 1e7 + 1),
    ("positions[0].max_hourly_rate_yen", lambda d, v: d["positions"][0].update(max_hourly_rate_yen=v), 10**7, 10**8),
    ("positions[0].priority", lambda d, v: d["positions"][0].update(priority=v), 1000, 1000.5),
    ("weights.incumbent", lambda d, v: d.update(weights={"incumbent": v}), 1000, 1001),
    (
        "positions[0].preferred_skills.pr_writing",
        lambda d, v: d["positions"][0].update(preferred_skills={"pr_writing": v}),
        1000,
        2000,
    ),
    ("partners[0].max_commute_minutes", lambda d, v: d["partners"][0].update(max_commute_minutes=v), 10_000, 10_001),
    (
        "commute_minutes[0].minutes",
        lambda d, v: d.update(commute_minutes=[{"partner": "p-pm", "municipality": "13106", "minutes": v}]),
        10_000,
        1e300,
    ),
    ("partners[0].id", lambda d, v: d["partners"][0].update(id=v), "p" * 100, "p" * 101),
    ("municipalities[0].id", lambda d, v: d["municipalities"][0].update(id=v), None, ""),
]


@pytest.mark.parametrize(("path", "edit", "at_limit", "beyond"), LIMITS, ids=[case[0] for case in LIMITS])
def test_a_limit_accepts_its_boundary_and_refuses_beyond(path: str, edit: Edit, at_limit: Any, beyond: Any) -> None:
    if at_limit is not None:
        fine = example()
        edit(fine, at_limit)
        parse_problem(fine)
    broken = example()
    edit(broken, beyond)
    with pytest.raises(InputError) as caught:
        parse_problem(broken)
    assert path in [issue.path for issue in caught.value.issues], caught.value


def test_every_weight_has_the_limit_even_one_added_later() -> None:
    """Weights checks and documents the limit for each of its fields, so a new weight cannot forget it."""
    schema = Weights.model_json_schema()
    assert set(schema["properties"]) == set(Weights.model_fields)
    assert all(field["maximum"] == 1000 for field in schema["properties"].values())
    for name in Weights.model_fields:
        with pytest.raises(InputError, match=rf"weights\.{name}: .*less than or equal to 1000"):
            parse_problem({**example(), "weights": {name: 1000.001}})
