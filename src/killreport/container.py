"""Composition root: build(settings) gives a process everything it needs, and closes it after."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

from killreport.db.engine import Database
from killreport.health import Probe
from killreport.settings import Settings

logger = logging.getLogger(__name__)


async def _ping_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _ping_broker(url: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(url, timeout=2)
    await connection.close()


@dataclass
class Container:
    """The shared objects of one process, built from one Settings."""

    settings: Settings
    database: Database
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def readiness_probes(self) -> dict[str, Probe]:
        """The dependencies /readyz checks, by name: always the database, then what is set."""
        probes: dict[str, Probe] = {"database": self.database.ping}
        broker_url = self.settings.broker_url
        if broker_url:
            probes["broker"] = lambda: _ping_broker(broker_url)
        redis_url = self.settings.redis_url
        if redis_url:
            probes["redis"] = lambda: _ping_redis(redis_url)
        return probes


@asynccontextmanager
async def build(settings: Settings) -> AsyncIterator[Container]:
    """Build the container for a process and close everything it opened on exit."""
    database = Database.from_url(settings.database_url)
    container = Container(settings=settings, database=database)
    async with container.stack:
        container.stack.push_async_callback(database.dispose)
        logger.debug("container built for database dialect %s", database.dialect)
        yield container
