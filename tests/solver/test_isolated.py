"""A HiGHS search in a child process: the same answer as in this process, ended on a stop, and a child that
dies costs nothing but its search."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import StopFlag, highs_engine, isolated, parse_problem, solve
from enmusubi.solver.greedy import greedy
from enmusubi.solver.lock_search import PairSpace
from enmusubi.solver.model import Component, build_model
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP

SEARCH = {
    "seed": 0,
    "absolute_gap": MIP_ABSOLUTE_GAP,
    "options": dict(highs_engine.START_HEURISTICS_OFF),
    "col_lower": None,
    "careful": False,
}


@pytest.fixture(scope="module")
def component() -> Component:
    space = PairSpace.of(parse_problem(generate_problem(n_partners=200, n_positions=40, seed=3)))
    return max(build_model(space.data, space.cands).components, key=lambda c: c.n_vars)


def test_a_search_in_a_child_finds_what_the_same_search_finds_here(component: Component) -> None:
    heard: list[tuple[float, float]] = []
    start = greedy(component)
    here, here_reported = highs_engine.run_here(component, start, 60, None, None, None, **SEARCH)
    there, there_reported = isolated.run_isolated(
        component, start, 60, StopFlag(), lambda p, d: heard.append((p, d)), SEARCH
    )
    assert here.optimal and there.optimal and not there.interrupted
    assert there.objective == pytest.approx(here.objective, abs=1e-6)
    assert there_reported == pytest.approx(here_reported, abs=1e-6)
    assert component.fits(there.chosen) and there.bound >= there.objective - 1e-9


def test_a_stopped_child_is_ended_and_gives_a_feasible_allocation_with_a_valid_bound(component: Component) -> None:
    stop = StopFlag()
    stop.stop()
    start = greedy(component)
    began = time.monotonic()
    outcome, _ = isolated.run_isolated(component, start, 60, stop, None, SEARCH)
    assert time.monotonic() - began < 30  # a child is started, asked to stop and ended: not a 60 s search
    assert outcome.interrupted and not outcome.optimal
    assert component.fits(outcome.chosen) and outcome.objective >= component.value(start) - 1e-9
    proven, _ = highs_engine.run_here(component, start, 60, None, None, None, **SEARCH)
    assert outcome.bound >= proven.objective - 1e-6  # the bound bounds the true optimum


def test_a_child_that_dies_gives_back_the_start_and_says_so(
    component: Component, caplog: pytest.LogCaptureFixture
) -> None:
    start = greedy(component)
    with caplog.at_level(logging.WARNING, logger="enmusubi.solver.isolated"):
        outcome, reported = isolated.run_isolated(
            component, start, 60, StopFlag(), None, {**SEARCH, "no_such_argument": 1}
        )
    assert reported is None and not outcome.optimal
    assert np.array_equal(outcome.chosen, start) and outcome.bound == component.upper_bound()
    assert "ended without an answer" in caplog.text


def test_the_parent_keeps_only_improving_allocations_that_fit(component: Component) -> None:
    start = np.zeros(component.n_vars, dtype=bool)
    watcher = isolated._Watcher(component, start, None)
    everything = np.ones(component.n_vars, dtype=bool)  # breaks rows: never taken, whatever its value
    watcher.take(("incumbent", np.packbits(everything)))
    assert not watcher.best.any()
    better = greedy(component)
    watcher.take(("incumbent", np.packbits(better)))
    watcher.take(("progress", component.value(better), np.inf))  # no bound yet: the trivial one stays
    assert np.array_equal(watcher.best, better) and watcher.outcome(True).bound == component.upper_bound()
    watcher.take(("progress", component.value(better), component.value(better) + 1.0))
    assert watcher.outcome(True).bound == pytest.approx(component.value(better) + 1.0)


def test_a_large_component_that_may_be_stopped_is_searched_in_a_child(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = parse_problem(generate_problem(n_partners=120, n_positions=25, seed=5))
    in_process = solve(problem, stop=StopFlag())
    children: list[int] = []
    original = isolated.run_isolated

    def counted(component: Component, *args: object, **kwargs: object) -> isolated.Run:
        children.append(component.n_vars)
        return original(component, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(isolated, "ISOLATE_MIN_VARIABLES", 1)
    monkeypatch.setattr(isolated, "run_isolated", counted)
    assert solve(problem).objective == pytest.approx(in_process.objective)  # no stop flag: nothing to end it with
    assert not children
    in_child = solve(problem, stop=StopFlag())
    assert children, "no component went to a child"
    assert in_child.status == in_process.status == "optimal"
    assert in_child.objective == pytest.approx(in_process.objective, abs=1e-6)
