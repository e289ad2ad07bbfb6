"""Build the ESI side of a process: the HTTP session, the shared budget and the client."""

from __future__ import annotations

import aiohttp
import orjson
import redis.asyncio as aioredis

from killreport.db.engine import Database
from killreport.esi.budget import Budget, BudgetPolicy
from killreport.esi.budget_database import DatabaseBudgetStore
from killreport.esi.budget_memory import MemoryBudgetStore
from killreport.esi.budget_redis import RedisBudgetStore
from killreport.esi.client import EsiClient
from killreport.esi.http_cache import HttpCache
from killreport.esi.transport import EsiTransport, TransportConfig
from killreport.settings import Settings

BUDGET_PREFIX = "killreport:esi"


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def open_http_session(settings: Settings) -> aiohttp.ClientSession:
    """The one aiohttp session of a process (ESI and zKillboard share its connections)."""
    connector = aiohttp.TCPConnector(limit=settings.esi_max_concurrency + 10)
    return aiohttp.ClientSession(
        connector=connector,
        json_serialize=_json_dumps,
        headers={"User-Agent": settings.user_agent},
        timeout=aiohttp.ClientTimeout(total=settings.http_timeout_s),
    )


def build_budget(
    settings: Settings, redis: aioredis.Redis | None, database: Database | None = None
) -> Budget:
    """The deployment's ESI budget: in Redis when one is configured, else in the shared
    database (every process of the embedded deployment), else in this process only."""
    policy = BudgetPolicy.from_settings(settings)
    if redis is not None:
        return Budget(RedisBudgetStore(redis, policy, BUDGET_PREFIX))
    if database is not None:
        return Budget(DatabaseBudgetStore(database, policy))
    return Budget(MemoryBudgetStore(policy))


def build_esi_client(
    settings: Settings, session: aiohttp.ClientSession, budget: Budget, database: Database
) -> EsiClient:
    """The typed ESI client over the process's session, the budget and the HTTP cache."""
    transport = EsiTransport(
        session, budget, TransportConfig.from_settings(settings), cache=HttpCache(database)
    )
    return EsiClient(transport)
