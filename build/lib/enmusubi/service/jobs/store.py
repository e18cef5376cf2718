"""The run store: batch runs and their results in SQLite or PostgreSQL through SQLAlchemy.

Every write is one transaction, and every status change is a conditional UPDATE
(`... WHERE status = 'queued'`), so two threads racing (a worker starting a run while
a user cancels it) can never both win, and a failed write leaves the row as it was.
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
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Float,
    Index,
    String,
    Text,
    create_engine,
    event,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

from enmusubi.solver.errors import InputError, Issue, UnknownIdError

log = logging.getLogger(__name__)

RunStatus = Literal["queued", "running", "done", "failed", "cancelled"]
ACTIVE: tuple[RunStatus, ...] = ("queued", "running")
INTERRUPTED = "interrupted: the service stopped while it was running"
SQLITE_BUSY_TIMEOUT_SECONDS = 30


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

    __table_args__ = (Index("ix_runs_created_id", "created_at", "id"),)


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


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the store's URL; SQLite gets a busy timeout and WAL so readers never wait on a solve."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)
    connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
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


class RunStore:
    """Repository of runs. Thread-safe: each call opens its own session and transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> RunStore:
        return cls(make_engine(url))

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

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
        )
        with self._transaction() as session:
            session.add(row)
        return _record(row, with_result=False)

    def _transition(self, run_id: str, allowed: tuple[str, ...], **values: Any) -> bool:
        """Set `values` on the run if its status is one of `allowed`; True when it changed."""
        statement = update(RunRow).where(RunRow.id == run_id, RunRow.status.in_(allowed)).values(**values)
        with self._transaction() as session:
            return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]

    def mark_running(self, run_id: str) -> bool:
        """A worker takes the run; False when it was cancelled (or taken) first."""
        return self._transition(run_id, ("queued",), status="running", started_at=utc_now())

    def finish_done(self, run_id: str, result: dict[str, Any]) -> bool:
        return self._transition(run_id, ("running",), status="done", finished_at=utc_now(), result=result)

    def finish_failed(self, run_id: str, error: str) -> bool:
        return self._transition(run_id, ACTIVE, status="failed", finished_at=utc_now(), error=error)

    def keep_stopped_result(self, run_id: str, result: dict[str, Any]) -> bool:
        """A run cancelled mid-solve keeps the best allocation found before the stop."""
        statement = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "cancelled", RunRow.result.is_(None))
            .values(result=result)
        )
        with self._transaction() as session:
            return session.execute(statement).rowcount == 1  # type: ignore[attr-defined]

    def cancel(self, run_id: str) -> tuple[RunRecord, bool]:
        """Cancel a queued or running run: the run afterwards, and whether this call cancelled it.

        False means it had already finished (done, failed or cancelled): the caller answers 409.
        UnknownIdError when there is no such run.
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

    def mark_interrupted_runs_failed(self) -> int:
        """On start: a run left `running` belonged to a service that stopped; say so instead of losing it."""
        statement = (
            update(RunRow)
            .where(RunRow.status == "running")
            .values(status="failed", finished_at=utc_now(), error=INTERRUPTED)
        )
        with self._transaction() as session:
            count = session.execute(statement).rowcount  # type: ignore[attr-defined]
        if count:
            log.warning("marked %d interrupted run(s) failed", count)
        return int(count)

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

    def queued_ids(self) -> list[str]:
        """Runs accepted but not started, oldest first: what a restarted service picks up again."""
        with self._sessions() as session:
            statement = select(RunRow.id).where(RunRow.status == "queued").order_by(RunRow.created_at, RunRow.id)
            return list(session.scalars(statement))

    def list_runs(self, *, limit: int, cursor: str | None = None) -> tuple[list[RunRecord], str | None]:
        """Newest first, `limit` at a time; the second value is the cursor of the next page, or None."""
        summary_columns = (RunRow.id, RunRow.name, RunRow.status, RunRow.created_at, RunRow.started_at,
                           RunRow.finished_at, RunRow.time_limit, RunRow.error)  # fmt: skip
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
            )
            for r in rows[:limit]
        ]
        next_cursor = encode_cursor(records[-1].created_at, records[-1].id) if len(rows) > limit else None
        return records, next_cursor

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RunRow)) or 0)
