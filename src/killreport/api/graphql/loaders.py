"""DataLoaders of one request: every id asked for in one tick is loaded in one statement.

One table of loaders, one per entity kind, each a batch function of the read layer
(`killmails.queries`, `universe.lookups`) over a short session of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.queries import get_killmails

V = TypeVar("V")

BatchFn = Callable[[AsyncSession, list[int]], Awaitable[Mapping[int, Any]]]


def _loader(database: Database, batch: BatchFn) -> DataLoader[int, Any]:
    async def load(keys: list[int]) -> list[Any]:
        async with database.transaction() as session:
            found = await batch(session, keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class Loaders:
    """One DataLoader per kind, for one request."""

    killmail: DataLoader[int, KillmailDetail | None]

    @classmethod
    def for_database(cls, database: Database) -> Loaders:
        """Fresh loaders (empty caches) over the database."""
        return cls(killmail=_loader(database, get_killmails))
