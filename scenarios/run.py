"""Solving a scenario: the base first, then every variant from the base's allocation, across the cores.

Where the variants run is a `VariantExecutor`: one after another in this process, in local
worker processes (the default), or as Ray tasks on a local Ray or a cluster (scenarios/ray_executor.py,
imported only when asked for). Every executor gets the same jobs (problem dict, the base's
pairs as the hint, the time limits) and hands back each variant's Result in the variants'
order, so the results and the report do not depend on it.

Local workers are processes: HiGHS releases the GIL, but validation, scoring, the greedy
start and building results are Python, so only processes overlap fully. They are started
from a fork server that imports the engine once, so a worker costs a fork rather than a fresh
interpreter. As with any non-fork start method, a script calling `run_scenario` needs the
`if __name__ == "__main__":` guard (the CLI, the API server and pytest have it).

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
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from enmusubi.scenarios.changes import change_to_dict
from enmusubi.scenarios.compare import VariantDiff, compare_results
from enmusubi.scenarios.scenario import Scenario, build_variant, variant_slugs
from enmusubi.solver import InputError, Issue, Result, StopFlag, solve

log = logging.getLogger(__name__)

Hint = list[tuple[str, str]]
SolveJob = tuple[dict[str, Any], Hint, float | None, float | None]  # problem, hint, per-solve limit, deadline
STOP_POLL_SECONDS = 0.2  # how often the parallel path looks at the stop flag while variants solve
ExecutorName = Literal["local", "ray"]


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
    executor: str = Field("local", description="where the variants ran: sequential, local (processes) or ray")


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


class Clock:
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


def _collect(futures: list[Future[str]], clock: Clock) -> list[Result]:
    """The variants' results in order, looking at the stop flag while they solve."""
    pending = set(futures)
    while pending:
        clock.check()
        _, pending = wait(pending, timeout=STOP_POLL_SECONDS)
    return [Result.model_validate_json(future.result()) for future in futures]


class VariantExecutor(Protocol):
    """Where variants are solved. `start` may begin warming workers while the base solves; `solve_all` gives
    each job's Result in the jobs' order, checking `clock` (the stop flag) while they solve."""

    name: str
    workers: int

    def start(self) -> None: ...

    def solve_all(self, jobs: list[SolveJob], clock: Clock) -> list[Result]: ...

    def close(self) -> None: ...


class SequentialExecutor:
    """One variant after another in this process (also what a single variant or worker gets)."""

    name = "sequential"
    workers = 1

    def start(self) -> None:
        pass

    def solve_all(self, jobs: list[SolveJob], clock: Clock) -> list[Result]:
        return [
            solve(problem, time_limit_seconds=clock.limit(), hint=hint, stop=clock.stop) for problem, hint, *_ in jobs
        ]

    def close(self) -> None:
        pass


class ProcessExecutor:
    """Local worker processes from a fork server that has imported the engine."""

    name = "local"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["enmusubi.scenarios.run"])
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self._warm: list[Future[int]] = []

    def start(self) -> None:
        self._warm = [self._pool.submit(_worker_ready) for _ in range(self.workers)]

    def solve_all(self, jobs: list[SolveJob], clock: Clock) -> list[Result]:
        for future in self._warm:
            future.result()
        clock.check()
        return _collect([self._pool.submit(_solve_job, job) for job in jobs], clock)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_executor(
    executor: ExecutorName, *, variants: int, parallel: bool, workers: int | None, address: str | None = None,
    keep_ray: bool = False,
) -> VariantExecutor:  # fmt: skip
    """The executor asked for; `ray` needs the `enmusubi[ray]` extra (an input error on `executor` without it)."""
    if executor == "ray":
        try:
            from enmusubi.scenarios.ray_executor import RayExecutor
        except ImportError as error:
            raise InputError(
                Issue("executor", f"ray is not installed ({error}): pip install 'enmusubi[ray]'")
            ) from None
        return RayExecutor(address=address, workers=workers, keep_running=keep_ray)
    n_workers = min(workers or available_cores(), variants) if parallel else 1
    return ProcessExecutor(n_workers) if n_workers > 1 else SequentialExecutor()


def run_scenario(
    scenario: Scenario,
    *,
    parallel: bool = True,
    workers: int | None = None,
    total_seconds: float | None = None,
    stop: StopFlag | None = None,
    executor: ExecutorName = "local",
    address: str | None = None,
    keep_ray: bool = False,
) -> ScenarioRun:
    """Solve the base, then every variant starting from the base's allocation (repaired where it no longer fits).

    `executor="local"` with `parallel` solves the variants in `workers` processes (default: one per core);
    without `parallel`, one after another in this process. `executor="ray"` solves them as Ray tasks on the
    cluster at `address` (default: a local Ray of `workers` CPUs, started for the run unless one is running;
    `keep_ray` leaves a Ray this call started running for the next). `total_seconds` caps the whole scenario;
    `stop` ends it early with ScenarioStoppedError (variants already solving in other processes finish on
    their own time limit). Raises InputError only for what `parse_scenario` would reject, and on `executor`
    when Ray is not installed.
    """
    started = time.monotonic()
    clock = Clock(scenario.time_limit_seconds, total_seconds, stop)
    applied = [build_variant(scenario.base, variant, k) for k, variant in enumerate(scenario.variants)]
    runner = make_executor(
        executor, variants=len(applied), parallel=parallel, workers=workers, address=address, keep_ray=keep_ray
    )
    try:
        runner.start()  # workers start while the base solves
        base = solve(scenario.base, time_limit_seconds=clock.limit(), stop=stop)
        hint: Hint = sorted(base.pair_set())
        log.info("scenario %r: base solved (%s, objective %.6f)", scenario.name, base.status, base.objective)
        variants_started = time.monotonic()
        jobs = [(a.problem.to_json_dict(), hint, clock.per_solve, clock.deadline) for a in applied]
        results = runner.solve_all(jobs, clock)
        clock.check()
        variants_seconds = time.monotonic() - variants_started
    finally:
        runner.close()
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
    log.info(
        "scenario %r: %d variants in %.2f s, %d worker(s) (%s)",
        scenario.name, len(runs), variants_seconds, runner.workers, runner.name,
    )  # fmt: skip
    return ScenarioRun(
        name=scenario.name,
        base=base,
        variants=runs,
        wall_seconds=wall,
        variants_seconds=variants_seconds,
        parallel=runner.workers > 1,
        workers=runner.workers,
        executor=runner.name,
    )
