"""Migrations upgrade an empty database to head and agree with the models (no drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import killreport.db.tables  # noqa: F401
from killreport.db import migration
from killreport.db.base import Base
from killreport.db.engine import sync_url
from tests.harness import PostgresDatabase


def _drift(url: str) -> list[object]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_upgrade_from_empty_matches_the_models(tmp_path) -> None:
    # given an empty SQLite file
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    # when it is upgraded to head
    migration.upgrade(url)
    # then it is at head, holds every table, and autogenerate finds nothing to change
    assert migration.current_revision(url) == migration.head_revision()
    assert set(Base.metadata.tables) <= _tables(url)
    assert _drift(url) == []


def test_postgres_upgrade_from_empty_matches_the_models() -> None:
    # given an empty PostgreSQL database of this test's own (other tests may add tables
    # of their own to the run's shared database)
    database = PostgresDatabase.create()
    try:
        # when it is upgraded to head
        migration.upgrade(database.url)
        # then it is at head, holds every table, and autogenerate finds nothing to change
        assert migration.current_revision(database.url) == migration.head_revision()
        assert set(Base.metadata.tables) <= _tables(database.url)
        assert _drift(database.url) == []
    finally:
        database.drop()


def test_upgrade_twice_is_a_no_op(sqlite_url: str) -> None:
    migration.upgrade(sqlite_url)
    assert migration.current_revision(sqlite_url) == migration.head_revision()
