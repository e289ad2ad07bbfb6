"""operations: process heartbeats and feed pauses

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from killreport.db.types import UtcDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_heartbeats",
        sa.Column("process_id", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("last_seen", UtcDateTime(), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.Column("handled", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("process_id"),
    )
    op.create_table(
        "feed_pauses",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("paused_at", UtcDateTime(), nullable=False),
        sa.Column("paused_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("feed_pauses")
    op.drop_table("process_heartbeats")
