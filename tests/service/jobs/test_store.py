"""The run store against SQLite and PostgreSQL: transitions, claims and takeovers, fencing, purges, paging."""

from __future__ import annotations

import threading
from datetime import UTC, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import StatementError

from enmusubi.service.jobs.store import INTERRUPTED, Claim, RunStore, encode_cursor, utc_now
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


def _claim(store: RunStore, owner: str, *, stale: float = 30.0, max_attempts: int = 3) -> Claim | None:
    return store.claim(owner, stale_after_seconds=stale, max_attempts=max_attempts)


def test_runs_are_claimed_oldest_first_with_their_problem_and_a_fencing_attempt(store: RunStore) -> None:
    first, second = _new(store, "first"), _new(store, "second")
    claim = _claim(store, "replica-a")
    assert claim is not None and (claim.run_id, claim.attempt) == (first, 1)
    assert (claim.problem, claim.time_limit) == ({"version": 1, "name": "first"}, 5.0)
    record = store.get(first)
    assert (record.status, record.owner, record.attempts) == ("running", "replica-a", 1)
    assert _claim(store, "replica-b").run_id == second  # type: ignore[union-attr]
    assert _claim(store, "replica-b") is None, "nothing left: a running run with a fresh heartbeat is not claimable"


def test_a_run_whose_replica_stopped_beating_is_taken_over_and_the_old_owner_is_fenced_off(store: RunStore) -> None:
    run_id = _new(store)
    old = _claim(store, "replica-a")
    assert old is not None
    store.heartbeat("replica-a", [run_id], started_at=utc_now())
    assert _claim(store, "replica-b", stale=30) is None, "a beating replica keeps its run"
    new = _claim(store, "replica-b", stale=0)  # replica-a's heartbeat is older than 0 s: stale
    assert new is not None and (new.run_id, new.attempt) == (run_id, 2)
    assert store.lost("replica-a", {run_id: old.attempt}) == [run_id]
    assert store.lost("replica-b", {run_id: new.attempt}) == []
    assert not store.finish_done(run_id, {"objective": 1.0}, owner="replica-a", attempt=old.attempt)
    assert not store.finish_failed(run_id, "late", owner="replica-a", attempt=old.attempt)
    assert not store.finish_done(run_id, {"objective": 1.0}, owner="replica-b", attempt=1), "the attempt is fenced too"
    assert store.finish_done(run_id, {"objective": 2.0}, owner="replica-b", attempt=new.attempt)
    record = store.get(run_id)
    assert (record.status, record.owner, record.result) == ("done", "replica-b", {"objective": 2.0})


def test_a_run_that_keeps_losing_its_replica_is_failed_after_max_attempts(store: RunStore) -> None:
    run_id = _new(store)
    for attempt in (1, 2):
        claim = _claim(store, f"replica-{attempt}", stale=0, max_attempts=2)
        assert claim is not None and claim.attempt == attempt
        assert store.fail_exhausted(stale_after_seconds=0, max_attempts=2) == (attempt == 2)
    record = store.get(run_id)
    assert record.status == "failed" and record.error is not None and record.error.startswith(INTERRUPTED)
    assert _claim(store, "replica-3", stale=0, max_attempts=2) is None


def test_a_released_run_goes_back_to_the_queue_without_using_up_a_try(store: RunStore) -> None:
    run_id = _new(store)
    claim = _claim(store, "replica-a")
    assert claim is not None
    assert not store.release(run_id, owner="replica-b", attempt=claim.attempt)
    assert store.release(run_id, owner="replica-a", attempt=claim.attempt)
    record = store.get(run_id)
    assert (record.status, record.owner, record.attempts) == ("queued", None, 0)
    assert _claim(store, "replica-b").attempt == 1  # type: ignore[union-attr]


def test_a_cancel_through_any_replica_shows_as_lost_to_the_owner(store: RunStore) -> None:
    run_id = _new(store)
    claim = _claim(store, "replica-a")
    assert claim is not None
    store.cancel(run_id)
    assert store.lost("replica-a", {run_id: claim.attempt}) == [run_id]
    assert not store.keep_stopped_result(run_id, {"objective": 1.0}, owner="replica-b")
    assert store.keep_stopped_result(run_id, {"objective": 1.0}, owner="replica-a")


def test_abandon_running_makes_the_runs_of_a_crashed_single_process_claimable_at_once(database_url: str) -> None:
    before = RunStore.from_url(database_url)
    before.create_schema()
    running, queued = _new(before), _new(before)
    assert _claim(before, "crashed").run_id == running  # type: ignore[union-attr]
    before.dispose()

    after = RunStore.from_url(database_url)  # a new process would open the store like this
    after.create_schema()
    assert _claim(after, "restarted").run_id == queued  # type: ignore[union-attr]
    assert after.abandon_running() == 2
    claim = _claim(after, "restarted")
    assert claim is not None and (claim.run_id, claim.attempt) == (running, 2)
    after.dispose()


def test_replicas_report_their_heartbeat_and_the_runs_they_hold(store: RunStore) -> None:
    run_id = _new(store)
    _new(store)
    _claim(store, "replica-a")
    store.heartbeat("replica-a", [run_id], started_at=utc_now())
    store.heartbeat("replica-b", [], started_at=utc_now())
    alive = {r.id: r.runs for r in store.replicas(alive_within_seconds=60)}
    assert alive == {"replica-a": 1, "replica-b": 0}
    store.leave("replica-b")
    assert [r.id for r in store.replicas(alive_within_seconds=60)] == ["replica-a"]


def test_purge_deletes_finished_runs_only_and_retention_deletes_old_ones(store: RunStore) -> None:
    active, finished = _new(store), _new(store)
    store.cancel(finished)
    assert store.purge(active).status == "queued" and store.count() == 2, "an active run is not purged"
    assert store.purge(finished).status == "cancelled"
    with pytest.raises(UnknownIdError):
        store.get(finished)
    with pytest.raises(UnknownIdError):
        store.purge(finished)
    old = _new(store)
    store.cancel(old)
    assert store.purge_finished_before(utc_now() - timedelta(days=1)) == 0
    assert store.purge_finished_before(utc_now() + timedelta(seconds=1)) == 1
    assert [r.id for r in store.list_runs(limit=10)[0]] == [active]


def test_exactly_one_of_many_racing_claimers_gets_each_run(store: RunStore) -> None:
    runs = {_new(store, f"run-{k}") for k in range(12)}
    claimed: list[str] = []
    barrier = threading.Barrier(4)

    def claim_all(owner: str) -> None:
        barrier.wait()
        while (claim := _claim(store, owner)) is not None:
            claimed.append(claim.run_id)

    threads = [threading.Thread(target=claim_all, args=(f"replica-{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(runs)


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
