"""Scenario variants as Ray tasks: on a local Ray started for the run, or on an existing cluster.

Imported only when `--executor ray` (or the API setting) asks for it, so Ray stays an optional
extra (`pip install 'enmusubi[ray]'`). Each variant is one task running the same `_solve_job`
as the local process pool, so results are the same whichever executor ran them. On a cluster
every node needs enmusubi installed (the same version: results record it). The scenario's
deadline is a monotonic clock reading of this machine, so tasks get their time limit as seconds
left when they are submitted instead.
"""

from __future__ import annotations

import logging
from typing import Any

import ray

from enmusubi.scenarios.run import STOP_POLL_SECONDS, Clock, SolveJob, _solve_job, available_cores
from enmusubi.solver import Result

log = logging.getLogger(__name__)


class RayExecutor:
    """Variants as Ray tasks of one CPU each, results gathered in the variants' order."""

    name = "ray"

    def __init__(self, *, address: str | None, workers: int | None, keep_running: bool = False) -> None:
        self._address = address
        self._requested = workers
        self._keep_running = keep_running
        self._started_ray = False
        self.workers = workers or 1
        self._task: Any = None

    def start(self) -> None:
        if not ray.is_initialized():
            if self._address:
                ray.init(address=self._address, log_to_driver=False)
            else:
                cpus = self._requested or available_cores()
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False)
            self._started_ray = True
        self.workers = self._requested or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._task = ray.remote(num_cpus=1)(_solve_job)
        log.info("ray: %d worker CPU(s) at %s", self.workers, self._address or "a local Ray")

    def solve_all(self, jobs: list[SolveJob], clock: Clock) -> list[Result]:
        clock.check()
        limit = clock.limit()
        refs = [self._task.remote((problem, hint, limit, None)) for problem, hint, *_ in jobs]
        pending = list(refs)
        try:
            while pending:
                clock.check()
                _, pending = ray.wait(pending, num_returns=len(pending), timeout=STOP_POLL_SECONDS)
        except BaseException:
            for ref in pending:
                ray.cancel(ref)
            raise
        return [Result.model_validate_json(text) for text in ray.get(refs)]

    def close(self) -> None:
        if self._started_ray and not self._keep_running:
            ray.shutdown()
