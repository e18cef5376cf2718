"""The large-component path (LP, rounding, neighbourhood search): feasible, never above its bound, the
bound never below the optimum, and chosen only for big components under a time limit."""

from __future__ import annotations

import time

import numpy as np
import pytest

from enmusubi.scenarios.generator import generate_problem
from enmusubi.solver import large, parse_problem, solve
from enmusubi.solver.data import compile_problem
from enmusubi.solver.greedy import greedy
from enmusubi.solver.model import build_model
from enmusubi.solver.neighbourhood import is_feasible
from enmusubi.solver.outcome import StopFlag
from enmusubi.solver.scoring import score_candidates


@pytest.fixture(scope="module")
def component():
    data = compile_problem(parse_problem(generate_problem(300, 50, seed=3)))
    model = build_model(data, score_candidates(data))
    return max(model.components, key=lambda c: c.n_vars)


def test_feasible_and_bounded(component) -> None:
    exact = solve(generate_problem(300, 50, seed=3))
    start = greedy(component)
    found = large.solve_large(component, start, time.monotonic() + 5.0)
    assert is_feasible(component, found.chosen)
    assert found.objective >= float(component.score[start].sum()) - 1e-9
    assert found.objective <= exact.objective + 1e-6 <= found.bound + 2e-3


def test_a_stop_still_returns_a_feasible_allocation(component) -> None:
    stop = StopFlag()
    stop.stop()
    found = large.solve_large(component, greedy(component), None, stop)
    assert is_feasible(component, found.chosen) and found.bound >= found.objective


def test_only_big_components_under_a_time_limit(component, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not large.is_large(component, None) and not large.is_large(component, 10.0)
    monkeypatch.setattr(large, "LARGE_VARIABLES", 10)
    assert large.is_large(component, 10.0) and not large.is_large(component, None)
    limited = solve(generate_problem(300, 50, seed=3), time_limit_seconds=5.0)
    assert limited.status in ("optimal", "feasible") and limited.best_bound >= limited.objective
    assert limited.stats.total_seconds < 5.0 + 3.0
    assert np.isfinite(limited.best_bound)
