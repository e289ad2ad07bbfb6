"""The database as the live feed's source: stored killmails after a sequence, hydrated."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.queries import killmails_after_sequence, latest_sequence

ItemT = TypeVar("ItemT")

# Turns freshly read killmails into what subscriptions send (e.g. with entity names),
# in the same session: the one read per killmail per process.
Hydrate = Callable[[AsyncSession, list[KillmailDetail]], Awaitable[Sequence[ItemT]]]


class DatabaseKillmails(Generic[ItemT]):
    """Reads killmails by sequence in one short transaction each."""

    def __init__(self, database: Database, hydrate: Hydrate[ItemT]) -> None:
        self._database = database
        self._hydrate = hydrate

    async def latest_sequence(self) -> int:
        """The highest stored sequence (0 when empty)."""
        async with self._database.reading() as session:
            return await latest_sequence(session)

    async def after(self, sequence: int, *, limit: int) -> Sequence[ItemT]:
        """Up to `limit` killmails after `sequence`, ascending, hydrated."""
        async with self._database.reading() as session:
            details = await killmails_after_sequence(session, sequence, limit=limit)
            if not details:
                return []
            return await self._hydrate(session, details)


async def plain(_session: AsyncSession, details: list[KillmailDetail]) -> list[KillmailDetail]:
    """No hydration beyond the killmail itself."""
    return details
