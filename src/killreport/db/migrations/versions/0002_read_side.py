"""read side: search indexes for the GraphQL API and pages

Folded (lower-cased) name and ticker columns computed by the database, so every stored
row has its folded name the moment the column exists (no backfill can be forgotten and
no writer has to keep it up to date), their search indexes (pg_trgm GIN on PostgreSQL,
B-trees on SQLite), and the indexes the stats read side walks: attackers by time for
leaderboards, killmails by constellation and by victim ship group.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, folded column, source column, length); every one gets a search index.
FOLDED = (
    ("alliances", "name_folded", "name", 128),
    ("alliances", "ticker_folded", "ticker", 16),
    ("corporations", "name_folded", "name", 128),
    ("corporations", "ticker_folded", "ticker", 16),
    ("characters", "name_folded", "name", 128),
    ("types", "name_folded", "name", 255),
    ("solar_systems", "name_folded", "name", 128),
    ("constellations", "name_folded", "name", 128),
    ("regions", "name_folded", "name", 128),
)

# (index, table, columns)
PLAIN_INDEXES = (
    ("ix_attackers_time", "attackers", ["killmail_time"]),
    ("ix_killmails_constellation", "killmails", ["constellation_id", "killmail_time"]),
    ("ix_killmails_victim_ship_group", "killmails", ["victim_ship_group_id", "killmail_time"]),
)


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _index_sql(table: str, column: str, postgresql: bool) -> str:
    name = f"ix_{table}_{column}"
    if not postgresql:
        return f"CREATE INDEX {name} ON {table} ({column})"
    if column == "ticker_folded":
        return f"CREATE INDEX {name} ON {table} USING btree ({column} text_pattern_ops)"
    return f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)"


def upgrade() -> None:
    postgresql = _postgresql()
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, column, source, length in FOLDED:
        # PostgreSQL stores the generated value (rewriting the table once, every row
        # filled); SQLite computes a virtual column, and its index stores the values.
        kind = "STORED" if postgresql else "VIRTUAL"
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR({length}) "
            f"GENERATED ALWAYS AS (lower({source})) {kind}"
        )
        op.execute(_index_sql(table, column, postgresql))
    for name, table, columns in PLAIN_INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(PLAIN_INDEXES):
        op.drop_index(name, table_name=table)
    for table, column, _source, _length in reversed(FOLDED):
        op.execute(f"DROP INDEX ix_{table}_{column}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
