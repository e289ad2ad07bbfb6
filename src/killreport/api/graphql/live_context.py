"""A WebSocket's GraphQL context: reads come from the killmail being sent, not the socket.

strawberry builds one context per WebSocket, so its loaders and its read session would
live as long as the connection: names cached for hours, a database connection held per
socket. `LiveContext` answers `loaders` and `reads` from what the current operation set
for the item it is sending (a ContextVar: each operation runs in a task of its own); the
feed makes one set of loaders per batch it reads, shared by every subscriber, so a name
selected by a thousand subscribers is loaded once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.graphql.context import GraphQLContext, RequestSession
from killreport.api.graphql.loaders import Loaders
from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail


class ShortReads:
    """A session source that opens a short transaction for each loader batch."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncSession]:
        """A fresh transaction for the block."""
        async with self._database.reading() as session:
            yield session


@dataclass(frozen=True, slots=True)
class LiveKillmail:
    """A killmail read once by the feed, with the loaders of its batch."""

    detail: KillmailDetail
    loaders: Loaders

    @property
    def sequence(self) -> int:
        """The killmail's sequence."""
        return self.detail.sequence


def batch_loaders(database: Database) -> Loaders:
    """Loaders for one batch of killmails, shared by every subscriber sent one of them."""
    return Loaders.for_session(ShortReads(database))


@dataclass(frozen=True, slots=True)
class ItemReads:
    """What an operation's resolvers read through while one item is being sent."""

    loaders: Loaders
    reads: RequestSession


CURRENT_ITEM: ContextVar[ItemReads | None] = ContextVar("live_item_reads", default=None)


class LiveContext(GraphQLContext):
    """The context of one WebSocket; `loaders` and `reads` follow the item being sent."""

    def __init__(self, base: GraphQLContext) -> None:
        # Everything strawberry and the router put on the base context, then our views.
        self.__dict__.update(base.__dict__)

    @property
    def loaders(self) -> Loaders:
        """The current item's loaders, else the connection's own."""
        item = CURRENT_ITEM.get()
        own: Loaders = self.__dict__["loaders"]
        return item.loaders if item is not None else own

    @loaders.setter
    def loaders(self, value: Loaders) -> None:
        self.__dict__["loaders"] = value

    @property
    def reads(self) -> RequestSession:
        """The current item's read session, else the connection's own."""
        item = CURRENT_ITEM.get()
        own: RequestSession = self.__dict__["reads"]
        return item.reads if item is not None else own

    @reads.setter
    def reads(self, value: RequestSession) -> None:
        self.__dict__["reads"] = value
