"""Solve a component as a MIP with HiGHS: an LP-based branch and bound proves these fast."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from importlib.metadata import version

import highspy
import numpy as np

from enmusubi.solver import isolated
from enmusubi.solver.model import Component
from enmusubi.solver.outcome import ComponentOutcome, IncumbentHook, ProgressHook, StopFlag
from enmusubi.solver.tolerances import MIP_ABSOLUTE_GAP, MIP_RELATIVE_GAP

log = logging.getLogger(__name__)
VERSION = f"HiGHS {version('highspy')}"
PROGRESS_INTERVAL = 0.5  # seconds between progress reports from the search
# HiGHS's MIP presolve pays off on Tokyo-sized components but on ~10^5 binaries it runs for
# minutes without polling the interrupt callbacks (so no time limit or Ctrl-C); skip it there.
PRESOLVE_MAX_VARIABLES = 50_000
# A component is always solved from a start allocation, so HiGHS's heuristics for finding a
# first one (feasibility jump) and its root sub-MIP over reduced costs only cost time: with
# both off, 13 generated 900 x 150 problems proved optimal 1.5x faster (geometric mean), 11 of
# them faster (`python -m benchmarks.highs_options`, benchmarks/results/highs_options_900x150.json).
START_HEURISTICS_OFF = {
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_root_reduced_cost": False,
}


def _silence_banner() -> None:
    """HiGHS prints a banner on stdout when the first instance is made; keep stdout for results."""
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_silence_banner()


def binary_program(
    cost: np.ndarray,
    a_row: np.ndarray,
    a_col: np.ndarray,
    a_val: np.ndarray,
    row_upper: np.ndarray,
    row_lower: np.ndarray | None = None,
    col_lower: np.ndarray | None = None,
) -> highspy.HighsLp:
    """max cost @ x over binaries x, rows given as COO entries; every MIP enmusubi hands HiGHS."""
    n, m = len(cost), len(row_upper)
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = m
    lp.col_cost_ = np.asarray(cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(n) if col_lower is None else np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.ones(n)
    lp.row_lower_ = np.full(m, -highspy.kHighsInf) if row_lower is None else np.asarray(row_lower, dtype=np.float64)
    lp.row_upper_ = np.asarray(row_upper, dtype=np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize
    order = np.lexsort((a_row, a_col))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(a_col[order], np.arange(n + 1)).astype(np.int32)
    lp.a_matrix_.index_ = a_row[order].astype(np.int32)
    lp.a_matrix_.value_ = a_val[order].astype(np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


def _lp(component: Component, col_lower: np.ndarray | None = None) -> highspy.HighsLp:
    """Pair columns first, then one served column per group with the rows served_g - sum x <= 0;
    `col_lower` (per pair column) of 1 forces a pair in."""
    if component.n_served == 0:
        return binary_program(
            component.score, component.a_row, component.a_col, component.a_val, component.capacity, col_lower=col_lower
        )
    n, g = component.n_vars, component.n_served
    member = np.flatnonzero(component.served_of >= 0)
    link_row = component.n_rows + component.served_of[member]
    return binary_program(
        np.concatenate([component.score, np.full(g, component.equity)]),
        np.concatenate([component.a_row, link_row, component.n_rows + np.arange(g)]),
        np.concatenate([component.a_col, member, n + np.arange(g)]),
        np.concatenate([component.a_val, -np.ones(len(member)), np.ones(g)]),
        np.concatenate([component.capacity, np.zeros(g)]),
        col_lower=None if col_lower is None else np.concatenate([col_lower, np.zeros(g)]),
    )


def configured_highs(time_limit: float | None, seed: int = 0, absolute_gap: float = MIP_ABSOLUTE_GAP) -> highspy.Highs:
    """A silent HiGHS with enmusubi's settings. Threads are left to HiGHS: its scheduler is one
    per process, and asking one model for a different count makes every later run fail."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("mip_rel_gap", MIP_RELATIVE_GAP)
    h.setOptionValue("mip_abs_gap", absolute_gap)
    if time_limit is not None:
        h.setOptionValue("time_limit", max(float(time_limit), 0.01))
    return h


def solve_component(
    component: Component,
    hint: np.ndarray,
    time_limit: float | None,
    seed: int,
    stop: StopFlag | None = None,
    on_progress: ProgressHook | None = None,
    absolute_gap: float = MIP_ABSOLUTE_GAP,
    options: Mapping[str, bool | int | float | str] = START_HEURISTICS_OFF,
    col_lower: np.ndarray | None = None,
) -> ComponentOutcome:
    """Solve from `hint` (a feasible choice; `col_lower` of 1 forces a pair in); an answer whose columns
    do not add up to HiGHS's own objective is not believed."""
    deadline = None if time_limit is None else time.monotonic() + max(float(time_limit), 0.01)
    outcome, reported = _run(
        component, hint, time_limit, seed, stop, on_progress, absolute_gap, options, col_lower, careful=False
    )
    if reported is not None and abs(reported - outcome.objective) > absolute_gap + MIP_RELATIVE_GAP * abs(reported):
        # Seen with HiGHS 1.16: when its presolve solves a component outright, a start handed in with
        # setSolution comes back as the columns while the objective and status are the better answer's.
        log.warning(
            "HiGHS reported objective %.9f but its columns add up to %.9f; solving the component again "
            "without presolve and without the start",
            reported,
            outcome.objective,
        )
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.01)
        again, reported = _run(
            component, hint, remaining, seed, stop, on_progress, absolute_gap, options, col_lower, careful=True
        )
        agrees = reported is not None and abs(reported - again.objective) <= absolute_gap + MIP_RELATIVE_GAP * abs(
            reported
        )
        if not agrees:
            log.warning("HiGHS's answer still does not add up; the component is reported as not proven")
        best = again if again.objective >= outcome.objective else outcome
        # The careful run's bound is the one to trust when its answer adds up; the first run's bound
        # came with columns that did not, so it only widens the bound when nothing is proven.
        trusted = again.bound if agrees and again.optimal else max(outcome.bound, again.bound)
        bound = max(trusted, best.objective)
        outcome = ComponentOutcome(best.chosen, best.objective, bound, again.optimal and agrees, again.interrupted)
    return outcome


def _run(
    component: Component,
    hint: np.ndarray,
    time_limit: float | None,
    seed: int,
    stop: StopFlag | None,
    on_progress: ProgressHook | None,
    absolute_gap: float,
    options: Mapping[str, bool | int | float | str],
    col_lower: np.ndarray | None = None,
    *,
    careful: bool,
) -> tuple[ComponentOutcome, float | None]:
    """One HiGHS run; also HiGHS's own objective value (None when it has no solution) to check the columns by.

    `careful` runs without presolve and without the start, the way that returned correct columns. A large
    component that may be stopped runs in a child process that can be ended (solver/isolated.py).
    """
    if stop is not None and component.n_vars >= isolated.ISOLATE_MIN_VARIABLES:
        search = {
            "seed": seed,
            "absolute_gap": absolute_gap,
            "options": dict(options),
            "col_lower": col_lower,
            "careful": careful,
        }
        return isolated.run_isolated(component, hint, time_limit, stop, on_progress, search)
    return run_here(
        component,
        hint,
        time_limit,
        stop,
        on_progress,
        None,
        seed=seed,
        absolute_gap=absolute_gap,
        options=options,
        col_lower=col_lower,
        careful=careful,
    )


def run_here(
    component: Component,
    hint: np.ndarray,
    time_limit: float | None,
    stop: StopFlag | None,
    on_progress: ProgressHook | None,
    on_incumbent: IncumbentHook | None,
    *,
    seed: int,
    absolute_gap: float,
    options: Mapping[str, bool | int | float | str],
    col_lower: np.ndarray | None,
    careful: bool,
) -> tuple[ComponentOutcome, float | None]:
    """One HiGHS run in this process (see `_run`); `on_incumbent` hears each improving allocation."""
    h = configured_highs(time_limit, seed, absolute_gap)
    for option, value in options.items():
        h.setOptionValue(option, value)
    if careful or component.n_vars > PRESOLVE_MAX_VARIABLES:
        h.setOptionValue("presolve", "off")
    h.passModel(_lp(component, col_lower))
    if not careful:
        sol = highspy.HighsSolution()
        sol.col_value = np.concatenate([hint, component.groups_served(hint)]).astype(np.float64)
        sol.value_valid = True
        h.setSolution(sol)
    interrupted = False
    last_report = 0.0
    deadline = None if time_limit is None else time.monotonic() + max(float(time_limit), 0.01)

    def poll(event: highspy.HighsCallbackEvent) -> None:
        """Polled by simplex, IPM and branch and bound: stop when asked or when time is up."""
        nonlocal interrupted
        if stop is not None and stop.is_set():
            interrupted = True
            event.interrupt()
        elif deadline is not None and time.monotonic() > deadline:
            event.interrupt()

    def search(event: highspy.HighsCallbackEvent) -> None:
        """Branch and bound also reports its incumbent and bound as they move."""
        nonlocal last_report
        poll(event)
        now = time.monotonic()
        if on_progress is not None and now - last_report >= PROGRESS_INTERVAL:
            last_report = now
            out = event.data_out
            on_progress(float(out.mip_primal_bound), float(out.mip_dual_bound))

    def improved(event: highspy.HighsCallbackEvent) -> None:
        if on_incumbent is not None:
            on_incumbent(np.asarray(event.data_out.mip_solution)[: component.n_vars] > 0.5)

    h.cbMipInterrupt.subscribe(search)
    if on_incumbent is not None:
        h.cbMipImprovingSolution.subscribe(improved)
    h.cbSimplexInterrupt.subscribe(poll)
    h.cbIpmInterrupt.subscribe(poll)
    run_status = h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value, dtype=np.float64)
    solved = len(values) == component.n_vars + component.n_served and info.primal_solution_status != 0
    chosen = values[: component.n_vars] > 0.5 if solved else hint.copy()
    objective = component.value(chosen)
    reported = float(info.objective_function_value) if solved else None
    optimal = status == highspy.HighsModelStatus.kOptimal and not interrupted
    if run_status == highspy.HighsStatus.kError:
        # No search happened (e.g. a thread-scheduler clash): the dual bound is meaningless, use the trivial one.
        log.warning("HiGHS failed on a component (%s); keeping the start allocation", h.modelStatusToString(status))
        bound, optimal, reported = component.upper_bound(), False, None
    else:
        # The bound is HiGHS's dual bound, never the objective of the columns: a stale column set
        # must not pass for optimal by having its own value as the bound.
        dual = float(info.mip_dual_bound)
        bound = max(dual, objective) if np.isfinite(dual) else component.upper_bound()
    return ComponentOutcome(chosen, objective, bound, optimal, interrupted), reported
