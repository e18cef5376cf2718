"""Live progress of running batch runs, kept in memory beside the worker pool.

The solve's Progress callbacks (phase, elapsed, best objective and bound) land here, keyed by run
id; `GET /v1/runs/{id}` and its event stream read them. Progress is transient by nature (it is
worthless once the run ends, and the stored run says how it ended), so it is not written to the
database: a run's progress is seen through the service process that solves it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from enmusubi.solver import Progress


@dataclass(frozen=True)
class RunProgress:
    """What `progress` of a running run says (API.md, Additions)."""

    phase: str
    elapsed_seconds: float
    objective: float | None
    bound: float | None
    version: int  # increases with every update: an event stream sends each version once

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        return max(self.bound - self.objective, 0.0) / max(abs(self.objective), 1e-9)


class ProgressBoard:
    """The latest progress of each running run (thread-safe: solves write from worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, RunProgress] = {}
        self._version = 0

    def update(self, run_id: str, progress: Progress) -> None:
        with self._lock:
            self._version += 1
            self._latest[run_id] = RunProgress(
                progress.phase, progress.elapsed, progress.objective, progress.bound, self._version
            )

    def get(self, run_id: str) -> RunProgress | None:
        with self._lock:
            return self._latest.get(run_id)

    def clear(self, run_id: str) -> None:
        with self._lock:
            self._latest.pop(run_id, None)
