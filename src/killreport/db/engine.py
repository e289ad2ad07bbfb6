"""The async engine and the unit of work (`Database.transaction`) for SQLite and PostgreSQL.

A writing unit (`transaction`, `connection`) begins with `BEGIN IMMEDIATE` on SQLite: it
takes the database's write lock before its first read, so a read-then-write unit is
isolated from other processes (pysqlite's own BEGIN comes only at the first write, after
the reads the unit decided on). Read-only units use `reading` (a deferred snapshot that
never waits for a writer). A writing unit opened while another one of the same task holds
the write lock would wait for its own lock until the busy timeout, so it raises
`NestedWriteUnit` at once instead.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or answered with an error."""


class NestedWriteUnit(RuntimeError):
    """A writing unit was opened inside another one that already holds the SQLite write lock."""


class _Unit:
    """The writing unit a task has open: set by `transaction`, marked begun by the BEGIN."""

    __slots__ = ("begun", "task", "writing")

    def __init__(self, *, writing: bool) -> None:
        self.writing = writing
        self.begun = False
        # A task started inside the unit inherits the variable but not the lock.
        self.task = asyncio.current_task()


# The unit the current task opens (contextvars follow SQLAlchemy into its greenlets).
_UNIT: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar(
    "killreport_unit", default=None
)


def _sqlite_begin(conn: Any) -> None:
    # The driver runs in autocommit mode (isolation_level None), so this is the only BEGIN.
    unit = _UNIT.get()
    if unit is not None and unit.writing:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        unit.begun = True
    else:
        conn.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and one writer work at once; busy_timeout makes writers queue
    # instead of failing when several processes share one file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()
    # SQLAlchemy emits BEGIN itself (`_sqlite_begin`), choosing IMMEDIATE for writing units.
    dbapi_connection.isolation_level = None


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Build an async engine for a sqlite+aiosqlite or postgresql+psycopg URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def sync_url(url: str) -> str:
    """The synchronous driver URL for the same database (used by Alembic)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    return url


class Database:
    """An engine and its session factory; the only way code opens a transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Build a Database for a URL."""
        return cls(make_engine(url))

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded SQLite database."""
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def _unit(self, *, writing: bool) -> AsyncIterator[None]:
        outer = _UNIT.get()
        nested = outer is not None and outer.begun and outer.task is asyncio.current_task()
        if writing and self.is_sqlite and nested:
            raise NestedWriteUnit(
                "a writing unit was opened inside another that holds the SQLite write lock; "
                "finish the outer one first (it would wait for its own lock)"
            )
        if not writing:
            # Only writing units are tracked; a read unit may be opened in one task and
            # closed in another (a GraphQL request's session), where a token reset fails.
            yield
            return
        _UNIT.set(_Unit(writing=writing))
        try:
            yield
        finally:
            # Restore rather than reset a token: the unit may end in another context.
            _UNIT.set(outer)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A writing unit: a session in a transaction; commit on success, roll back on error."""
        async with self._unit(writing=True), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit: a session on one consistent snapshot that never waits for writers."""
        async with self._unit(writing=False), self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A writing unit on a Core connection, for bulk paths."""
        async with self._unit(writing=True), self.engine.begin() as conn:
            yield conn

    async def ping(self) -> None:
        """Run a trivial query; raise DatabaseUnavailable naming the cause."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            raise DatabaseUnavailable(str(exc).splitlines()[0]) from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
