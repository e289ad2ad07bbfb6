"""auth: SSO login states, sessions, users' characters and the token vault

Users get several characters: the character columns of `users` move to
`user_characters` (one row per existing user, same ids, tokens as they were), so no
operator data is lost; `users` keeps the person (id, admin flag, times).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import killreport.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MOVED = (
    "character_id",
    "character_name",
    "owner_hash",
    "scopes",
    "access_token_encrypted",
    "refresh_token_encrypted",
    "access_token_expires_at",
    "killmails_synced_at",
)


def _utc() -> killreport.db.types.UtcDateTime:
    return killreport.db.types.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "corporation_killmail_syncs",
        sa.Column("corporation_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_killmail_id", sa.BigInteger(), nullable=True),
        sa.Column("synced_at", _utc(), nullable=True),
        sa.Column("synced_by_character_id", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("corporation_id", name=op.f("pk_corporation_killmail_syncs")),
    )
    op.create_table(
        "login_states",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.Column("used_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_login_states")),
    )
    with op.batch_alter_table("login_states", schema=None) as batch_op:
        batch_op.create_index("ix_login_states_expires", ["expires_at"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_user", ["user_id"], unique=False)

    op.create_table(
        "user_characters",
        sa.Column("character_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("character_name", sa.String(length=128), nullable=False),
        sa.Column("owner_hash", sa.String(length=128), nullable=False),
        sa.Column("corporation_id", sa.BigInteger(), nullable=True),
        sa.Column("scopes", sa.Text(), nullable=False),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("access_token_expires_at", _utc(), nullable=True),
        sa.Column("token_generation", sa.Integer(), nullable=False),
        sa.Column("tokens_revoked_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("last_login_at", _utc(), nullable=True),
        sa.Column("last_killmail_id", sa.BigInteger(), nullable=True),
        sa.Column("killmails_synced_at", _utc(), nullable=True),
        sa.Column("sync_state", sa.String(length=16), nullable=False),
        sa.Column("sync_error", sa.Text(), nullable=True),
        sa.Column("sync_queued_at", _utc(), nullable=True),
        sa.Column("sync_lease_until", _utc(), nullable=True),
        sa.Column("sync_next_page", sa.Integer(), nullable=True),
        sa.Column("sync_top_killmail_id", sa.BigInteger(), nullable=True),
        sa.Column("sync_full", sa.Boolean(), nullable=False),
        sa.Column("corp_role_denied_until", _utc(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_user_characters_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("character_id", name=op.f("pk_user_characters")),
    )
    with op.batch_alter_table("user_characters", schema=None) as batch_op:
        batch_op.create_index("ix_user_characters_synced", ["killmails_synced_at"], unique=False)
        batch_op.create_index("ix_user_characters_user", ["user_id"], unique=False)

    # Every existing user keeps its character, grant and sync time in the new table.
    op.execute(
        "INSERT INTO user_characters (character_id, user_id, character_name, owner_hash, "
        "scopes, access_token_encrypted, refresh_token_encrypted, access_token_expires_at, "
        "token_generation, created_at, last_login_at, killmails_synced_at, sync_state, "
        "sync_full) "
        "SELECT character_id, user_id, character_name, owner_hash, scopes, "
        "access_token_encrypted, refresh_token_encrypted, access_token_expires_at, 0, "
        "created_at, last_login_at, killmails_synced_at, "
        "CASE WHEN killmails_synced_at IS NULL THEN 'never' ELSE 'ok' END, false "
        "FROM users"
    )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_character_id"), type_="unique")
        for column in _MOVED:
            batch_op.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("character_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("character_name", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("owner_hash", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("scopes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("access_token_expires_at", _utc(), nullable=True))
        batch_op.add_column(sa.Column("killmails_synced_at", _utc(), nullable=True))
    # One character per user back on the user row (the lowest id); the alts are dropped,
    # and users left without a character with them.
    for column in _MOVED:
        op.execute(
            f"UPDATE users SET {column} = (SELECT c.{column} FROM user_characters c "
            "WHERE c.user_id = users.user_id ORDER BY c.character_id LIMIT 1)"
        )
    op.execute("DELETE FROM sessions")
    op.execute("DELETE FROM users WHERE character_id IS NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        for column in ("character_id", "character_name", "owner_hash", "scopes"):
            batch_op.alter_column(column, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_users_character_id"), ["character_id"])

    with op.batch_alter_table("user_characters", schema=None) as batch_op:
        batch_op.drop_index("ix_user_characters_user")
        batch_op.drop_index("ix_user_characters_synced")
    op.drop_table("user_characters")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_user")
    op.drop_table("sessions")
    with op.batch_alter_table("login_states", schema=None) as batch_op:
        batch_op.drop_index("ix_login_states_expires")
    op.drop_table("login_states")
    op.drop_table("corporation_killmail_syncs")
