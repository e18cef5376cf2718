"""Solving scenarios: the base reproduced, each change kind's effect on the allocation, monotone budgets."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enmusubi.scenarios.generator import generate_problem
from enmusubi.scenarios.run import ScenarioRun, ScenarioStoppedError, _capped, run_scenario
from enmusubi.scenarios.scenario import Scenario, parse_scenario
from enmusubi.solver import Problem, Result, StopFlag, parse_problem, solve

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example-small.json"
TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def example() -> Problem:
    return parse_problem(json.loads(EXAMPLE.read_text()))


@pytest.fixture(scope="module")
def generated() -> Problem:
    """Big enough to need the MIP engine, small enough to solve in a blink."""
    return parse_problem(generate_problem(200, 40, seed=3))


@pytest.fixture(scope="module")
def generated_base(generated: Problem) -> Result:
    return solve(generated)


def scenario(base: Problem, *variants: tuple[str, list[dict[str, Any]]]) -> Scenario:
    return parse_scenario(
        {
            "version": 1,
            "name": "test",
            "base": base.to_json_dict(),
            "variants": [{"name": name, "changes": changes} for name, changes in variants],
        }
    )


def run_one(base: Problem, *changes: dict[str, Any]) -> ScenarioRun:
    return run_scenario(scenario(base, ("v", list(changes))), parallel=False)


def pairs(result: Result) -> set[tuple[str, str]]:
    return result.pair_set()


def test_a_variant_without_changes_reproduces_the_base(generated: Problem, generated_base: Result) -> None:
    run = run_scenario(scenario(generated, ("as it is", [])), parallel=False)
    [variant] = run.variants
    assert run.base.status == variant.result.status == "optimal"
    assert variant.result.assignments == run.base.assignments == generated_base.assignments
    assert variant.result.unfilled == run.base.unfilled
    assert variant.result.municipalities == run.base.municipalities
    diff = variant.diff
    assert diff.unchanged and diff.objective.change == 0 and diff.filled_openings.change == 0
    assert diff.total_spend.change == 0 and not diff.spend and not diff.pairs_added and not diff.pairs_removed


def test_parallel_and_sequential_agree(generated: Problem) -> None:
    variants = [
        ("as it is", []),
        ("every budget 1M yen", [{"municipality": "*", "set": {"budget_yen": 1_000_000}}]),
        ("all remote", [{"position": "*", "set": {"onsite_days_per_week": 0}}]),
        ("commute matters more", [{"weights": {"commute": 1.0}}]),
    ]
    parallel = run_scenario(scenario(generated, *variants), parallel=True, workers=2)
    sequential = run_scenario(scenario(generated, *variants), parallel=False)
    assert parallel.parallel and parallel.workers == 2 and not sequential.parallel and sequential.workers == 1
    for a, b in zip(parallel.variants, sequential.variants, strict=True):
        assert a.result.assignments == b.result.assignments
        assert a.diff == b.diff


def test_forbidding_a_placed_pair_takes_it_out(example: Problem) -> None:
    run = run_one(example, {"forbid": [{"partner": "p-pm", "position": "taito-pm"}]})
    diff = run.variants[0].diff
    assert [(p.partner, p.position) for p in diff.pairs_removed] == [("p-pm", "taito-pm")]
    assert diff.pairs_removed[0].score == pytest.approx(2.660306, abs=1e-6)
    assert [p.position for p in diff.became_unfilled] == ["taito-pm"]  # nobody else may take it
    assert diff.objective.change == pytest.approx(-2.660306, abs=1e-6)
    assert diff.filled_openings.change == -1


def test_removing_a_placed_partner_frees_their_positions(example: Problem) -> None:
    run = run_one(example, {"remove": {"partners": ["p-pm"]}})
    diff = run.variants[0].diff
    assert [(p.partner, p.position) for p in diff.pairs_removed] == [("p-pm", "taito-pm")]
    assert [(m.id, m.filled_base, m.filled_variant) for m in diff.spend] == [("13106", 1, 0)]
    assert diff.spend[0].change == -9000 * 16 * 4


def test_locking_a_pair_puts_it_in(example: Problem) -> None:
    # p-pm fits tama-tool-training (score 0.88) but the optimum gives both openings to better partners.
    run = run_one(example, {"lock": [{"partner": "p-pm", "position": "tama-tool-training"}]})
    diff = run.variants[0].diff
    assert ("p-pm", "tama-tool-training") in pairs(run.variants[0].result)
    assert [(p.partner, p.position) for p in diff.pairs_added] == [("p-pm", "tama-tool-training")]
    assert [(p.partner, p.position) for p in diff.pairs_removed] == [("p-remote", "tama-tool-training")]
    assert diff.objective.change == pytest.approx(0.88 - 1.128889, abs=1e-6)


def test_a_larger_budget_lowers_the_cost_penalty(example: Problem) -> None:
    run = run_one(example, {"municipality": "13207", "set": {"budget_yen": "*1.3"}})
    diff = run.variants[0].diff
    assert not diff.pairs_added and not diff.pairs_removed
    assert diff.objective.change > 0
    [akishima] = diff.spend  # only the budget changed, the spend did not
    assert (akishima.id, akishima.budget_base, akishima.budget_variant) == ("13207", 600_000, 780_000)
    assert akishima.change == 0


def test_remote_work_and_commute_weight_move_the_objective(example: Problem) -> None:
    remote = run_one(example, {"position": "akishima-creator", "set": {"onsite_days_per_week": 0}})
    assert remote.variants[0].diff.objective.change > 0  # no commute penalty any more
    commute = run_one(example, {"weights": {"commute": 1.0}})
    assert commute.variants[0].diff.objective.change < 0  # two chosen pairs commute


def test_a_new_position_that_gets_filled_is_reported(example: Problem) -> None:
    new_role = {"id": "taito-remote-help", "municipality": "13106", "title": "Remote helper", "hours_per_week": 2}
    run = run_one(example, {"add": {"positions": [new_role]}})
    diff = run.variants[0].diff
    filled = [(p.position, p.filled_base, p.filled_variant) for p in diff.became_filled]
    assert filled == [("taito-remote-help", None, 1)]
    assert diff.filled_openings.change == 1 and len(diff.pairs_added) >= 1


def test_removing_a_municipality_removes_its_pairs(example: Problem) -> None:
    run = run_one(example, {"remove": {"municipalities": ["13207"]}})
    diff = run.variants[0].diff
    assert [(p.partner, p.position) for p in diff.pairs_removed] == [("p-designer", "akishima-creator")]
    assert not diff.became_unfilled  # a removed position is gone, not unfilled
    assert [(m.id, m.base, m.variant) for m in diff.spend] == [("13207", 5000 * 12 * 4, None)]


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_raising_a_budget_never_lowers_the_optimum(
    generated: Problem, generated_base: Result, data: st.DataObject
) -> None:
    budgeted = sorted(m.id for m in generated.municipalities if m.budget_yen is not None)
    municipality = data.draw(st.sampled_from(budgeted))
    factor = data.draw(st.floats(1.0, 3.0))
    run = run_one(generated, {"municipality": municipality, "set": {"budget_yen": f"*{factor!r}"}})
    assert run.variants[0].result.status == "optimal"
    assert run.variants[0].result.objective >= generated_base.objective - TOLERANCE


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_removing_an_unplaced_partner_changes_nothing(
    generated: Problem, generated_base: Result, data: st.DataObject
) -> None:
    unplaced = sorted(p.id for p in generated_base.partners if p.placements == 0)
    partner = data.draw(st.sampled_from(unplaced))
    diff = run_one(generated, {"remove": {"partners": [partner]}}).variants[0].diff
    assert diff.unchanged, (partner, diff)


def test_a_set_stop_flag_ends_the_scenario_without_a_result(example: Problem) -> None:
    stop = StopFlag()
    stop.stop()
    with pytest.raises(ScenarioStoppedError):
        run_scenario(scenario(example, ("remote", [{"weights": {"commute": 0}}])), parallel=False, stop=stop)


def test_one_overall_time_limit_caps_every_solve(generated: Problem, generated_base: Result) -> None:
    """With no time left, every solve stops at its start allocation: feasible, not proven, whatever each may take."""
    assert generated_base.stats.components_by_engine > 0, "the fixture must need the engine"
    plan = scenario(generated, ("fill more", [{"weights": {"fill": 2.0}}]), ("again", [{"weights": {"skill": 0.5}}]))
    run = run_scenario(plan, parallel=False, total_seconds=0.0)
    assert [r.status for r in (run.base, *(v.result for v in run.variants))] == ["feasible"] * 3
    assert run.base.stopped


def test_a_solve_gets_the_smaller_of_its_own_limit_and_what_is_left() -> None:
    assert _capped(30.0, None) == 30.0
    assert _capped(None, None) is None
    assert _capped(30.0, time.monotonic() - 1) == 0.0
    left = _capped(None, time.monotonic() + 100)
    assert left is not None and 99 < left <= 100
    assert _capped(5.0, time.monotonic() + 100) == 5.0
