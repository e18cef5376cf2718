"""The worker pool: solves run on threads beside the event loop; stored runs are claimed from the database.

Threads, not processes, by measurement: HiGHS releases the GIL while it searches (a thread
sleeping 2 ms beside a running solve overshoots by 0.1 ms at the median), and on the 2-core
machine GET latency with two solves running in the server's threads (p50 19 ms, p90 41 ms)
matched two solves running in separate processes (p50 24 ms, p90 45 ms): what a solve costs
the GETs is CPU, not the GIL. Threads need no pickling of problems or results, and a
`StopFlag` stops a running solve at HiGHS' next MIP callback.

Two kinds of job share the threads. Immediate calls (a caller awaits a Future) wait in this
process's bounded queue. Stored batch runs wait in the database, which is the queue shared by
every replica: an idle worker claims the oldest one (RunStore.claim, one winner however many
replicas race), and a monitor thread keeps this replica's heartbeat on the runs it holds, stops
the solves of runs that were cancelled (through any replica) or taken over, and runs the
retention sweep. A replica that dies stops beating; after `takeover_seconds` its runs are
claimed by another. A replica that stops cleanly hands its running runs back to the queue.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from enmusubi.service.jobs.progress import ProgressBoard
from enmusubi.service.jobs.store import Claim, RunStore, utc_now
from enmusubi.service.jobs.write_health import TRANSIENT_ERRORS, describe
from enmusubi.solver import InputError, Problem, Result, StopFlag, parse_problem, solve

log = logging.getLogger(__name__)
T = TypeVar("T")

SolveFunction = Callable[..., Result]
RELEASE_RETRY_SECONDS = 5.0  # handing runs back on shutdown: past this, the takeover after a missed heartbeat does it
PURGE_EVERY_SECONDS = 3600.0


class QueueFullError(RuntimeError):
    """Every place in the queue is taken: the caller answers 429 with Retry-After."""


class PoolClosedError(RuntimeError):
    """The service is stopping and takes no new work: 503."""


@dataclass(frozen=True)
class ReplicaOptions:
    """How this replica shares the database with others (the settings of the same names)."""

    replica_id: str = field(default_factory=lambda: f"replica-{uuid.uuid4().hex[:8]}")
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 5.0
    takeover_seconds: float = 30.0
    max_attempts: int = 3
    write_retry_seconds: float = 300.0
    retention_days: float | None = None


@dataclass(eq=False)
class _Job:
    stop: StopFlag = field(default_factory=StopFlag)
    claim: Claim | None = None
    call: Callable[[StopFlag], Any] | None = None
    future: Future[Any] | None = None
    lost: bool = False  # cancelled through another replica, or taken over: its outcome is not this replica's to write


class Reservation:
    """A place in the queue held while a run is written to the store, so a full queue never leaves a row behind."""

    def __init__(self, pool: WorkerPool) -> None:
        self._pool = pool
        self.used = False

    def put_run(self, run_id: str) -> None:
        """The run is stored (queued): wake a worker here; other replicas find it on their next poll."""
        self.used = True
        self._pool._run_stored_now()


class WorkerPool:
    """`workers` threads; at most `queue_size` jobs wait (this replica's calls plus the database's queued runs)."""

    def __init__(
        self,
        store: RunStore,
        *,
        workers: int,
        queue_size: int,
        solve_function: SolveFunction = solve,
        options: ReplicaOptions | None = None,
        on_done: Callable[[str, Problem, Result], None] | None = None,
    ):
        self.store = store
        self._on_done = on_done  # told of every run this replica stores as done (the insight cache warms up)
        self.workers = workers
        self.queue_size = queue_size
        self.options = options or ReplicaOptions()
        self.replica_id = self.options.replica_id
        self._solve = solve_function
        self._calls: deque[_Job] = deque()
        self._reserved = 0
        self._queued_runs = 0  # the database's count, as last read
        self._running: dict[int, _Job] = {}
        self._cond = threading.Condition()
        self._nudged = False  # a run was stored here since a worker last looked
        self._closed = True
        self._threads: list[threading.Thread] = []
        self._started_at = utc_now()
        self.progress = ProgressBoard()  # live progress of the runs solved here (not stored: see progress.py)

    # --- life cycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers and the monitor; a pool that was shut down can be started again."""
        with self._cond:
            self._closed = False
            self._nudged = True
        self._started_at = utc_now()
        try:  # listed among the replicas from the first moment (the monitor keeps it so)
            self.store.heartbeat(self.replica_id, [], started_at=self._started_at)
        except TRANSIENT_ERRORS as error:
            log.warning("replica %s: first heartbeat failed: %s", self.replica_id, describe(error))
        for number in range(self.workers):
            self._spawn(self._work, f"enmusubi-worker-{number}")
        self._spawn(self._monitor, "enmusubi-monitor")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop taking work, stop running solves and hand their runs back to the queue, join the threads.

        Queued runs stay `queued` in the store for the next replica (or the next start) to claim.
        """
        with self._cond:
            self._closed = True
            waiting = [job for job in self._calls if job.future is not None]
            self._calls.clear()
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
        try:
            self.store.leave(self.replica_id)
        except Exception as error:
            log.warning("could not remove replica %s from the database: %s", self.replica_id, describe(error))

    # --- putting work in ----------------------------------------------------------------------------------------

    def _waiting(self) -> int:
        return len(self._calls) + self._queued_runs + self._reserved

    def _put(self, job: _Job) -> None:
        with self._cond:
            if self._closed:
                raise PoolClosedError("the service is stopping")
            if self._waiting() >= self.queue_size:
                raise QueueFullError(f"all {self.queue_size} places in the queue are taken")
            self._calls.append(job)
            # Every waiter: the monitor waits on this condition too, and woken alone it would leave the call
            # to wait for a worker's next poll (a second by default on every recommend and explain).
            self._cond.notify_all()

    @contextmanager
    def reserve(self) -> Iterator[Reservation]:
        """Hold a place for a run about to be stored; QueueFullError or PoolClosedError at once when there is none.

        Runs queued through any replica count: the database's queue is shared."""
        queued_runs = self.store.queued_count()
        with self._cond:
            self._queued_runs = queued_runs
            if self._closed:
                raise PoolClosedError("the service is stopping")
            if self._waiting() >= self.queue_size:
                raise QueueFullError(f"all {self.queue_size} places in the queue are taken")
            self._reserved += 1
        reservation = Reservation(self)
        try:
            yield reservation
        finally:
            with self._cond:
                self._reserved -= 1
                if reservation.used:
                    self._queued_runs += 1

    def _run_stored_now(self) -> None:
        with self._cond:
            self._nudged = True
            self._cond.notify_all()

    def submit(self, call: Callable[[StopFlag], T]) -> tuple[Future[T], StopFlag]:
        """Run `call(stop)` on a worker; the Future gets its value. Setting the flag asks it to stop early."""
        job = _Job(call=call, future=Future())
        self._put(job)
        assert job.future is not None
        return job.future, job.stop

    def cancel_run(self, run_id: str) -> None:
        """Stop the run's solve if this replica is solving it (the store already says `cancelled`)."""
        with self._cond:
            for job in self._running.values():
                if job.claim is not None and job.claim.run_id == run_id:
                    job.stop.stop()

    def held(self) -> dict[str, int]:
        """The runs this replica is solving: {run id: attempt}."""
        with self._cond:
            return {j.claim.run_id: j.claim.attempt for j in self._running.values() if j.claim is not None}

    def busy(self) -> bool:
        """Some job is running or waiting here (no database read: cheap enough to poll from a search)."""
        with self._cond:
            return bool(self._running or self._calls)

    def load(self) -> dict[str, int]:
        try:
            queued_runs = self.store.queued_count()
        except Exception as error:  # health must answer while the database does not
            log.debug("queued count unavailable: %s", describe(error))
            queued_runs = None
        with self._cond:
            if queued_runs is not None:
                self._queued_runs = queued_runs
            return {
                "workers": self.workers,
                "running": len(self._running),
                "queued": len(self._calls) + self._queued_runs,
            }

    # --- the workers --------------------------------------------------------------------------------------------

    def _next(self) -> _Job | None:
        """A call waiting here, else a run claimed from the database; None when the pool closes."""
        while True:
            with self._cond:
                if self._closed:
                    return None
                if self._calls:
                    job = self._calls.popleft()
                    self._running[id(job)] = job
                    return job
                self._nudged = False
            claim = self._claim()
            with self._cond:
                if claim is not None:
                    job = _Job(claim=claim)
                    self._running[id(job)] = job  # registered before any cancel can look for it
                    if self._closed:
                        job.stop.stop()  # shutting down: handed straight back by _run_stored
                    return job
                if not self._closed and not self._calls and not self._nudged:
                    self._cond.wait(self.options.poll_seconds)

    def _claim(self) -> Claim | None:
        try:
            claim = self.store.claim(
                self.replica_id,
                stale_after_seconds=self.options.takeover_seconds,
                max_attempts=self.options.max_attempts,
            )
        except TRANSIENT_ERRORS as error:
            log.warning("cannot claim runs: %s", describe(error))
            return None
        except Exception:
            log.exception("claiming a run failed")
            return None
        if claim is not None:
            with self._cond:
                self._queued_runs = max(0, self._queued_runs - 1)
            if claim.attempt > 1:
                log.info("run %s taken over (try %d)", claim.run_id, claim.attempt)
        return claim

    def _work(self) -> None:
        while (job := self._next()) is not None:
            try:
                if job.claim is not None:
                    self._run_stored(job, job.claim)
                else:
                    self._call(job)
            except Exception:  # a worker thread must survive anything one job does
                log.exception("worker job failed")
            finally:
                with self._cond:
                    self._running.pop(id(job), None)
                if job.stop.stopped_at is not None:
                    log.info("stopped work ended %.2f s after its stop", time.monotonic() - job.stop.stopped_at)

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

    def _run_stored(self, job: _Job, claim: Claim) -> None:
        try:
            self._solve_stored(job, claim)
        finally:
            self.progress.clear(claim.run_id)

    def _solve_stored(self, job: _Job, claim: Claim) -> None:
        run_id, owner, attempt = claim.run_id, self.replica_id, claim.attempt
        payload: dict[str, Any] | None = None
        failure: str | None = None
        if not job.stop.is_set():
            report = lambda progress: self.progress.update(run_id, progress)  # noqa: E731 (the solve's callback)
            try:
                problem = parse_problem(claim.problem)
                result = self._solve(problem, time_limit_seconds=claim.time_limit, stop=job.stop, progress=report)
                payload = result.model_dump(mode="json")
            except InputError as error:
                failure = f"invalid problem: {error}"
            except Exception as error:
                log.exception("run %s failed", run_id)
                failure = f"internal error: {type(error).__name__}: {error}"
        if job.stop.is_set() and self._closed and not job.lost:
            self._write(lambda: self.store.release(run_id, owner=owner, attempt=attempt), run_id, RELEASE_RETRY_SECONDS)
            return
        if job.lost:  # cancelled through another replica, or taken over: only a cancelled run's stop is kept
            if payload is not None:
                self._write(lambda: self.store.keep_stopped_result(run_id, payload, owner=owner), run_id)
            return
        if failure is not None:
            self._write(lambda: self.store.finish_failed(run_id, failure, owner=owner, attempt=attempt), run_id)
            return
        assert payload is not None
        if not self._write(lambda: self.store.finish_done(run_id, payload, owner=owner, attempt=attempt), run_id):
            self._write(lambda: self.store.keep_stopped_result(run_id, payload, owner=owner), run_id)
        elif self._on_done is not None:
            try:
                self._on_done(run_id, problem, result)
            except Exception:  # the run is stored; what follows it is a convenience
                log.exception("run %s: the after-run hook failed", run_id)

    def _write(self, write: Callable[[], bool], run_id: str, within: float | None = None) -> bool:
        """A run's outcome, retried with back-off while the database refuses it. Given up after the retry window:
        the run then stops being held here, its heartbeat goes stale, and it is claimed and solved again."""
        seconds = self.options.write_retry_seconds if within is None else within
        try:
            return self.store.write_health.retry(write, what=f"run {run_id}", within_seconds=seconds)
        except TRANSIENT_ERRORS as error:
            log.error(
                "gave up writing run %s after %.0f s (%s); it will be taken over %.0f s after its last heartbeat",
                run_id, seconds, describe(error), self.options.takeover_seconds,
            )  # fmt: skip
            return False

    # --- the monitor --------------------------------------------------------------------------------------------

    def _monitor(self) -> None:
        """Heartbeat, cancellations and takeovers seen from the database, abandoned runs, retention."""
        options = self.options
        next_beat = 0.0
        next_purge = 0.0
        while True:
            now = time.monotonic()
            try:
                self._stop_lost_runs()
                if now >= next_beat:
                    next_beat = now + options.heartbeat_seconds
                    self.store.heartbeat(self.replica_id, list(self.held()), started_at=self._started_at)
                    self.store.fail_exhausted(
                        stale_after_seconds=options.takeover_seconds, max_attempts=options.max_attempts
                    )
                if options.retention_days is not None and now >= next_purge:
                    next_purge = now + PURGE_EVERY_SECONDS
                    self.store.purge_finished_before(utc_now() - timedelta(days=options.retention_days))
            except TRANSIENT_ERRORS as error:
                log.warning("replica %s: database write failed: %s", self.replica_id, describe(error))
            except Exception:
                log.exception("replica monitor")
            with self._cond:
                if self._closed:
                    return
                self._cond.wait(options.poll_seconds)
                if self._closed:
                    return

    def _stop_lost_runs(self) -> None:
        held = self.held()
        if not held:
            return
        lost = set(self.store.lost(self.replica_id, held))
        if not lost:
            return
        with self._cond:
            for job in self._running.values():
                if job.claim is not None and job.claim.run_id in lost and not job.lost:
                    log.info("run %s was cancelled or taken over: stopping its solve", job.claim.run_id)
                    job.lost = True
                    job.stop.stop()
