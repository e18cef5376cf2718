"""The run store against SQLite and PostgreSQL: transitions, paging, interrupted runs, atomic writes."""

from __future__ import annotations

import threading
from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import StatementError

from enmusubi.service.jobs.store import INTERRUPTED, RunStore, encode_cursor
from enmusubi.solver.errors import InputError, UnknownIdError


@pytest.fixture
def store(database_url: str) -> RunStore:
    store = RunStore.from_url(database_url)
    store.create_schema()
    yield store
    store.dispose()


def _new(store: RunStore, name: str = "run") -> str:
    return store.create_run(problem={"version": 1, "name": name}, name=name, time_limit=5).id


def test_a_created_run_reads_back_queued_with_its_problem(store: RunStore) -> None:
    run_id = _new(store, "first")
    record = store.get(run_id)
    assert (record.status, record.name, record.time_limit) == ("queued", "first", 5.0)
    assert record.created_at.tzinfo is UTC or record.created_at.utcoffset().total_seconds() == 0
    assert record.started_at is None and record.finished_at is None and record.result is None
    assert store.load_job(run_id) == ({"version": 1, "name": "first"}, 5.0)


def test_unknown_ids_raise_unknown_id_error(store: RunStore) -> None:
    for call in (store.get, store.problem_of, store.cancel):
        with pytest.raises(UnknownIdError):
            call("no-such-run")


def test_a_run_goes_queued_running_done_once(store: RunStore) -> None:
    run_id = _new(store)
    assert store.mark_running(run_id)
    assert not store.mark_running(run_id)
    assert store.finish_done(run_id, {"objective": 1.5})
    assert not store.finish_done(run_id, {"objective": 9.0})
    record = store.get(run_id)
    assert record.status == "done" and record.result == {"objective": 1.5}
    assert record.started_at is not None and record.finished_at is not None
    assert record.created_at <= record.started_at <= record.finished_at


def test_cancel_reports_whether_it_cancelled(store: RunStore) -> None:
    run_id = _new(store)
    record, changed = store.cancel(run_id)
    assert changed and record.status == "cancelled" and record.finished_at is not None
    assert not store.mark_running(run_id), "a cancelled run is never started"
    record, changed = store.cancel(run_id)
    assert not changed and record.status == "cancelled"
    done = _new(store)
    store.mark_running(done)
    store.finish_done(done, {})
    assert store.cancel(done)[1] is False
    assert store.get(done).status == "done"


def test_a_run_cancelled_mid_solve_keeps_the_result_found_before_the_stop(store: RunStore) -> None:
    run_id = _new(store)
    store.mark_running(run_id)
    store.cancel(run_id)
    assert not store.finish_done(run_id, {"objective": 2.0}), "a late finish never overrides the cancel"
    assert store.keep_stopped_result(run_id, {"objective": 2.0})
    assert not store.keep_stopped_result(run_id, {"objective": 3.0})
    record = store.get(run_id)
    assert record.status == "cancelled" and record.result == {"objective": 2.0}


def test_start_marks_running_runs_failed_as_interrupted_and_keeps_queued_ones(database_url: str) -> None:
    before = RunStore.from_url(database_url)
    before.create_schema()
    running, queued, done = _new(before), _new(before), _new(before)
    before.mark_running(running)
    before.mark_running(done)
    before.finish_done(done, {"objective": 1.0})
    before.dispose()

    after = RunStore.from_url(database_url)  # a new process would open the store like this
    after.create_schema()
    assert after.mark_interrupted_runs_failed() == 1
    failed = after.get(running)
    assert failed.status == "failed" and failed.error == INTERRUPTED and failed.finished_at is not None
    assert after.get(queued).status == "queued"
    assert after.get(done).result == {"objective": 1.0}
    assert after.queued_ids() == [queued]
    assert after.mark_interrupted_runs_failed() == 0
    after.dispose()


def test_a_failed_write_leaves_nothing_behind(store: RunStore) -> None:
    _new(store)
    with pytest.raises((StatementError, TypeError)):  # SQLite wraps the TypeError, psycopg does not
        store.create_run(problem={"not json": object()}, name="broken", time_limit=None)
    assert store.count() == 1
    assert [r.name for r in store.list_runs(limit=10)[0]] == ["run"]


def test_exactly_one_of_two_racing_workers_starts_a_run(store: RunStore) -> None:
    run_id = _new(store)
    wins: list[bool] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        barrier.wait()
        wins.append(store.mark_running(run_id))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False, False, False, True]


def test_a_cursor_not_made_by_the_store_is_an_input_error_on_cursor(store: RunStore) -> None:
    for bad in ("zzz", "", "bm90IGpzb24", encode_cursor.__name__):
        with pytest.raises(InputError) as caught:
            store.list_runs(limit=5, cursor=bad)
        assert caught.value.issues[0].path == "cursor"


@pytest.fixture
def many_runs(store: RunStore) -> list[str]:
    return [_new(store, f"run-{k:02d}") for k in range(23)]


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=25))
def test_paging_lists_every_run_once_newest_first(store: RunStore, many_runs: list[str], limit: int) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        records, cursor = store.list_runs(limit=limit, cursor=cursor)
        assert len(records) <= limit
        seen += [r.id for r in records]
        pages += 1
        if cursor is None:
            break
    assert seen == list(reversed(many_runs))
    assert pages == max(1, -(-len(many_runs) // limit))
    assert all(r.result is None for r in store.list_runs(limit=3)[0]), "listings never carry results"
