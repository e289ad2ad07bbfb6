"""Per-request GraphQL context: the container, one read session, this request's DataLoaders.

Resolvers and loaders of one request share one read transaction, taken in turn (a lock),
so a request holds at most one database connection however many loaders it fires, and
sees one consistent snapshot. The router's context dependency closes it after the response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.fastapi import BaseContext

from killreport.api.graphql.loaders import Loaders
from killreport.container import Container
from killreport.db.engine import Database
from killreport.settings import Settings


class RequestSession:
    """One read transaction for a request, opened on first use, used by one caller at a time."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._lock = asyncio.Lock()
        self._stack = AsyncExitStack()
        self._session: AsyncSession | None = None

    @asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncSession]:
        """The request's session, held exclusively for the block."""
        async with self._lock:
            if self._session is None:
                self._session = await self._stack.enter_async_context(self._database.reading())
            yield self._session

    async def close(self) -> None:
        """End the transaction (reads only, so nothing is lost) and give the connection back."""
        await self._stack.aclose()
        self._session = None


class GraphQLContext(BaseContext):
    """What every resolver of one request sees; nothing here outlives the request."""

    def __init__(self, container: Container, request_id: str) -> None:
        super().__init__()
        self.container = container
        self.request_id = request_id
        self.reads = RequestSession(container.database)
        self.loaders = Loaders.for_session(self.reads)

    def session(self) -> AsyncIterator[AsyncSession]:
        """`async with context.session() as session:` the request's read session."""
        return self.reads.use()  # type: ignore[return-value]

    @property
    def database(self) -> Database:
        """The process database (writes open their own transaction)."""
        return self.container.database

    @property
    def settings(self) -> Settings:
        """The process settings."""
        return self.container.settings
