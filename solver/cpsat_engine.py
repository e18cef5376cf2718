"""Solve a component with CP-SAT (integers from solver.integerize)."""

from __future__ import annotations

import time

import numpy as np
from ortools.sat.python import cp_model

from enmusubi.solver.integerize import SCORE_SCALE, integer_reward, integer_rows, integer_scores, score_from_integer
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import ComponentOutcome, ProgressHook, StopFlag
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP

VERSION = f"CP-SAT (OR-Tools {__import__('ortools').__version__})"


class _Watcher(cp_model.CpSolverSolutionCallback):
    def __init__(self, stop: StopFlag | None, on_progress: ProgressHook | None) -> None:
        super().__init__()
        self._stop = stop
        self._on_progress = on_progress
        self.interrupted = False

    def on_solution_callback(self) -> None:
        if self._on_progress is not None:
            self._on_progress(score_from_integer(self.objective_value), score_from_integer(self.best_objective_bound))
        if self._stop is not None and self._stop.is_set():
            self.interrupted = True
            self.stop_search()


def solve_component(
    component: Component,
    hint: np.ndarray,
    time_limit: float | None,
    seed: int,
    stop: StopFlag | None = None,
    on_progress: ProgressHook | None = None,
    absolute_gap: float = MIP_ABSOLUTE_GAP,
    workers: int = 1,
) -> ComponentOutcome:
    # Building the model takes seconds at 10^5 variables: it counts against the limit.
    deadline = None if time_limit is None else time.monotonic() + max(float(time_limit), 0.01)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{v}") for v in range(component.n_vars)]
    coef, cap = integer_rows(component.a_val, component.capacity)
    order = np.argsort(component.a_row, kind="stable")
    bounds = np.searchsorted(component.a_row[order], np.arange(component.n_rows + 1))
    for r in range(component.n_rows):
        idx = order[bounds[r] : bounds[r + 1]]
        model.add(
            cp_model.LinearExpr.weighted_sum([x[v] for v in component.a_col[idx].tolist()], coef[idx].tolist())
            <= int(cap[r])
        )
    weights = integer_scores(component.score)
    objective = cp_model.LinearExpr.weighted_sum(x, [int(w) for w in weights])
    # Equity (PROBLEM.md §9): served_g <= the sum of its pairs, each served group earns the reward.
    served = [model.new_bool_var(f"served{g}") for g in range(component.n_served)]
    members = [np.flatnonzero(component.served_of == g) for g in range(component.n_served)]
    for y, group in zip(served, members, strict=True):
        model.add(y <= sum(x[int(v)] for v in group))
    reward = integer_reward(component.equity)
    model.maximize(objective + sum(reward * y for y in served))
    for xv, h in zip(x, hint, strict=True):
        model.add_hint(xv, bool(h))
    for y, h in zip(served, component.groups_served(hint), strict=True):
        model.add_hint(y, bool(h))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = int(seed)
    solver.parameters.absolute_gap_limit = absolute_gap * SCORE_SCALE
    if workers > 1:
        solver.parameters.interleave_search = True
    if deadline is not None:
        solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.01)
    watcher = _Watcher(stop, on_progress)
    status = solver.solve(model, watcher)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.array([solver.boolean_value(xv) for xv in x], dtype=bool)
    else:
        chosen = hint.copy()
    value = component.value(chosen)
    optimal = status == cp_model.OPTIMAL and not watcher.interrupted
    # Without a solution (UNKNOWN) CP-SAT's bound is meaningless (0): fall back to the sum of the scores.
    # Its bound is on the rounded scores, each off by at most half a unit: widen it by that much, and
    # never take the objective of the columns as the bound (the result's check compares the two).
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    rounding = 0.5 * (component.n_vars + component.n_served) / SCORE_SCALE
    searched_bound = score_from_integer(solver.best_objective_bound) + rounding if found else component.upper_bound()
    bound = max(searched_bound, value)
    return ComponentOutcome(chosen, value, bound, optimal, watcher.interrupted)
