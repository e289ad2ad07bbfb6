"""Alembic driven from code: upgrade to head, report the current revision, check for drift."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from killreport.db.engine import Database, sync_url

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    """An Alembic Config pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to a revision (the newest by default)."""
    if database_url.startswith("sqlite"):
        # Make sure the file's folder exists before Alembic connects.
        db_path = make_url(database_url).database
        if db_path and db_path != ":memory:":
            Path(db_path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


class SchemaOutOfDate(RuntimeError):
    """The database is not at the revision this code needs."""

    def __init__(self, *, current: str | None, head: str | None) -> None:
        super().__init__(
            f"the database is at revision {current or '(empty)'} but this code needs {head}: "
            "run `killreport db upgrade`"
        )
        self.current = current
        self.head = head


@functools.cache
def head_revision() -> str | None:
    """The newest migration revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _revision_of(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


async def check_schema(database: Database) -> None:
    """Raise SchemaOutOfDate unless the database is at head; an unreachable one passes.

    An unreachable database is not this check's business: /readyz and the first query
    report it by name, and a process may start before its database does.
    """
    try:
        async with database.engine.connect() as conn:
            current = await conn.run_sync(_revision_of)
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("schema revision not checked, database unreachable: %s", exc)
        return
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(current=current, head=head)
