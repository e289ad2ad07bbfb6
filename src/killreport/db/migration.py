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
from sqlalchemy.engine import make_url

from killreport.db.engine import sync_url
from killreport.db.errors import SchemaOutOfDate
from killreport.db.schema_check import check_schema

__all__ = [
    "SchemaOutOfDate",
    "alembic_config",
    "check_schema",
    "current_revision",
    "head_revision",
    "upgrade",
]

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
