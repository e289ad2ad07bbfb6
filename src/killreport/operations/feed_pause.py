"""Pausing a feed: a row of `feed_pauses` the follower checks before each step.

Outside `feeds` so the API's admin mutations can pause it without importing the follower.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from killreport.db.dialect import upsert
from killreport.db.engine import Database
from killreport.db.tables import FeedPause

# The R2Z2 follower's name for its cursor row and its pause row.
CURSOR_NAME = "r2z2"

__all__ = ["CURSOR_NAME", "is_paused", "pause", "resume"]


async def is_paused(database: Database, name: str) -> bool:
    """Whether the named feed is paused now."""
    async with database.transaction() as session:
        found = await session.scalar(select(FeedPause.name).where(FeedPause.name == name))
    return found is not None


async def pause(database: Database, name: str, by: str) -> None:
    """Pause the named feed (idempotent); `by` says who, for `status`."""
    statement = upsert(database.dialect, FeedPause.__table__, key=["name"])  # type: ignore[arg-type]
    async with database.transaction() as session:
        await session.execute(
            statement, [{"name": name, "paused_at": datetime.now(UTC), "paused_by": by}]
        )


async def resume(database: Database, name: str) -> bool:
    """Resume the named feed; False when it was not paused."""
    async with database.transaction() as session:
        result = await session.execute(delete(FeedPause).where(FeedPause.name == name))
    return bool(result.rowcount)  # type: ignore[attr-defined]
