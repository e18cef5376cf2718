"""Alembic keeps the runs table: the migrated schema is the models' schema, and a database made by the old
create_all (no alembic_version) is adopted and upgraded with its runs kept."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, DateTime, Float, Index, MetaData, String, Table, Text, inspect

from enmusubi.service.jobs.migrations import heads
from enmusubi.service.jobs.store import Base, RunStore


def _old_create_all_schema() -> MetaData:
    """The runs table exactly as releases before migrations created it."""
    metadata = MetaData()
    Table(
        "runs",
        metadata,
        Column("id", String(36), primary_key=True),
        Column("name", String(200)),
        Column("status", String(16), nullable=False, index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("started_at", DateTime(timezone=True)),
        Column("finished_at", DateTime(timezone=True)),
        Column("problem", JSON, nullable=False),
        Column("time_limit", Float),
        Column("result", JSON),
        Column("error", Text),
        Index("ix_runs_created_id", "created_at", "id"),
    )
    return metadata


def _version(store: RunStore) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_a_new_database_is_migrated_to_the_models_schema_and_a_second_upgrade_is_a_no_op(database_url: str) -> None:
    store = RunStore.from_url(database_url)
    store.create_schema()
    store.create_schema()
    assert _version(store) == heads()[0]
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], "a model change without a migration"
    store.dispose()


def test_a_database_made_by_create_all_is_adopted_and_keeps_its_runs(database_url: str) -> None:
    store = RunStore.from_url(database_url)
    old = _old_create_all_schema()
    old.create_all(store.engine)
    with store.engine.begin() as connection:
        connection.execute(
            old.tables["runs"].insert(),
            [{"id": "old-run", "name": "kept", "status": "done", "created_at": datetime(2026, 1, 1, tzinfo=UTC),
              "problem": {"version": 1}, "result": {"objective": 1.0}}],
        )  # fmt: skip
    store.create_schema()
    assert _version(store) == heads()[0]
    assert {"owner", "heartbeat_at", "attempts"} <= {c["name"] for c in inspect(store.engine).get_columns("runs")}
    record = store.get("old-run")
    assert (record.name, record.status, record.result, record.attempts, record.owner) == (
        "kept", "done", {"objective": 1.0}, 0, None,
    )  # fmt: skip
    assert store.claim("replica", stale_after_seconds=30, max_attempts=3) is None
    store.dispose()
