"""`solve()`: problem in, result out. Infeasibility and time limits are results, not exceptions;
only invalid input raises (InputError)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from enmusubi.solver.certify import Certificate, certify
from enmusubi.solver.data import ProblemData, compile_problem
from enmusubi.solver.diagnose import (
    municipality_summaries,
    partner_summaries,
    unfilled_positions,
    unserved_municipalities,
)
from enmusubi.solver.engines import DEFAULT_ENGINE, Engine, EngineName, engine_named
from enmusubi.solver.greedy import greedy
from enmusubi.solver.large import is_large, share_of_time, solve_large
from enmusubi.solver.model import AssignmentModel, build_model
from enmusubi.solver.objective import objective_value, served_mask
from enmusubi.solver.outcome import ComponentOutcome, StopFlag
from enmusubi.solver.problem import Problem, parse_problem
from enmusubi.solver.result import Assignment, Reproducibility, Result, Stats
from enmusubi.solver.scoring import Candidates, score_candidates
from enmusubi.solver.tolerances import CAPACITY_EPS, optimality_tolerance
from enmusubi.solver.warnings import input_warnings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A snapshot for progress displays: phase, seconds since start, best objective and bound so far."""

    phase: str
    elapsed: float
    objective: float | None = None
    bound: float | None = None


ProgressCallback = Callable[[Progress], None]


def enmusubi_version() -> str:
    try:
        return version("enmusubi")
    except PackageNotFoundError:
        return "0+unknown"


@dataclass
class _Solved:
    chosen: np.ndarray  # bool over candidates
    bound: float
    optimal: bool
    stopped: bool
    engine_components: int


def _solve_components(
    data: ProblemData,
    model: AssignmentModel,
    cands: Candidates,
    engine: Engine,
    hint_mask: np.ndarray | None,
    deadline: float | None,
    seed: int,
    stop: StopFlag | None,
    report: Callable[[float, float], None] | None,
    large_path: bool = False,
) -> _Solved:
    chosen = np.zeros(len(cands), dtype=bool)
    chosen[model.locked] = True
    # The locks' scores and the equity reward of the municipalities they serve are constant.
    locked_score = objective_value(data, cands, chosen)
    # Start every component from the greedy allocation (seeded by the hint where given).
    starts = [greedy(c, None if hint_mask is None else hint_mask[c.pairs]) for c in model.components]
    start_values = [c.value(s) for c, s in zip(model.components, starts, strict=True)]
    best = list(start_values)
    bounds = [c.upper_bound() for c in model.components]
    optimal, stopped, by_engine = True, False, 0
    # PROBLEM.md §6 calls a result optimal within max(1e-3, 1e-6 |optimum|); the greedy value is a
    # lower bound on the optimum, and half the tolerance is shared out among the engine's components.
    hard = sum(1 for c in model.components if not (c.is_free() or c.is_unit_single_row()))
    tolerance = optimality_tolerance(locked_score + sum(start_values))
    absolute_gap = 0.5 * tolerance / max(hard, 1)

    def publish() -> None:
        if report is not None:
            report(locked_score + sum(best), locked_score + sum(bounds))

    for k, comp in enumerate(model.components):
        outcome: ComponentOutcome
        if comp.is_free():
            take = comp.free_choice()
            outcome = ComponentOutcome(take, comp.value(take), comp.value(take), True)
        elif comp.is_unit_single_row():
            take = np.zeros(comp.n_vars, dtype=bool)
            take[np.argsort(-comp.score, kind="stable")[: int(np.floor(comp.capacity[0] + CAPACITY_EPS))]] = True
            value = comp.value(take)
            outcome = ComponentOutcome(take, value, value, True)
        else:
            remaining = None if deadline is None else deadline - time.monotonic()
            if (stop is not None and stop.is_set()) or (remaining is not None and remaining <= 0):
                outcome = ComponentOutcome(starts[k], start_values[k], bounds[k], False, True)
            else:
                by_engine += 1

                def on_progress(objective: float, bound: float, k: int = k) -> None:
                    best[k] = max(best[k], objective)
                    bounds[k] = min(bounds[k], bound)
                    publish()

                if large_path and remaining is not None and is_large(comp, remaining):  # solver/large.py
                    until = time.monotonic() + share_of_time(model.components, k, remaining)
                    outcome = solve_large(comp, starts[k], until, stop, on_progress, absolute_gap, seed)
                else:
                    outcome = engine.solve_component(comp, starts[k], remaining, seed, stop, on_progress, absolute_gap)
        if outcome.objective < start_values[k] - 1e-12 and not outcome.optimal:
            bound = max(outcome.bound, start_values[k])
            outcome = ComponentOutcome(starts[k], start_values[k], bound, False, outcome.interrupted)
        if hint_mask is not None and start_values[k] >= outcome.objective - 1e-9:
            # A tie: keep the allocation built from the hint, so a re-solve moves only what it must.
            bound = max(outcome.bound, start_values[k])
            outcome = ComponentOutcome(starts[k], start_values[k], bound, outcome.optimal, outcome.interrupted)
        chosen[comp.pairs[outcome.chosen]] = True
        best[k], bounds[k] = outcome.objective, max(outcome.bound, outcome.objective)
        optimal &= outcome.optimal
        stopped |= outcome.interrupted or not outcome.optimal
        publish()
    return _Solved(chosen, locked_score + sum(bounds), optimal, stopped and not optimal, by_engine)


def _hint_mask(data: ProblemData, cands: Candidates, hint: Iterable[tuple[str, str]] | None) -> np.ndarray | None:
    if hint is None:
        return None
    keys = {(data.partner_index.get(p, -1), data.position_index.get(j, -1)) for p, j in hint}
    wanted = np.array([data.pair_keys(np.array([i]), np.array([j]))[0] for i, j in keys if i >= 0 and j >= 0])
    return np.isin(data.pair_keys(cands.partner, cands.position), wanted)


def solve(
    problem: Problem | Mapping[str, Any],
    *,
    time_limit_seconds: float | None = None,
    seed: int = 0,
    engine: EngineName = "auto",
    hint: Iterable[tuple[str, str]] | None = None,
    stop: StopFlag | None = None,
    progress: ProgressCallback | None = None,
) -> Result:
    """Solve a problem exactly (or as far as the time limit allows).

    `hint` is a previous allocation as (partner, position) ids to start from; it is
    repaired where it no longer fits. `stop` ends the search early with the best
    allocation found, marked not proven. Raises InputError for invalid input only.
    """
    started = time.monotonic()
    deadline = None if time_limit_seconds is None else started + float(time_limit_seconds)
    if not isinstance(problem, Problem):
        problem = parse_problem(problem)
    engine_name = DEFAULT_ENGINE if engine == "auto" else engine
    chosen_engine = engine_named(engine_name)

    def emit(phase: str, objective: float | None = None, bound: float | None = None) -> None:
        if progress is not None:
            progress(Progress(phase, time.monotonic() - started, objective, bound))

    emit("scoring")
    t0 = time.monotonic()
    data = compile_problem(problem)
    cands = score_candidates(data)
    t1 = time.monotonic()
    emit("model")
    model = build_model(data, cands)
    t2 = time.monotonic()
    emit("solving")
    solved = _solve_components(
        data,
        model,
        cands,
        chosen_engine,
        _hint_mask(data, cands, hint),
        None if deadline is None else deadline - _reporting_reserve(data, cands, float(time_limit_seconds or 0.0)),
        seed,
        stop,
        lambda objective, bound: emit("solving", objective, bound),
        large_path=engine_name == "highs",
    )
    certificate = _certified(problem, data, cands, solved)
    t3 = time.monotonic()
    emit("reporting")
    result = _result(
        data,
        cands,
        model,
        solved,
        certificate,
        engine_name,
        chosen_engine.VERSION,
        seed,
        time_limit_seconds,
        (t0, t1, t2, t3),
        started,
    )
    emit("done", result.objective, result.best_bound)
    return result


def _reporting_reserve(data: ProblemData, cands: Candidates, limit: float) -> float:
    """Seconds kept back from the search for the certificate and the result (summaries per partner,
    position and municipality), so the whole answer arrives within the limit: ~1 s at 20,000 x 2,000
    (120,000 pairs) on the 2-core machine, and at 100,000 x 10,000 (2.9 M pairs) a run with half this
    reserve ended 6.6 s late under load; at most a tenth of the limit."""
    estimate = 0.4 + 4e-5 * (data.n_partners + data.n_positions) + 2e-6 * len(cands)
    return min(estimate, 0.1 * limit)


class UncertifiedAllocationError(RuntimeError):
    """The engines' allocation breaks a rule of the problem: a defect of enmusubi, never returned as a result."""


def _certified(problem: Problem, data: ProblemData, cands: Candidates, solved: _Solved) -> Certificate:
    """Check the allocation by solver/certify.py, which shares no code with the engines.

    A broken rule is a defect and raises; an objective that differs from the engines' by more than
    rounding is logged and the recomputed one is what the result reports.
    """
    chosen = np.flatnonzero(solved.chosen)
    pairs = [(data.partner_ids[int(cands.partner[k])], data.position_ids[int(cands.position[k])]) for k in chosen]
    certificate = certify(problem, pairs)
    if not certificate.feasible:
        raise UncertifiedAllocationError(
            "the allocation breaks the problem's rules: " + "; ".join(certificate.violations)
        )
    engine_objective = objective_value(data, cands, solved.chosen)
    if abs(engine_objective - certificate.objective) > optimality_tolerance(certificate.objective) / 10:
        log.warning(
            "the objective of the chosen pairs is %.9f by the engine's arithmetic and %.9f by the check",
            engine_objective,
            certificate.objective,
        )
    return certificate


def _result(
    data: ProblemData,
    cands: Candidates,
    model: AssignmentModel,
    solved: _Solved,
    certificate: Certificate,
    engine_name: str,
    solver_version: str,
    seed: int,
    time_limit_seconds: float | None,
    marks: tuple[float, float, float, float],
    started: float,
) -> Result:
    problem = data.problem
    chosen_idx = np.flatnonzero(solved.chosen)
    objective = certificate.objective
    bound = max(solved.bound, objective)
    optimal = solved.optimal and certificate.proves_optimal(bound)
    gap = 0.0 if optimal else (bound - objective) / max(abs(objective), 1e-9)
    locked = set(model.locked.tolist())
    assignments = []
    for k in chosen_idx.tolist():
        i, j = int(cands.partner[k]), int(cands.position[k])
        m = int(data.position_muni[j])
        pos = problem.positions[j]
        assignments.append(
            Assignment(
                partner=data.partner_ids[i],
                partner_name=problem.partners[i].name,
                position=data.position_ids[j],
                position_title=pos.title,
                municipality=data.muni_ids[m],
                municipality_name=problem.municipalities[m].name,
                score=float(cands.score[k]),
                cost_yen=float(cands.cost[k]),
                commute_minutes=float(cands.commute_minutes[k]),
                hours=float(data.position_hours[j]),
                onsite_days_per_week=int(data.onsite_days[j]),
                locked=k in locked,
                incumbent=bool(cands.incumbent[k]),
                breakdown=cands.breakdown(data, k),
            )
        )
    status = "optimal" if optimal else "feasible"
    if optimal:
        message = "proven optimal"
    else:
        message = f"not proven optimal: search stopped with a relative gap of {gap:.3%} to the best bound"
    t0, t1, t2, t3 = marks
    return Result(
        status=status,
        objective=objective,
        best_bound=bound,
        gap=gap,
        stopped=solved.stopped and not optimal,
        message=message,
        assignments=assignments,
        unfilled=unfilled_positions(data, cands, solved.chosen),
        municipalities=municipality_summaries(data, cands, solved.chosen),
        partners=partner_summaries(data, cands, solved.chosen),
        stats=Stats(
            pairs=data.n_partners * data.n_positions,
            eligible_pairs=len(cands),
            variables=model.n_variables,
            rows=model.n_rows,
            components=len(model.components),
            components_by_engine=solved.engine_components,
            scoring_seconds=t1 - t0,
            model_seconds=t2 - t1,
            solve_seconds=t3 - t2,
            total_seconds=time.monotonic() - started,
        ),
        reproducibility=Reproducibility(
            input_digest=data.digest,
            seed=seed,
            engine=engine_name,
            solver_version=solver_version,
            enmusubi_version=enmusubi_version(),
            time_limit_seconds=time_limit_seconds,
        ),
        score_total=math.fsum(certificate.pair_scores.values()),
        served_municipalities=int(served_mask(data, cands, solved.chosen).sum()),
        municipalities_with_positions=len(np.unique(data.position_muni)),
        unserved=unserved_municipalities(data, cands, solved.chosen),
        warnings=input_warnings(problem),
    )
