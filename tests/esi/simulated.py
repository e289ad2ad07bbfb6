"""Helpers: an ESI client (session, budget, transport) pointed at a running simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from killreport.db.engine import Database
from killreport.esi.budget import Budget
from killreport.esi.builder import build_budget, open_http_session
from killreport.esi.client import EsiClient
from killreport.esi.http_cache import HttpCache
from killreport.esi.transport import EsiTransport, TransportConfig
from killreport.settings import Settings
from killreport.sim import Simulator
from tests.conftest import make_settings

# Fast retries: the waits are not what these tests are about.
FAST_RETRIES: dict[str, Any] = {
    "esi_retry_wait_initial_s": 0.01,
    "esi_retry_wait_max_s": 0.05,
}


@dataclass
class EsiStack:
    """What a test drives: the client, its budget, its transport and settings."""

    client: EsiClient
    budget: Budget
    transport: EsiTransport
    settings: Settings
    session: aiohttp.ClientSession


def sim_settings(sim: Simulator, **values: Any) -> Settings:
    """Settings pointing ESI and zKillboard at the simulator (`values` may override)."""
    endpoints = {
        "esi_url": sim.endpoints["esi"],
        "r2z2_url": sim.endpoints["r2z2"],
        "zkb_api_url": sim.endpoints["zkb_api"],
    }
    return make_settings(**{**endpoints, **FAST_RETRIES, **values})


@asynccontextmanager
async def esi_stack(
    sim: Simulator, *, database_url: str | None = None, **values: Any
) -> AsyncIterator[EsiStack]:
    """An ESI client on the simulator; with a database the HTTP cache is on."""
    settings = sim_settings(sim, **values)
    database = Database.from_url(database_url) if database_url else None
    redis = aioredis.from_url(settings.redis_url) if settings.redis_url else None
    session = open_http_session(settings)
    try:
        budget = build_budget(settings, redis)
        cache = HttpCache(database) if database else None
        transport = EsiTransport(
            session, budget, TransportConfig.from_settings(settings), cache=cache
        )
        yield EsiStack(EsiClient(transport), budget, transport, settings, session)
    finally:
        await session.close()
        if redis is not None:
            await redis.aclose()
        if database is not None:
            await database.dispose()
