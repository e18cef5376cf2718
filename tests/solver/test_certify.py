"""solver/certify.py: every rule of PROBLEM.md §4 and §6 caught (a broken and an unbroken case each),
the objective recomputed as the independent reference does, and "optimal" only within §6's tolerance."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from enmusubi.solver import parse_problem, solve
from enmusubi.solver.certify import certify
from enmusubi.solver.tolerances import optimality_tolerance
from tests import reference as ref
from tests.solver.test_properties import PROPERTY_SETTINGS, valid_problems

EXAMPLE = json.loads((Path(__file__).parents[1] / "data" / "example-small.json").read_text())
OPTIMUM = [
    ("p-designer", "akishima-creator"),
    ("p-pm", "taito-pm"),
    ("p-remote", "tama-tool-training"),
    ("p-trainer", "tama-tool-training"),
]


def _certify(problem: dict[str, Any], pairs: list[tuple[str, str]]) -> Any:
    return certify(parse_problem(problem), pairs)


def test_the_worked_example_optimum_is_feasible_with_the_spec_objective() -> None:
    certificate = _certify(EXAMPLE, OPTIMUM)
    assert certificate.feasible, certificate.violations
    assert certificate.objective == pytest.approx(7.369305, abs=1e-6)


def test_an_ineligible_pair_is_named_with_its_rule() -> None:
    certificate = _certify(EXAMPLE, [("p-remote", "akishima-creator")])
    assert not certificate.feasible
    assert "not eligible (skill: graphic_design 2 < 3)" in certificate.violations[0]


def test_a_pair_chosen_twice_and_an_unknown_id_are_violations() -> None:
    certificate = _certify(EXAMPLE, [("p-pm", "taito-pm"), ("p-pm", "taito-pm"), ("nobody", "taito-pm")])
    assert any("chosen 2 times" in v for v in certificate.violations)
    assert any("unknown id" in v for v in certificate.violations)


def test_openings_are_counted() -> None:
    problem = copy.deepcopy(EXAMPLE)
    position = next(j for j in problem["positions"] if j["id"] == "tama-tool-training")
    pairs = [("p-remote", "tama-tool-training"), ("p-trainer", "tama-tool-training")]
    assert _certify(problem, pairs).feasible
    position["openings"] = 1
    assert any(v.startswith("openings: position tama-tool-training") for v in _certify(problem, pairs).violations)


def test_hours_and_count_of_a_partner_are_summed() -> None:
    problem = copy.deepcopy(EXAMPLE)
    pairs = [("p-pm", "taito-pm"), ("p-pm", "tama-tool-training")]
    pm = next(p for p in problem["partners"] if p["id"] == "p-pm")
    needed = sum(j["hours_per_week"] for j in problem["positions"] if j["id"] in {"taito-pm", "tama-tool-training"})
    pm["hours_per_week"] = needed
    pm["max_assignments"] = 2
    assert _certify(problem, pairs).feasible
    pm["max_assignments"] = 1
    assert any(v.startswith("count: partner p-pm") for v in _certify(problem, pairs).violations)
    pm["max_assignments"] = 2
    # Each position alone still fits the partner's hours (eligible), their sum does not.
    pm["hours_per_week"] = needed - 0.5
    violations = _certify(problem, pairs).violations
    assert any(v.startswith("hours: partner p-pm") for v in violations)


def test_a_municipal_budget_is_summed_over_its_placements() -> None:
    problem = copy.deepcopy(EXAMPLE)
    pairs = [("p-remote", "tama-tool-training"), ("p-trainer", "tama-tool-training")]
    assert _certify(problem, pairs).feasible
    position = next(j for j in problem["positions"] if j["id"] == "tama-tool-training")
    municipality = next(m for m in problem["municipalities"] if m["id"] == position["municipality"])
    rates = {p["id"]: p["hourly_rate_yen"] for p in problem["partners"]}
    costs = [rates[partner] * position["hours_per_week"] * problem.get("period_weeks", 4) for partner, _ in pairs]
    municipality["budget_yen"] = int(max(costs))  # each pair alone stays eligible, the two together do not fit
    violations = _certify(problem, pairs).violations
    assert any(v.startswith(f"budget: municipality {municipality['id']}") for v in violations)


def test_a_missing_lock_is_a_violation() -> None:
    problem = copy.deepcopy(EXAMPLE)
    problem["locks"] = [{"partner": "p-pm", "position": "tama-tool-training"}]
    assert any(v.startswith("lock: p-pm -> tama-tool-training") for v in _certify(problem, OPTIMUM).violations)
    assert not any(v.startswith("lock") for v in _certify(problem, [("p-pm", "tama-tool-training")]).violations)


def test_optimal_only_within_the_spec_tolerance_of_the_bound() -> None:
    certificate = _certify(EXAMPLE, OPTIMUM)
    assert certificate.proves_optimal(7.369305 + 0.9e-3)
    assert not certificate.proves_optimal(7.369305 + 1.1e-3)
    assert not certificate.proves_optimal(float("inf"))
    assert optimality_tolerance(10_000.0) == pytest.approx(1e-2)


@PROPERTY_SETTINGS
@given(valid_problems())
def test_the_recomputed_objective_is_the_reference_objective(problem: dict[str, Any]) -> None:
    result = solve(copy.deepcopy(problem))
    pairs = [(a.partner, a.position) for a in result.assignments]
    certificate = _certify(problem, pairs)
    assert certificate.feasible
    assert certificate.objective == pytest.approx(ref.objective(problem, pairs), abs=1e-9)
    assert result.objective == pytest.approx(certificate.objective, abs=1e-9)
