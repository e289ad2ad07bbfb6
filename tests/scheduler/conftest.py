"""A migrated database on both dialects, for repository and service tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport.db.engine import Database


@pytest.fixture(params=("sqlite", "postgresql"))
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """An empty migrated database: SQLite, then PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    db = Database.from_url(request.getfixturevalue(name))
    try:
        yield db
    finally:
        await db.dispose()
