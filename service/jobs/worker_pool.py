"""The worker pool: solves run on threads beside the event loop, fed by one bounded queue.

Threads, not processes, by measurement: HiGHS releases the GIL while it searches (a thread
sleeping 2 ms beside a running solve overshoots by 0.1 ms at the median), and on the 2-core
machine GET latency with two solves running in the server's threads (p50 19 ms, p90 41 ms)
matched two solves running in separate processes (p50 24 ms, p90 45 ms): what a solve costs
the GETs is CPU, not the GIL. Threads need no pickling of problems or results, and a
`StopFlag` stops a running solve at HiGHS' next MIP callback. Two kinds of job share the
queue and the threads: stored batch runs (by id; the database says what happens to them)
and immediate calls whose caller awaits a Future.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from enmusubi.service.jobs.progress import ProgressBoard
from enmusubi.service.jobs.store import INTERRUPTED, RunStore
from enmusubi.solver import InputError, Result, StopFlag, parse_problem, solve

log = logging.getLogger(__name__)
T = TypeVar("T")

SolveFunction = Callable[..., Result]


class QueueFullError(RuntimeError):
    """Every place in the queue is taken: the caller answers 429 with Retry-After."""


class PoolClosedError(RuntimeError):
    """The service is stopping and takes no new work: 503."""


@dataclass(eq=False)
class _Job:
    stop: StopFlag = field(default_factory=StopFlag)
    run_id: str | None = None
    call: Callable[[StopFlag], Any] | None = None
    future: Future[Any] | None = None


class Reservation:
    """A place in the queue held while a run is written to the store, so a full queue never leaves a row behind."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self.used = False

    def put_run(self, run_id: str) -> None:
        self._pool._put(_Job(run_id=run_id), reserved=True)
        self.used = True


class WorkerPool:
    """`workers` threads taking jobs from a queue of at most `queue_size` waiting jobs."""

    def __init__(self, store: RunStore, *, workers: int, queue_size: int, solve_function: SolveFunction = solve):
        self.store = store
        self.workers = workers
        self.queue_size = queue_size
        self._solve = solve_function
        self._queue: deque[_Job] = deque()
        self._reserved = 0
        self._running: dict[int, _Job] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._threads: list[threading.Thread] = []
        self.progress = ProgressBoard()

    # --- life cycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the threads; a pool that was shut down can be started again (an app's lifespan may restart)."""
        with self._cond:
            self._closed = False
        for number in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"enmusubi-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop taking work, stop running solves (their runs are marked failed as interrupted), join the threads.

        Queued runs stay `queued` in the store and are picked up by the next start.
        """
        with self._cond:
            self._closed = True
            waiting = [job for job in self._queue if job.future is not None]
            self._queue.clear()
            for job in self._running.values():
                job.stop.stop()
            self._cond.notify_all()
        for job in waiting:
            assert job.future is not None
            if job.future.set_running_or_notify_cancel():
                job.future.set_exception(PoolClosedError("the service is stopping"))
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # --- putting work in ----------------------------------------------------------------------------------------

    def _put(self, job: _Job, *, reserved: bool = False) -> None:
        with self._cond:
            if self._closed:
                raise PoolClosedError("the service is stopping")
            if not reserved and len(self._queue) + self._reserved >= self.queue_size:
                raise QueueFullError(f"all {self.queue_size} places in the queue are taken")
            if reserved:
                self._reserved -= 1
            self._queue.append(job)
            self._cond.notify()

    @contextmanager
    def reserve(self) -> Iterator[Reservation]:
        """Hold a place for a run about to be stored; QueueFullError or PoolClosedError at once when there is none."""
        with self._cond:
            if self._closed:
                raise PoolClosedError("the service is stopping")
            if len(self._queue) + self._reserved >= self.queue_size:
                raise QueueFullError(f"all {self.queue_size} places in the queue are taken")
            self._reserved += 1
        reservation = Reservation(self)
        try:
            yield reservation
        finally:
            if not reservation.used:
                with self._cond:
                    self._reserved -= 1

    def requeue(self, run_ids: list[str]) -> None:
        """Runs accepted before a restart go back in line, whatever the queue's size (they were promised)."""
        with self._cond:
            self._queue.extend(_Job(run_id=run_id) for run_id in run_ids)
            self._cond.notify_all()

    def submit(self, call: Callable[[StopFlag], T]) -> tuple[Future[T], StopFlag]:
        """Run `call(stop)` on a worker; the Future gets its value. Setting the flag asks it to stop early."""
        job = _Job(call=call, future=Future())
        self._put(job)
        assert job.future is not None
        return job.future, job.stop

    def cancel_run(self, run_id: str) -> None:
        """Drop a queued run from the line or stop its running solve (the store already says `cancelled`)."""
        with self._cond:
            for job in list(self._queue):
                if job.run_id == run_id:
                    self._queue.remove(job)
            for job in self._running.values():
                if job.run_id == run_id:
                    job.stop.stop()

    def load(self) -> dict[str, int]:
        with self._cond:
            return {"workers": self.workers, "running": len(self._running), "queued": len(self._queue)}

    # --- the workers --------------------------------------------------------------------------------------------

    def _next(self) -> _Job | None:
        with self._cond:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            job = self._queue.popleft()
            self._running[id(job)] = job  # registered before the run is marked running, so a cancel always finds it
            return job

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                if job.run_id is not None:
                    self._run_stored(job.run_id, job.stop)
                else:
                    self._call(job)
            except Exception:  # a worker thread must survive anything one job does
                log.exception("worker job failed")
            finally:
                with self._cond:
                    self._running.pop(id(job), None)

    @staticmethod
    def _call(job: _Job) -> None:
        assert job.future is not None and job.call is not None
        if not job.future.set_running_or_notify_cancel():
            return
        try:
            value = job.call(job.stop)
        except BaseException as error:
            job.future.set_exception(error)
        else:
            job.future.set_result(value)

    def _run_stored(self, run_id: str, stop: StopFlag) -> None:
        if not self.store.mark_running(run_id):
            return  # cancelled while it waited
        try:
            self._solve_stored(run_id, stop)
        finally:
            self.progress.clear(run_id)

    def _solve_stored(self, run_id: str, stop: StopFlag) -> None:
        try:
            problem_json, time_limit = self.store.load_job(run_id)
            report = lambda progress: self.progress.update(run_id, progress)  # noqa: E731 (the solve's callback)
            result = self._solve(parse_problem(problem_json), time_limit_seconds=time_limit, stop=stop, progress=report)
        except InputError as error:
            self.store.finish_failed(run_id, f"invalid problem: {error}")
            return
        except Exception as error:
            log.exception("run %s failed", run_id)
            self.store.finish_failed(run_id, f"internal error: {type(error).__name__}: {error}")
            return
        payload = result.model_dump(mode="json")
        if stop.is_set() and self._closed:
            self.store.finish_failed(run_id, INTERRUPTED)
        elif not self.store.finish_done(run_id, payload):
            self.store.keep_stopped_result(run_id, payload)
