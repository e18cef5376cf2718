"""The large-component path (LP, rounding, neighbourhood search): feasible, never above its bound, the
bound never below the optimum, and chosen only for big components under a time limit."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import large, parse_problem, solve
from enmusubi.solver.certify import certify
from enmusubi.solver.data import compile_problem
from enmusubi.solver.greedy import greedy
from enmusubi.solver.model import build_model
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.root_bound import RootBound
from enmusubi.solver.scoring import score_candidates


@pytest.fixture(scope="module")
def component():
    data = compile_problem(parse_problem(generate_problem(300, 50, seed=3)))
    model = build_model(data, score_candidates(data))
    return max(model.components, key=lambda c: c.n_vars)


@pytest.mark.parametrize("processes", [1, 2], ids=["in-process", "worker-processes"])
def test_feasible_and_bounded(component, processes: int) -> None:
    exact = solve(generate_problem(300, 50, seed=3))
    start = greedy(component)
    found = large.solve_large(component, start, time.monotonic() + 5.0, processes=processes)
    assert component.fits(found.chosen)
    assert found.objective >= float(component.score[start].sum()) - 1e-9
    assert found.objective <= exact.objective + 1e-6 <= found.bound + 2e-3


def test_a_stop_still_returns_a_feasible_allocation(component) -> None:
    stop = StopFlag()
    stop.stop()
    found = large.solve_large(component, greedy(component), None, stop)
    assert component.fits(found.chosen) and found.bound >= found.objective


def test_only_big_components_under_a_time_limit(component, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not large.is_large(component, None) and not large.is_large(component, 10.0)
    monkeypatch.setattr(large, "LARGE_VARIABLES", 10)
    assert large.is_large(component, 10.0) and not large.is_large(component, None)
    limited = solve(generate_problem(300, 50, seed=3), time_limit_seconds=5.0)
    assert limited.status in ("optimal", "feasible") and limited.best_bound >= limited.objective
    assert limited.stats.total_seconds < 5.0 + 3.0
    assert np.isfinite(limited.best_bound)


@pytest.mark.parametrize(
    "phase",
    [
        {"LP_SHARE": 0.0},  # the LP stopped at once: partial duals and subgradient steps give the bound
        {"KERNEL_SHARE": 0.0},  # the kernel sub-MIP with no time
        {"NEIGHBOURHOOD_SECONDS": 0.05},  # sub-MIPs stopped by their own limit
        {},
    ],
    ids=["lp", "kernel", "neighbourhoods", "whole"],
)
def test_the_deadline_holds_in_each_phase(component, monkeypatch: pytest.MonkeyPatch, phase: dict) -> None:
    exact = solve(generate_problem(300, 50, seed=3))
    for name, value in phase.items():
        monkeypatch.setattr(large, name, value)
    started = time.monotonic()
    found = large.solve_large(component, greedy(component), started + 2.0)
    assert time.monotonic() - started < 2.0 + 2.0
    assert component.fits(found.chosen)
    assert found.objective <= exact.objective + 1e-6 <= found.bound + 2e-3


def test_a_stop_during_the_search_ends_it_promptly(component) -> None:
    stop = StopFlag()
    timer = threading.Timer(1.0, stop.stop)
    timer.start()
    started = time.monotonic()
    found = large.solve_large(component, greedy(component), started + 60.0, stop)
    timer.join()
    assert time.monotonic() - started < 1.0 + 3.0  # a search that ignored the stop would run to its 60 s deadline
    # On a quiet machine the search may prove the optimum before the stop arrives: then there is nothing to stop.
    assert found.interrupted or found.optimal
    assert component.fits(found.chosen) and found.bound >= found.objective


def test_the_root_bound_process_bounds_the_optimum(component) -> None:
    exact = solve(generate_problem(300, 50, seed=3))
    root = RootBound(component, 20.0)
    deadline = time.monotonic() + 30.0
    while not root.finished and time.monotonic() < deadline:
        time.sleep(0.1)
    bound = root.close()
    assert root.finished and exact.objective - 1e-6 <= bound < float(component.score[component.score > 0].sum())


def test_a_killed_root_process_leaves_the_bound_as_it_was(component) -> None:
    root = RootBound(component, 20.0)
    assert root.close() >= solve(generate_problem(300, 50, seed=3)).objective - 1e-6


def test_the_large_path_result_is_certified(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = generate_problem(300, 50, seed=5)
    monkeypatch.setattr(large, "LARGE_VARIABLES", 10)
    result = solve(problem, time_limit_seconds=3.0, engine="highs")
    assert result.stats.total_seconds < 3.0 + 2.0
    pairs = [(a.partner, a.position) for a in result.assignments]
    certificate = certify(parse_problem(problem), pairs)
    assert certificate.feasible and abs(certificate.objective - result.objective) <= 1e-6
    assert result.best_bound >= solve(problem).objective - 1e-6
