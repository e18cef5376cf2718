"""Solving a scenario: the base first, then every variant from the base's allocation, across the cores.

Variants run in worker processes: HiGHS releases the GIL, but validation, scoring, the
greedy start and building results are Python, so only processes overlap fully. They are
started from a fork server that imports the engine once, so a worker costs a fork rather
than a fresh interpreter. Problems go out as dicts and results come back as JSON. As with
any non-fork start method, a script calling `run_scenario` needs the `if __name__ == "__main__":`
guard (the CLI, the API server and pytest have it).

A scenario can have one overall time limit (`total_seconds`, the service's
ENMUSUBI_MAX_SCENARIO_SECONDS): every solve gets at most what is left of it, so a solve
still running when it passes stops with its best allocation (status feasible). A `stop`
flag (the service's client went away) stops the solve under way and the variants after it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from enmusubi.scenarios.changes import change_to_dict
from enmusubi.scenarios.compare import VariantDiff, compare_results
from enmusubi.scenarios.scenario import Scenario, build_variant, variant_slugs
from enmusubi.solver import Result, StopFlag, solve

log = logging.getLogger(__name__)

Hint = list[tuple[str, str]]
SolveJob = tuple[dict[str, Any], Hint, float | None, float | None]  # problem, hint, per-solve limit, deadline
STOP_POLL_SECONDS = 0.2  # how often the parallel path looks at the stop flag while variants solve


class ScenarioStoppedError(RuntimeError):
    """The stop flag was set: the scenario ended before all of it was solved, and has no result."""


class VariantRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    slug: str = Field(description="the variant's directory name in a scenario's output")
    changes: list[dict[str, Any]] = Field(description="the variant's changes as the scenario file gives them")
    notes: list[str] = Field(description="what the changes did besides the obvious: additions, cascades of remove")
    result: Result
    diff: VariantDiff


class ScenarioRun(BaseModel):
    """The base result, every variant's result and difference, and how long it all took."""

    model_config = ConfigDict(frozen=True)

    name: str
    base: Result
    variants: list[VariantRun]
    wall_seconds: float = Field(description="the whole run: building, the base solve and the variants")
    variants_seconds: float = Field(description="wall time of the variants' solves alone")
    parallel: bool
    workers: int = Field(description="processes that solved the variants (1 when one after another)")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _capped(per_solve: float | None, deadline: float | None) -> float | None:
    """A solve's time limit: the per-solve one, capped by what is left before the scenario's deadline.

    The deadline is a time.monotonic() value, which on one machine is the same clock in every process."""
    if deadline is None:
        return per_solve
    left = max(deadline - time.monotonic(), 0.0)
    return left if per_solve is None else min(per_solve, left)


def _solve_job(job: SolveJob) -> str:
    """Worker side: solve one variant problem from the hint; the Result as JSON (cheap to send back)."""
    problem, hint, per_solve, deadline = job
    return solve(problem, time_limit_seconds=_capped(per_solve, deadline), hint=hint).to_json(indent=None)


def _worker_ready() -> int:
    return os.getpid()


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["enmusubi.scenarios.run"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


class _Clock:
    """The time left of one scenario: each solve's limit is the scenario's per-solve one, capped by what is left."""

    def __init__(self, per_solve: float | None, total: float | None, stop: StopFlag | None) -> None:
        self.per_solve = per_solve
        self.deadline = None if total is None else time.monotonic() + total
        self.stop = stop

    def limit(self) -> float | None:
        self.check()
        return _capped(self.per_solve, self.deadline)

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise ScenarioStoppedError("the scenario was stopped")


def _collect(futures: list[Future[str]], clock: _Clock) -> list[Result]:
    """The variants' results in order, looking at the stop flag while they solve."""
    pending = set(futures)
    while pending:
        clock.check()
        _, pending = wait(pending, timeout=STOP_POLL_SECONDS)
    return [Result.model_validate_json(future.result()) for future in futures]


def run_scenario(
    scenario: Scenario,
    *,
    parallel: bool = True,
    workers: int | None = None,
    total_seconds: float | None = None,
    stop: StopFlag | None = None,
) -> ScenarioRun:
    """Solve the base, then every variant starting from the base's allocation (repaired where it no longer fits).

    `parallel` solves the variants in `workers` processes (default: one per core); otherwise one
    after another in this process. `total_seconds` caps the whole scenario; `stop` ends it early
    with ScenarioStoppedError (in parallel, variants already solving in other processes finish on
    their own time limit). Raises InputError only for what `parse_scenario` would reject.
    """
    started = time.monotonic()
    clock = _Clock(scenario.time_limit_seconds, total_seconds, stop)
    applied = [build_variant(scenario.base, variant, k) for k, variant in enumerate(scenario.variants)]
    n_workers = min(workers or available_cores(), len(applied)) if parallel else 1
    pool: Executor | None = None
    warm: list[Future[int]] = []
    try:
        if n_workers > 1:
            pool = _pool(n_workers)
            warm += [pool.submit(_worker_ready) for _ in range(n_workers)]  # start workers while the base solves
        base = solve(scenario.base, time_limit_seconds=clock.limit(), stop=stop)
        hint: Hint = sorted(base.pair_set())
        log.info("scenario %r: base solved (%s, objective %.6f)", scenario.name, base.status, base.objective)
        variants_started = time.monotonic()
        if pool is not None:
            for future in warm:
                future.result()
            clock.check()
            jobs = [(a.problem.to_json_dict(), hint, clock.per_solve, clock.deadline) for a in applied]
            futures = [pool.submit(_solve_job, job) for job in jobs]
            results = _collect(futures, clock)
        else:
            results = [solve(a.problem, time_limit_seconds=clock.limit(), hint=hint, stop=stop) for a in applied]
        clock.check()
        variants_seconds = time.monotonic() - variants_started
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    runs = [
        VariantRun(
            name=variant.name,
            slug=slug,
            changes=[change_to_dict(c) for c in variant.changes],
            notes=a.notes,
            result=result,
            diff=compare_results(base, result),
        )
        for variant, slug, a, result in zip(scenario.variants, variant_slugs(scenario), applied, results, strict=True)
    ]
    wall = time.monotonic() - started
    log.info("scenario %r: %d variants in %.2f s, %d worker(s)", scenario.name, len(runs), variants_seconds, n_workers)
    return ScenarioRun(
        name=scenario.name,
        base=base,
        variants=runs,
        wall_seconds=wall,
        variants_seconds=variants_seconds,
        parallel=n_workers > 1,
        workers=n_workers,
    )
