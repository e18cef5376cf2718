"""Replicas on one database: who holds a run (owner, heartbeat, attempts) and which replicas are alive.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("owner", sa.String(100), nullable=True))
        runs.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        runs.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_runs_status_created", "runs", ["status", "created_at"])
    op.create_index("ix_runs_owner", "runs", ["owner"])
    op.create_table(
        "replicas",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replicas")
    op.drop_index("ix_runs_owner", "runs")
    op.drop_index("ix_runs_status_created", "runs")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("attempts")
        runs.drop_column("heartbeat_at")
        runs.drop_column("owner")
