"""The run store: batch runs and their results in SQLite or PostgreSQL through SQLAlchemy.

The runs table is also the queue. Every write is one transaction, and every status change is
a conditional UPDATE (`... WHERE status = 'queued'`), so two threads or two replicas racing (a
worker starting a run while a user cancels it, two replicas claiming the same run) can never
both win, and a failed write leaves the row as it was. A replica claims a run with one
`UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)` (PostgreSQL; SQLite serialises
writers and ignores the clause), which sets the run's `owner`, its `heartbeat_at` and bumps
`attempts`; the pair (owner, attempts) is the fencing token that every later write of that
solve must still match, so a replica that was presumed dead and whose run was taken over can
never overwrite the new owner's outcome. The schema is kept by Alembic (service/jobs/migrations).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    Engine,
    Float,
    Index,
    Integer,
    String,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, aliased, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from enmusubi.service.jobs.write_health import WriteHealth
from enmusubi.solver.errors import InputError, Issue, UnknownIdError

log = logging.getLogger(__name__)

RunStatus = Literal["queued", "running", "done", "failed", "cancelled"]
ACTIVE: tuple[RunStatus, ...] = ("queued", "running")
FINISHED: tuple[RunStatus, ...] = ("done", "failed", "cancelled")
INTERRUPTED = "interrupted: the service stopped while it was running"
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


class Base(DeclarativeBase):
    pass


class RunRow(Base):
    """One batch run. `problem` is the validated problem (defaults spelled out); `result` is PROBLEM.md §7."""

    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    problem: Mapped[dict[str, Any]] = mapped_column(JSON)
    time_limit: Mapped[float | None] = mapped_column(Float)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_runs_created_id", "created_at", "id"),
        Index("ix_runs_status_created", "status", "created_at"),
        Index("ix_runs_owner", "owner"),
    )


class ReplicaRow(Base):
    """A service process that shares the database: written at start and on every heartbeat."""

    __tablename__ = "replicas"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class RunRecord:
    """A run as read from the store, detached from any session. `result` is None unless asked for."""

    id: str
    name: str | None
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    time_limit: float | None
    error: str | None
    result: dict[str, Any] | None = None
    owner: str | None = None
    attempts: int = 0


@dataclass(frozen=True)
class Claim:
    """A run this replica took: what to solve, and the fencing token its outcome must be written with."""

    run_id: str
    attempt: int
    problem: dict[str, Any]
    time_limit: float | None


@dataclass(frozen=True)
class Replica:
    id: str
    started_at: datetime
    heartbeat_at: datetime
    runs: int


def utc_now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without a zone; everything stored here is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _record(row: RunRow, *, with_result: bool) -> RunRecord:
    return RunRecord(
        id=row.id,
        name=row.name,
        status=row.status,  # type: ignore[arg-type]
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        time_limit=row.time_limit,
        error=row.error,
        result=row.result if with_result else None,
        owner=row.owner,
        attempts=row.attempts or 0,
    )


def encode_cursor(created_at: datetime, run_id: str) -> str:
    """An opaque page token: where the previous page ended."""
    raw = json.dumps([created_at.isoformat(), run_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The inverse of encode_cursor; a token that was not made by it is an input error on `cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, run_id = json.loads(raw)
        parsed = datetime.fromisoformat(moment)
        if not isinstance(run_id, str) or parsed.tzinfo is None:
            raise ValueError("malformed")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError(Issue("cursor", f"not a cursor this service handed out: {cursor[:40]!r}")) from None
    return parsed, run_id


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` mean the psycopg 3 driver, the one this project installs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, busy_timeout_seconds: float = SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for the store's URL; SQLite gets a busy timeout and WAL so readers never wait on a solve."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    connect_args = {"check_same_thread": False, "timeout": busy_timeout_seconds}
    if parsed.database in (None, "", ":memory:"):
        engine = create_engine(url, connect_args=connect_args, poolclass=StaticPool, **kwargs)
    else:
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    return engine


def _claimable(run: Any, stale_before: datetime, max_attempts: int) -> ColumnElement[bool]:
    """A run a replica may take: queued, or running under an owner whose heartbeat stopped, with tries left."""
    abandoned = and_(run.status == "running", or_(run.heartbeat_at.is_(None), run.heartbeat_at < stale_before))
    return and_(or_(run.status == "queued", abandoned), run.attempts < max_attempts)


def _owned(run_id: str, owner: str, attempt: int) -> ColumnElement[bool]:
    """The fencing check: the run is still running under this replica's claim."""
    return and_(RunRow.id == run_id, RunRow.status == "running", RunRow.owner == owner, RunRow.attempts == attempt)


def _active(run_id: str, statuses: tuple[str, ...]) -> ColumnElement[bool]:
    return and_(RunRow.id == run_id, RunRow.status.in_(statuses))


class RunStore:
    """Repository of runs. Thread-safe: each call opens its own session and transaction.

    Every write reports to `write_health`, which `/healthz` reads.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.write_health = WriteHealth()

    @classmethod
    def from_url(cls, url: str, *, busy_timeout_seconds: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> RunStore:
        return cls(make_engine(url, busy_timeout_seconds=busy_timeout_seconds))

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A write: committed as one, and its outcome recorded in `write_health`."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except UnknownIdError:
            raise
        except Exception as error:
            self.write_health.failed(error)
            raise
        self.write_health.succeeded()

    def _changed(self, statement: Any) -> int:
        with self._transaction() as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def create_schema(self) -> None:
        """Bring the database to the newest schema (Alembic), adopting one made by an older create_all."""
        from enmusubi.service.jobs.migrations import upgrade

        upgrade(self.engine)

    def ping(self) -> None:
        """Raise if the database does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()

    # --- writes -------------------------------------------------------------------------------------------------

    def create_run(self, *, problem: dict[str, Any], name: str | None, time_limit: float | None) -> RunRecord:
        row = RunRow(
            id=str(uuid.uuid4()),
            name=name,
            status="queued",
            created_at=utc_now(),
            problem=problem,
            time_limit=None if time_limit is None else float(time_limit),
            attempts=0,
        )
        with self._transaction() as session:
            session.add(row)
        return _record(row, with_result=False)

    def _transition(self, run_id: str, allowed: tuple[str, ...], **values: Any) -> bool:
        """Set `values` on the run if its status is one of `allowed`; True when it changed."""
        return self._changed(update(RunRow).where(_active(run_id, allowed)).values(**values)) == 1

    def claim(self, owner: str, *, stale_after_seconds: float, max_attempts: int) -> Claim | None:
        """Take the oldest claimable run for `owner` (queued, or abandoned by a replica that stopped beating),
        or None. Exactly one of any number of racing replicas or threads gets a given run."""
        now = utc_now()
        stale_before = now - timedelta(seconds=stale_after_seconds)
        candidate = aliased(RunRow)
        oldest = (
            select(candidate.id)
            .where(_claimable(candidate, stale_before, max_attempts))
            .order_by(candidate.created_at, candidate.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = (
            update(RunRow)
            .where(RunRow.id == oldest, _claimable(RunRow, stale_before, max_attempts))
            .values(status="running", owner=owner, heartbeat_at=now, started_at=now, attempts=RunRow.attempts + 1)
            .returning(RunRow.id, RunRow.attempts, RunRow.problem, RunRow.time_limit)
        )
        with self._transaction() as session:
            row = session.execute(statement).first()
        if row is None:
            return None
        return Claim(run_id=row.id, attempt=int(row.attempts), problem=row.problem, time_limit=row.time_limit)

    def mark_running(self, run_id: str, owner: str | None = None) -> bool:
        """Take one given run (queued) for `owner`; False when it was cancelled (or taken) first."""
        now = utc_now()
        return self._transition(
            run_id, ("queued",), status="running", started_at=now, owner=owner, heartbeat_at=now,
            attempts=RunRow.attempts + 1,
        )  # fmt: skip

    def heartbeat(self, owner: str, run_ids: list[str], *, started_at: datetime) -> None:
        """This replica is alive: its row in `replicas` and the heartbeat of the runs it holds."""
        now = utc_now()
        with self._transaction() as session:
            changed = session.execute(update(ReplicaRow).where(ReplicaRow.id == owner).values(heartbeat_at=now))
            if changed.rowcount == 0:  # type: ignore[attr-defined]
                session.add(ReplicaRow(id=owner, started_at=started_at, heartbeat_at=now))
            if run_ids:
                session.execute(
                    update(RunRow)
                    .where(RunRow.id.in_(run_ids), RunRow.owner == owner, RunRow.status == "running")
                    .values(heartbeat_at=now)
                )

    def leave(self, owner: str) -> None:
        """A replica stopping cleanly removes its row (its runs were handed back first)."""
        self._changed(delete(ReplicaRow).where(ReplicaRow.id == owner))

    def finish_done(self, run_id: str, result: dict[str, Any], *, owner: str | None = None, attempt: int = 0) -> bool:
        """Store the result if the run is still running (under this claim, when `owner` is given)."""
        where = _owned(run_id, owner, attempt) if owner is not None else _active(run_id, ("running",))
        statement = update(RunRow).where(where).values(status="done", finished_at=utc_now(), result=result)
        return self._changed(statement) == 1

    def finish_failed(self, run_id: str, error: str, *, owner: str | None = None, attempt: int = 0) -> bool:
        """Fail the run if it is still active (running under this claim, when `owner` is given)."""
        where = _owned(run_id, owner, attempt) if owner is not None else _active(run_id, ACTIVE)
        statement = update(RunRow).where(where).values(status="failed", finished_at=utc_now(), error=error)
        return self._changed(statement) == 1

    def release(self, run_id: str, *, owner: str, attempt: int) -> bool:
        """Hand a run back to the queue (this replica is stopping); the try does not count against the run."""
        statement = (
            update(RunRow)
            .where(_owned(run_id, owner, attempt))
            .values(status="queued", owner=None, heartbeat_at=None, attempts=RunRow.attempts - 1)
        )
        return self._changed(statement) == 1

    def keep_stopped_result(self, run_id: str, result: dict[str, Any], *, owner: str | None = None) -> bool:
        """A run cancelled mid-solve keeps the best allocation found before the stop (the owner's, if given)."""
        where = [RunRow.id == run_id, RunRow.status == "cancelled", RunRow.result.is_(None)]
        if owner is not None:
            where.append(RunRow.owner == owner)
        return self._changed(update(RunRow).where(*where).values(result=result)) == 1

    def cancel(self, run_id: str) -> tuple[RunRecord, bool]:
        """Cancel a queued or running run: the run afterwards, and whether this call cancelled it.

        False means it had already finished (done, failed or cancelled): the caller answers 409.
        UnknownIdError when there is no such run. The replica solving it sees the status on its next poll.
        """
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status.in_(ACTIVE))
            .values(status="cancelled", finished_at=utc_now(), error="cancelled by request")
        )
        with self._transaction() as session:
            changed = session.execute(statement).rowcount == 1  # type: ignore[attr-defined]
            row = session.get(RunRow, run_id)
            if row is None:
                raise UnknownIdError("run", run_id)
            return _record(row, with_result=False), changed

    def fail_exhausted(self, *, stale_after_seconds: float, max_attempts: int) -> int:
        """Abandoned runs that already had `max_attempts` tries are failed rather than tried again: a run that
        brings its replica down (out of memory, say) must not take the next one down too."""
        stale_before = utc_now() - timedelta(seconds=stale_after_seconds)
        statement = (
            update(RunRow)
            .where(
                RunRow.status == "running",
                or_(RunRow.heartbeat_at.is_(None), RunRow.heartbeat_at < stale_before),
                RunRow.attempts >= max_attempts,
            )
            .values(status="failed", finished_at=utc_now(), error=f"{INTERRUPTED} ({max_attempts} tries)")
        )
        count = self._changed(statement)
        if count:
            log.warning("failed %d run(s) whose replica stopped on each of %d tries", count, max_attempts)
        return count

    def abandon_running(self) -> int:
        """Every run left `running` is claimable at once (for a database that only this process uses: SQLite).
        Those that were already tried `max_attempts` times are failed by `fail_exhausted` instead."""
        count = self._changed(update(RunRow).where(RunRow.status == "running").values(heartbeat_at=None))
        if count:
            log.warning("%d run(s) were running when the service stopped: solving them again", count)
        return count

    def purge(self, run_id: str) -> RunRecord:
        """Delete a finished run for good. UnknownIdError when there is none; the record returned says whether it
        was finished (an active run is not deleted: its status is returned for a 409)."""
        with self._transaction() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise UnknownIdError("run", run_id)
            record = _record(row, with_result=False)
            if record.status in FINISHED:
                session.execute(delete(RunRow).where(RunRow.id == run_id, RunRow.status.in_(FINISHED)))
            return record

    def purge_finished_before(self, moment: datetime) -> int:
        """The retention sweep: finished runs that finished before `moment` are deleted."""
        statement = delete(RunRow).where(RunRow.status.in_(FINISHED), RunRow.finished_at < moment)
        count = self._changed(statement)
        if count:
            log.info("retention: deleted %d run(s) finished before %s", count, moment.isoformat())
        return count

    # --- reads --------------------------------------------------------------------------------------------------

    def get(self, run_id: str, *, with_result: bool = True) -> RunRecord:
        with self._sessions() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise UnknownIdError("run", run_id)
            return _record(row, with_result=with_result)

    def problem_of(self, run_id: str) -> dict[str, Any]:
        """The stored problem of a run (its validated JSON), e.g. as the base of a scenario."""
        return self.load_job(run_id)[0]

    def load_job(self, run_id: str) -> tuple[dict[str, Any], float | None]:
        """What a worker needs to solve a run: its problem and time limit."""
        with self._sessions() as session:
            row = session.execute(select(RunRow.problem, RunRow.time_limit).where(RunRow.id == run_id)).first()
            if row is None:
                raise UnknownIdError("run", run_id)
            return row.problem, row.time_limit

    def lost(self, owner: str, held: dict[str, int]) -> list[str]:
        """Of the runs this replica holds ({id: attempt}), those it no longer owns: cancelled, or taken over."""
        if not held:
            return []
        with self._sessions() as session:
            statement = select(RunRow.id, RunRow.status, RunRow.owner, RunRow.attempts).where(RunRow.id.in_(held))
            rows = {r.id: r for r in session.execute(statement)}
        return [
            run_id
            for run_id, attempt in held.items()
            if (row := rows.get(run_id)) is None or (row.status, row.owner, row.attempts) != ("running", owner, attempt)
        ]

    def queued_count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RunRow).where(RunRow.status == "queued")) or 0)

    def queued_ids(self) -> list[str]:
        """Runs accepted but not started, oldest first."""
        with self._sessions() as session:
            statement = select(RunRow.id).where(RunRow.status == "queued").order_by(RunRow.created_at, RunRow.id)
            return list(session.scalars(statement))

    def replicas(self, *, alive_within_seconds: float) -> list[Replica]:
        """The replicas whose heartbeat is recent, with how many runs each holds, oldest first."""
        since = utc_now() - timedelta(seconds=alive_within_seconds)
        held = (
            select(RunRow.owner, func.count().label("runs"))
            .where(RunRow.status == "running")
            .group_by(RunRow.owner)
            .subquery()
        )
        statement = (
            select(ReplicaRow.id, ReplicaRow.started_at, ReplicaRow.heartbeat_at, func.coalesce(held.c.runs, 0))
            .outerjoin(held, held.c.owner == ReplicaRow.id)
            .where(ReplicaRow.heartbeat_at >= since)
            .order_by(ReplicaRow.started_at, ReplicaRow.id)
        )
        with self._sessions() as session:
            rows = session.execute(statement).all()
        return [Replica(r[0], _aware(r[1]), _aware(r[2]), int(r[3])) for r in rows]  # type: ignore[arg-type]

    def list_runs(self, *, limit: int, cursor: str | None = None) -> tuple[list[RunRecord], str | None]:
        """Newest first, `limit` at a time; the second value is the cursor of the next page, or None."""
        summary_columns = (RunRow.id, RunRow.name, RunRow.status, RunRow.created_at, RunRow.started_at,
                           RunRow.finished_at, RunRow.time_limit, RunRow.error, RunRow.owner,
                           RunRow.attempts)  # fmt: skip
        statement = select(*summary_columns).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if cursor is not None:
            moment, run_id = decode_cursor(cursor)
            statement = statement.where(
                or_(RunRow.created_at < moment, (RunRow.created_at == moment) & (RunRow.id < run_id))
            )
        statement = statement.limit(limit + 1)
        with self._sessions() as session:
            rows = session.execute(statement).all()
        records = [
            RunRecord(
                id=r.id,
                name=r.name,
                status=r.status,
                created_at=_aware(r.created_at),  # type: ignore[arg-type]
                started_at=_aware(r.started_at),
                finished_at=_aware(r.finished_at),
                time_limit=r.time_limit,
                error=r.error,
                owner=r.owner,
                attempts=r.attempts or 0,
            )
            for r in rows[:limit]
        ]
        next_cursor = encode_cursor(records[-1].created_at, records[-1].id) if len(rows) > limit else None
        return records, next_cursor

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RunRow)) or 0)
