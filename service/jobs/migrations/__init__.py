"""The runs table's schema, kept by Alembic and brought up to date when the service starts.

`upgrade(engine)` runs under a PostgreSQL advisory lock so replicas starting at once migrate
one after another. A database made by the `create_all` of earlier versions (a `runs` table and
no `alembic_version`) is first stamped as revision 0001, the schema it has, then upgraded.
A new revision is a file in versions/ whose `down_revision` is the current head (`heads()`
names it), as 0002 is; tests/service/test_migrations.py checks that the models and the
migrated schema agree.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CREATE_ALL_REVISION = "0001"  # what Base.metadata.create_all made before migrations existed
ADVISORY_LOCK_KEY = 0x656E6D75  # "enmu": the key replicas serialise their migrations on


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config


def heads() -> list[str]:
    return list(ScriptDirectory.from_config(_config(None)).get_heads())  # type: ignore[arg-type]


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision (a no-op when it is there)."""
    with engine.connect() as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        tables = set(inspect(connection).get_table_names())
        config = _config(connection)
        if "runs" in tables and "alembic_version" not in tables:
            log.info("adopting a runs table made without migrations: stamping it as revision %s", CREATE_ALL_REVISION)
            command.stamp(config, CREATE_ALL_REVISION)
        command.upgrade(config, "head")
