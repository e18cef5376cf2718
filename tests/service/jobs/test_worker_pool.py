"""The worker pool: bounded queue, reservations, cancelling queued and running runs, shutdown, real stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from enmusubi.service.jobs.store import RunStore
from enmusubi.service.jobs.worker_pool import PoolClosedError, QueueFullError, ReplicaOptions, WorkerPool
from enmusubi.solver import Problem, Progress, Result, StopFlag, parse_problem, solve

WAIT_SECONDS = 60  # a guard against hangs, not a speed target


def _wait_for(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class BlockingSolve:
    """Stands in for a long solve: runs until its StopFlag is set, then returns a real result."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.started: list[Problem] = []
        self.release = threading.Event()

    def __call__(
        self,
        problem: Problem,
        *,
        time_limit_seconds: float | None,
        stop: StopFlag,
        progress: Callable[[Progress], None] | None = None,
    ) -> Result:
        self.started.append(problem)
        if progress is not None:
            progress(Progress("solving", 0.5, objective=3.0, bound=4.0))
        while not stop.is_set() and not self.release.is_set():
            time.sleep(0.005)
        return self.result.model_copy(update={"stopped": stop.is_set()})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    store = RunStore.from_url(f"sqlite:///{tmp_path / 'pool.sqlite3'}")
    store.create_schema()
    yield store
    store.dispose()


@pytest.fixture
def example_result(example_problem: dict[str, Any]) -> Result:
    return solve(example_problem)


def _queue(store: RunStore, pool: WorkerPool, problem: dict[str, Any]) -> str:
    with pool.reserve() as place:
        run_id = store.create_run(problem=problem, name=None, time_limit=10).id
        place.put_run(run_id)
    return run_id


@contextmanager
def running(pool: WorkerPool, release: threading.Event | None = None) -> Iterator[WorkerPool]:
    """A started pool, shut down at the end (after letting blocked solves go, if given)."""
    pool.start()
    try:
        yield pool
    finally:
        if release is not None:
            release.set()
        pool.shutdown()


def test_a_queued_run_is_solved_and_stored(store: RunStore, example_problem: dict[str, Any]) -> None:
    with running(WorkerPool(store, workers=1, queue_size=4)) as pool:
        run_id = _queue(store, pool, parse_problem(example_problem).to_json_dict())
        _wait_for(lambda: store.get(run_id).status == "done", "the run to finish")
        result = Result.model_validate(store.get(run_id).result)
        assert result.status == "optimal" and result.objective == pytest.approx(solve(example_problem).objective)


def test_a_running_run_shows_its_progress_until_it_ends(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    blocking = BlockingSolve(example_result)
    with running(WorkerPool(store, workers=1, queue_size=2, solve_function=blocking), blocking.release) as pool:
        run_id = _queue(store, pool, example_problem)
        _wait_for(lambda: pool.progress.get(run_id) is not None, "the run's progress")
        progress = pool.progress.get(run_id)
        assert progress is not None
        assert (progress.phase, progress.elapsed_seconds, progress.objective, progress.bound) == ("solving", 0.5, 3, 4)
        assert progress.gap == pytest.approx(1 / 3)
        blocking.release.set()
        _wait_for(lambda: store.get(run_id).status == "done", "the run to finish")
        _wait_for(lambda: pool.progress.get(run_id) is None, "the progress to be cleared")


def test_a_full_queue_refuses_at_once_and_a_failed_reservation_gives_its_place_back(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    blocking = BlockingSolve(example_result)
    with running(WorkerPool(store, workers=1, queue_size=2, solve_function=blocking), blocking.release) as pool:
        first = _queue(store, pool, example_problem)
        _wait_for(lambda: len(blocking.started) == 1, "the first run to start")
        _queue(store, pool, example_problem)
        with pytest.raises(RuntimeError), pool.reserve():
            raise RuntimeError("the store write failed")
        _queue(store, pool, example_problem)  # the failed reservation did not keep its place
        with pytest.raises(QueueFullError):
            _queue(store, pool, example_problem)
        with pytest.raises(QueueFullError):
            pool.submit(lambda stop: 1)
        assert store.count() == 3, "a refused run is never written"
        assert pool.load() == {"workers": 1, "running": 1, "queued": 2}
        assert store.get(first).status == "running"


def test_cancelling_a_queued_run_means_it_never_starts(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    blocking = BlockingSolve(example_result)
    with running(WorkerPool(store, workers=1, queue_size=4, solve_function=blocking), blocking.release) as pool:
        first = _queue(store, pool, example_problem)
        _wait_for(lambda: len(blocking.started) == 1, "the first run to start")
        waiting = _queue(store, pool, example_problem)
        assert store.cancel(waiting)[1]
        pool.cancel_run(waiting)
        assert pool.load()["queued"] == 0
        blocking.release.set()
        _wait_for(lambda: store.get(first).status == "done", "the first run to finish")
        assert len(blocking.started) == 1
        assert store.get(waiting).status == "cancelled" and store.get(waiting).started_at is None


def test_cancelling_a_running_run_stops_its_solve_and_keeps_what_it_found(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    blocking = BlockingSolve(example_result)
    with running(WorkerPool(store, workers=1, queue_size=4, solve_function=blocking)) as pool:
        run_id = _queue(store, pool, example_problem)
        _wait_for(lambda: store.get(run_id).status == "running", "the run to start")
        assert store.cancel(run_id)[1]
        pool.cancel_run(run_id)
        _wait_for(lambda: store.get(run_id).result is not None, "the stopped solve's result")
        record = store.get(run_id)
        assert record.status == "cancelled"
        assert Result.model_validate(record.result).stopped
        _wait_for(lambda: pool.load()["running"] == 0, "the worker to be free")


def test_shutdown_hands_running_runs_back_to_the_queue_and_leaves_queued_runs_queued(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    blocking = BlockingSolve(example_result)
    pool = WorkerPool(store, workers=1, queue_size=4, solve_function=blocking)
    pool.start()
    running = _queue(store, pool, example_problem)
    _wait_for(lambda: store.get(running).status == "running", "the run to start")
    queued = _queue(store, pool, example_problem)
    waiting_call, _ = pool.submit(lambda stop: "never")
    pool.shutdown()
    handed_back = store.get(running)
    assert (handed_back.status, handed_back.owner, handed_back.attempts) == ("queued", None, 0)
    assert store.get(queued).status == "queued"
    assert store.replicas(alive_within_seconds=60) == [], "a replica that stopped cleanly leaves the list"
    with pytest.raises(PoolClosedError):
        waiting_call.result(timeout=1)
    with pytest.raises(PoolClosedError):
        pool.submit(lambda stop: 1)


def test_a_job_that_raises_does_not_kill_its_worker(store: RunStore) -> None:
    with running(WorkerPool(store, workers=1, queue_size=4)) as pool:
        failing, _ = pool.submit(lambda stop: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failing.result(timeout=WAIT_SECONDS)
        working, _ = pool.submit(lambda stop: "still here")
        assert working.result(timeout=WAIT_SECONDS) == "still here"


def test_a_stored_problem_that_no_longer_validates_fails_the_run_with_the_reason(store: RunStore) -> None:
    with running(WorkerPool(store, workers=1, queue_size=4)) as pool:
        run_id = _queue(store, pool, {"version": 1, "positions": "not a list"})
        _wait_for(lambda: store.get(run_id).status == "failed", "the run to fail")
        assert "invalid problem" in (store.get(run_id).error or "") and "positions" in (store.get(run_id).error or "")


def test_a_real_solve_stops_when_its_run_is_cancelled(store: RunStore, slow_problem: dict[str, Any]) -> None:
    """The engine itself (HiGHS) honours the stop: the run ends stopped, not solved to the end."""
    with running(WorkerPool(store, workers=1, queue_size=4)) as pool:
        with pool.reserve() as place:
            run_id = store.create_run(problem=slow_problem, name="slow", time_limit=600).id
            place.put_run(run_id)
        _wait_for(lambda: store.get(run_id).status == "running", "the run to start")
        time.sleep(1.0)  # let HiGHS get into its search
        store.cancel(run_id)
        pool.cancel_run(run_id)
        _wait_for(lambda: pool.load()["running"] == 0, "the solve to stop")
        record = store.get(run_id)
        assert record.status == "cancelled"
        result = Result.model_validate(record.result)
        assert result.stopped and result.status == "feasible"


def test_a_run_cancelled_through_another_replica_stops_on_the_replica_solving_it(
    store: RunStore, example_problem: dict[str, Any], example_result: Result
) -> None:
    """Two pools on one database: the cancel is written by one, the solve runs on the other, which polls."""
    blocking = BlockingSolve(example_result)
    fast = ReplicaOptions(replica_id="solver", poll_seconds=0.05)
    idle = WorkerPool(store, workers=1, queue_size=4, options=ReplicaOptions(replica_id="front", poll_seconds=60))
    with running(WorkerPool(store, workers=1, queue_size=4, solve_function=blocking, options=fast)) as solver:
        run_id = store.create_run(problem=example_problem, name=None, time_limit=10).id
        _wait_for(lambda: store.get(run_id).status == "running", "the solving replica to claim the run")
        assert store.get(run_id).owner == "solver" and solver.held() == {run_id: 1}
        store.cancel(run_id)  # what DELETE /v1/runs/{id} does on the replica that received it
        idle.cancel_run(run_id)  # which is not solving it: nothing to stop there
        _wait_for(lambda: store.get(run_id).result is not None, "the stopped solve's result")
        assert Result.model_validate(store.get(run_id).result).stopped
        _wait_for(lambda: solver.held() == {}, "the worker to be free")


def test_a_call_does_not_wait_for_the_next_poll(store: RunStore) -> None:
    """The monitor waits on the pool's condition too: a call must wake an idle worker, not only the monitor."""
    pool = WorkerPool(store, workers=1, queue_size=4, options=ReplicaOptions(poll_seconds=600, heartbeat_seconds=600))
    pool.start()
    try:
        for _ in range(3):
            time.sleep(0.2)  # the worker and the monitor are both waiting (for the next poll, 10 minutes away)
            future, _stop = pool.submit(lambda stop: "answered")
            assert future.result(timeout=WAIT_SECONDS) == "answered"
    finally:
        pool.shutdown()
