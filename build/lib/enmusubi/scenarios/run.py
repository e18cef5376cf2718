"""Solving a scenario: the base first, then every variant from the base's allocation, across the cores.

Variants run in worker processes: HiGHS releases the GIL, but validation, scoring, the
greedy start and building results are Python, so only processes overlap fully. They are
started from a fork server that imports the engine once, so a worker costs a fork rather
than a fresh interpreter. Problems go out as dicts and results come back as JSON. As with
any non-fork start method, a script calling `run_scenario` needs the `if __name__ == "__main__":`
guard (the CLI, the API server and pytest have it).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from enmusubi.scenarios.changes import change_to_dict
from enmusubi.scenarios.compare import VariantDiff, compare_results
from enmusubi.scenarios.scenario import Scenario, build_variant, variant_slugs
from enmusubi.solver import Result, solve

log = logging.getLogger(__name__)

Hint = list[tuple[str, str]]
SolveJob = tuple[dict[str, Any], Hint, float | None]


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


def _solve_job(job: SolveJob) -> str:
    """Worker side: solve one variant problem from the hint; the Result as JSON (cheap to send back)."""
    problem, hint, time_limit = job
    return solve(problem, time_limit_seconds=time_limit, hint=hint).to_json(indent=None)


def _worker_ready() -> int:
    return os.getpid()


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["enmusubi.scenarios.run"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def run_scenario(scenario: Scenario, *, parallel: bool = True, workers: int | None = None) -> ScenarioRun:
    """Solve the base, then every variant starting from the base's allocation (repaired where it no longer fits).

    `parallel` solves the variants in `workers` processes (default: one per core); otherwise one
    after another in this process. Raises InputError only for what `parse_scenario` would reject.
    """
    started = time.monotonic()
    applied = [build_variant(scenario.base, variant, k) for k, variant in enumerate(scenario.variants)]
    n_workers = min(workers or available_cores(), len(applied)) if parallel else 1
    pool: Executor | None = None
    warm: list[Future[int]] = []
    try:
        if n_workers > 1:
            pool = _pool(n_workers)
            warm += [pool.submit(_worker_ready) for _ in range(n_workers)]  # start workers while the base solves
        base = solve(scenario.base, time_limit_seconds=scenario.time_limit_seconds)
        hint: Hint = sorted(base.pair_set())
        log.info("scenario %r: base solved (%s, objective %.6f)", scenario.name, base.status, base.objective)
        variants_started = time.monotonic()
        if pool is not None:
            for future in warm:
                future.result()
            jobs = [(a.problem.to_json_dict(), hint, scenario.time_limit_seconds) for a in applied]
            results = [Result.model_validate_json(text) for text in pool.map(_solve_job, jobs)]
        else:
            results = [solve(a.problem, time_limit_seconds=scenario.time_limit_seconds, hint=hint) for a in applied]
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
