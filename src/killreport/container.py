"""Composition root: build(settings) gives a process everything it needs, and closes it after."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import redis.asyncio as aioredis

from killreport.bus.factory import create_bus
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.db.errors import SchemaOutOfDate
from killreport.db.schema_check import check_schema
from killreport.esi.budget import Budget
from killreport.esi.builder import build_budget, build_esi_client, open_http_session
from killreport.esi.client import EsiClient
from killreport.events.hub import EventHub, InProcessHub, build_hub
from killreport.health import Probe
from killreport.settings import Settings
from killreport.sso.setup import SsoDisabled, SsoServices, build_sso
from killreport.zkb.api import ZkbApiClient
from killreport.zkb.builder import build_r2z2_client, build_zkb_api_client
from killreport.zkb.r2z2 import R2Z2Client

logger = logging.getLogger(__name__)


async def _ping_redis(url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


@dataclass
class Container:
    """The shared objects of one process, built from one Settings."""

    settings: Settings
    database: Database
    bus: MessageBus
    # Outbound HTTP: one aiohttp session, one ESI budget (Redis-backed when redis_url is
    # set, so shared by every process), the ESI client and the zKillboard clients.
    http: aiohttp.ClientSession
    budget: Budget
    esi: EsiClient
    r2z2: R2Z2Client
    zkb_api: ZkbApiClient
    # Events after commit: Redis pub/sub when redis_url is set, else in-process.
    events: EventHub = field(default_factory=InProcessHub)
    # EVE SSO (client, validator, token vault), or why it is off.
    sso: SsoServices | SsoDisabled = field(default_factory=lambda: SsoDisabled("not built"))
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)

    def readiness_probes(self) -> dict[str, Probe]:
        """The dependencies /readyz checks, by name: always the database, then what is set."""
        probes: dict[str, Probe] = {"database": self.database.ping}
        if self.settings.broker_url:
            probes["broker"] = self.bus.ping
        redis_url = self.settings.redis_url
        if redis_url:
            probes["redis"] = lambda: _ping_redis(redis_url)
        return probes


@asynccontextmanager
async def build(settings: Settings) -> AsyncIterator[Container]:
    """Build the container for a process and close everything it opened on exit."""
    database = Database.from_url(settings.database_url)
    try:
        await check_schema(database)
    except SchemaOutOfDate:
        await database.dispose()
        raise
    bus = create_bus(settings, database)
    events = build_hub(settings.redis_url)
    http = open_http_session(settings)
    budget_redis = aioredis.from_url(settings.redis_url) if settings.redis_url else None
    budget = build_budget(settings, budget_redis, database)
    container = Container(
        settings=settings,
        database=database,
        bus=bus,
        http=http,
        budget=budget,
        esi=build_esi_client(settings, http, budget, database),
        r2z2=build_r2z2_client(settings, http, budget_redis),
        zkb_api=build_zkb_api_client(settings, http, budget_redis),
        events=events,
        sso=build_sso(settings, http),
    )
    async with container.stack:
        container.stack.push_async_callback(http.close)
        if budget_redis is not None:
            container.stack.push_async_callback(budget_redis.aclose)
        container.stack.push_async_callback(database.dispose)
        container.stack.push_async_callback(bus.close)
        container.stack.push_async_callback(events.close)
        logger.debug("container built for database dialect %s", database.dialect)
        yield container
