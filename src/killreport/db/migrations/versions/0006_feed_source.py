"""feed cursors remember the URL their feed reads from

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_cursors") as batch:
        batch.add_column(sa.Column("source", sa.String(length=512), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_cursors") as batch:
        batch.drop_column("source")
