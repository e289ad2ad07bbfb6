"""Revision 0003 moves each existing user's character to `user_characters`, and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from killreport.db import migration
from killreport.db.engine import sync_url
from tests.harness import PostgresDatabase

ROW = {
    "user_id": 7, "character_id": 90000007, "character_name": "Old Pilot", "owner_hash": "own=",
    "scopes": "esi-killmails.read_killmails.v1", "access_token_encrypted": b"enc-a",
    "refresh_token_encrypted": b"enc-r", "is_admin": True, "created_at": "2026-01-02 03:04:05",
}  # fmt: skip


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
        return
    database = PostgresDatabase.create()
    try:
        yield database.url
    finally:
        database.drop()


def test_users_keep_their_character_grant_and_admin_flag(url: str) -> None:
    # given a database at 0002 with one user of the first schema
    migration.upgrade(url, "0002")
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (user_id, character_id, character_name, owner_hash, scopes,"
                    " access_token_encrypted, refresh_token_encrypted, is_admin, created_at)"
                    " VALUES (:user_id, :character_id, :character_name, :owner_hash, :scopes,"
                    " :access_token_encrypted, :refresh_token_encrypted, :is_admin, :created_at)"
                ),
                ROW,
            )
        # when it is upgraded to head
        migration.upgrade(url)
        # then the user is still there and its character, grant and scopes moved over
        with engine.connect() as conn:
            user = conn.execute(text("SELECT user_id, is_admin FROM users")).one()
            character = conn.execute(
                text(
                    "SELECT character_id, user_id, character_name, owner_hash, scopes,"
                    " refresh_token_encrypted, sync_state FROM user_characters"
                )
            ).one()
        assert tuple(user) == (7, True)
        assert tuple(character) == (
            90000007, 7, "Old Pilot", "own=", ROW["scopes"], b"enc-r", "never",
        )  # fmt: skip
        # and a downgrade puts the character back on its user
        command.downgrade(migration.alembic_config(url), "0002")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT user_id, character_id, character_name FROM users"))
            assert [tuple(r) for r in back] == [(7, 90000007, "Old Pilot")]
    finally:
        engine.dispose()
