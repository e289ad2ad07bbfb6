"""The single-leader lock: only the scheduler that holds it acts, on any number of hosts.

Two stores: a row in the `leases` table (the database every host shares), or a Redis
key when Redis is configured. A leader renews its lease on every tick; when it stops,
the lease runs out and another scheduler takes over.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

import redis.asyncio as aioredis
from sqlalchemy import Table, select

from killreport.db.dialect import insert_for
from killreport.db.engine import Database
from killreport.db.tables import Lease
from killreport.settings import Settings

logger = logging.getLogger(__name__)


class LeaderLock(Protocol):
    """A lease held by one owner at a time."""

    owner: str

    async def acquire(self, now: datetime) -> bool:
        """Take or renew the lease as of `now`; True when this owner holds it."""
        ...

    async def release(self) -> None:
        """Give the lease up if this owner holds it."""
        ...


class DatabaseLeaderLock:
    """A lease row: taken when free or expired, renewed by its owner, atomic on both dialects."""

    def __init__(self, database: Database, *, name: str, owner: str, ttl: timedelta) -> None:
        self.database = database
        self.name = name
        self.owner = owner
        self.ttl = ttl

    async def acquire(self, now: datetime) -> bool:
        """Insert the lease, or take it over when it is ours or expired; report who holds it."""
        table = Lease.__table__
        assert isinstance(table, Table)
        stmt = insert_for(self.database.dialect, table).values(
            name=self.name, owner=self.owner, expires_at=now + self.ttl
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"owner": stmt.excluded.owner, "expires_at": stmt.excluded.expires_at},
            where=(table.c.owner == self.owner) | (table.c.expires_at < now),
        )
        async with self.database.transaction() as session:
            await session.execute(stmt)
            holder = (
                await session.execute(select(Lease.owner).where(Lease.name == self.name))
            ).scalar_one()
        return bool(holder == self.owner)

    async def release(self) -> None:
        """Expire the lease at once if we hold it, so another scheduler need not wait."""
        table = Lease.__table__
        assert isinstance(table, Table)
        async with self.database.transaction() as session:
            await session.execute(
                table.delete().where(table.c.name == self.name, table.c.owner == self.owner)
            )


# Take the key when free, renew it when ours, in one step.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLeaderLock:
    """A Redis key with a TTL (wall-clock expiry, kept by Redis)."""

    def __init__(self, client: Any, *, name: str, owner: str, ttl: timedelta) -> None:
        self.client = client
        self.key = f"killreport:lease:{name}"
        self.owner = owner
        self.ttl = ttl

    async def acquire(self, now: datetime) -> bool:
        """Take or renew the key; `now` is unused because Redis keeps the expiry."""
        held = await self.client.eval(
            _ACQUIRE, 1, self.key, self.owner, int(self.ttl.total_seconds() * 1000)
        )
        return bool(held)

    async def release(self) -> None:
        """Delete the key if we hold it."""
        await self.client.eval(_RELEASE, 1, self.key, self.owner)


SCHEDULER_LEASE = "scheduler"
LEASE_TTL = timedelta(seconds=90)


def default_owner() -> str:
    """This process's name as a lease owner: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@asynccontextmanager
async def open_leader_lock(
    settings: Settings,
    database: Database,
    *,
    owner: str | None = None,
    name: str = SCHEDULER_LEASE,
    ttl: timedelta = LEASE_TTL,
) -> AsyncIterator[LeaderLock]:
    """The deployment's leader lock: a Redis key when Redis is configured, else a lease row."""
    who = owner or default_owner()
    if settings.redis_url:
        client = aioredis.from_url(settings.redis_url)
        try:
            yield RedisLeaderLock(client, name=name, owner=who, ttl=ttl)
        finally:
            await client.aclose()
    else:
        yield DatabaseLeaderLock(database, name=name, owner=who, ttl=ttl)
