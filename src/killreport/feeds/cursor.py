"""The R2Z2 feed's cursor: the next sequence to read, saved with what it produced."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.dialect import upsert
from killreport.db.engine import Database
from killreport.db.tables import FeedCursor
from killreport.operations.feed_pause import CURSOR_NAME

__all__ = ["CURSOR_NAME", "read_cursor", "save_cursor"]


async def read_cursor(database: Database) -> int | None:
    """The next sequence to read, or None before the first run."""
    async with database.reading() as session:
        return await session.scalar(
            select(FeedCursor.position).where(FeedCursor.name == CURSOR_NAME)
        )


async def save_cursor(session: AsyncSession, position: int, source: str | None = None) -> None:
    """Store the next sequence to read (and the feed's base URL), in the caller's transaction."""
    stmt = upsert(session.get_bind().dialect.name, FeedCursor.__table__, key=["name"])  # type: ignore[arg-type]
    await session.execute(
        stmt,
        {
            "name": CURSOR_NAME,
            "position": position,
            "updated_at": datetime.now(UTC),
            "source": source,
        },
    )
