"""Neighbourhoods side by side: a batch always merges into a feasible allocation (the shared rows' slack
goes to one neighbourhood), worker processes answer as this process does, and a stop or a dead worker
costs only that neighbourhood's search."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import StopFlag, parallel_search, parse_problem
from enmusubi.solver.greedy import greedy
from enmusubi.solver.lock_search import PairSpace
from enmusubi.solver.model import Component, build_model
from enmusubi.solver.neighbourhood import Incidence, around
from enmusubi.solver.parallel_search import InProcessPool, ProcessPool, Task, batch_tasks, merged, solve_task
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP

OPTIONS: dict[str, bool | int | float | str] = {}


@pytest.fixture(scope="module")
def component() -> Component:
    space = PairSpace.of(parse_problem(generate_problem(n_partners=200, n_positions=40, seed=3)))
    return max(build_model(space.data, space.cands).components, key=lambda c: c.n_vars)


def _disjoint(component: Component, seeds: list[int], size: int) -> list[np.ndarray]:
    incidence = Incidence.of(component)
    taken = np.zeros(component.n_vars, dtype=bool)
    frees = []
    for seed in seeds:
        if taken[seed]:
            continue
        free = around(component, incidence, np.array([seed]), size, taken=taken)
        taken[free] = True
        frees.append(free)
    return frees


def _tasks(component: Component, incumbent: np.ndarray, frees: list[np.ndarray]) -> list[Task]:
    return batch_tasks(component, incumbent, frees, 10.0, 0, MIP_ABSOLUTE_GAP, [OPTIONS] * len(frees))


def test_neighbourhoods_of_a_batch_share_no_variable(component: Component) -> None:
    frees = _disjoint(component, [0, 1, 2, 3, 50, 100], 60)
    together = np.concatenate(frees)
    assert len(together) == len(np.unique(together)) and len(frees) >= 2


@settings(max_examples=15)
@given(seeds=st.lists(st.integers(0, 10_000), min_size=2, max_size=5), size=st.integers(10, 120))
def test_a_batch_solved_from_one_incumbent_merges_into_a_feasible_allocation(
    component: Component, seeds: list[int], size: int
) -> None:
    incumbent = greedy(component)
    frees = _disjoint(component, [s % component.n_vars for s in seeds], size)
    tasks = _tasks(component, incumbent, frees)
    answers = [solve_task(component, incumbent, task, None) for task in tasks]
    chosen = merged(incumbent, tasks, answers)
    assert component.fits(chosen)
    assert component.value(chosen) >= component.value(incumbent) - 1e-9  # each answer is no worse on its own part


def test_without_holding_back_the_shared_slack_a_merge_can_break_a_row() -> None:
    """Two pairs of one row with room for one more: each neighbourhood alone takes its pair; merged, both."""
    component = Component(
        pairs=np.arange(2),
        score=np.array([1.0, 1.0]),
        capacity=np.array([1.0]),
        a_row=np.array([0, 0]),
        a_col=np.array([0, 1]),
        a_val=np.array([1.0, 1.0]),
    )
    incumbent = np.zeros(2, dtype=bool)
    frees = [np.array([0]), np.array([1])]
    tasks = _tasks(component, incumbent, frees)
    unheld = [Task(t.free, t.held_rows[:0], t.held[:0], t.seconds, t.seed, t.absolute_gap, t.options) for t in tasks]
    each_alone = [solve_task(component, incumbent, task, None) for task in unheld]
    assert not component.fits(merged(incumbent, unheld, each_alone))  # the penalised case
    held = [solve_task(component, incumbent, task, None) for task in tasks]
    chosen = merged(incumbent, tasks, held)
    assert component.fits(chosen) and component.value(chosen) == 1.0  # the slack went to one of them


def test_worker_processes_answer_as_this_process_does(component: Component) -> None:
    incumbent = greedy(component)
    frees = _disjoint(component, [0, 40, 80], 80)
    tasks = _tasks(component, incumbent, frees)
    here = InProcessPool()
    here.load(component)
    pool = ProcessPool(2)
    try:
        pool.load(component)
        there = pool.run(incumbent, tasks[:2], None)
        again = pool.run(incumbent, tasks[1:3], None)  # the workers stay up between batches
    finally:
        pool.close()
    expected = here.run(incumbent, tasks, None)
    for task, got, want in zip(
        [*tasks[:2], *tasks[1:3]], [*there, *again], [*expected[:2], *expected[1:3]], strict=True
    ):
        assert got is not None and want is not None and got.optimal and want.optimal
        values = [component.value(merged(incumbent, [task], [answer])) for answer in (got, want)]
        assert values[0] == pytest.approx(values[1], abs=1e-6)


def test_a_stop_ends_a_batch_within_the_grace_and_keeps_the_incumbent(component: Component) -> None:
    incumbent = greedy(component)
    tasks = _tasks(component, incumbent, [np.arange(component.n_vars)])
    slow = [Task(t.free, t.held_rows, t.held, 60.0, t.seed, 0.0, t.options) for t in tasks]  # gap 0: a long proof
    stop = StopFlag()
    stop.stop()
    pool = ProcessPool(1)
    try:
        pool.load(component)
        began = time.monotonic()
        answers = pool.run(incumbent, slow, stop)
        took = time.monotonic() - began
    finally:
        pool.close()
    assert took < 10.0
    chosen = merged(incumbent, slow, answers)
    assert component.fits(chosen) and component.value(chosen) >= component.value(incumbent) - 1e-9


def test_with_every_worker_dead_the_tasks_run_here(component: Component) -> None:
    incumbent = greedy(component)
    tasks = _tasks(component, incumbent, _disjoint(component, [0], 50))
    pool = ProcessPool(1)
    try:
        pool.load(component)
        for worker in pool._pool:
            worker.process.kill()
            worker.process.wait(5)
        first = pool.run(incumbent, tasks, None)  # the dead worker's pipe ends: no answer, and it is marked
        assert first == [None] and pool.workers == 1
        second = pool.run(incumbent, tasks, None)
    finally:
        pool.close()
    assert second[0] is not None and second[0].optimal


def test_the_number_of_processes_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel_search.PROCESSES_VARIABLE, "3")
    assert parallel_search.default_processes() == 3
    monkeypatch.setenv(parallel_search.PROCESSES_VARIABLE, "many")
    assert parallel_search.default_processes() >= 1
    monkeypatch.delenv(parallel_search.PROCESSES_VARIABLE)
    assert parallel_search.default_processes() >= 1
    assert isinstance(parallel_search.make_pool(1), InProcessPool)
