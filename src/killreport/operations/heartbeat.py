"""Process heartbeats: each process says every few seconds what it is, where, and how busy.

With Redis (`redis_url`) a heartbeat is one key per process with a TTL, so hosts that
share nothing but Redis see each other; without it a row of `process_heartbeats` in the
database. A process not heard from for `heartbeat_stale_after_s` is shown stale; one
that stops cleanly removes its own heartbeat, one killed leaves it to go stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson
from prometheus_client import REGISTRY, CollectorRegistry
from sqlalchemy import delete, select

from killreport import __version__
from killreport.db.dialect import upsert
from killreport.db.engine import Database
from killreport.db.tables import ProcessHeartbeat
from killreport.settings import Settings

logger = logging.getLogger(__name__)

REDIS_PREFIX = "killreport:heartbeat:"
# A heartbeat outlives its staleness this many times over, so a dead process stays
# visible (stale) for a while before it is forgotten.
FORGET_AFTER_STALE = 20
# Samples the worker runtime exports, read back for the heartbeat's counts.
HANDLED_SAMPLE = "killreport_handler_seconds_count"
IN_FLIGHT_SAMPLE = "killreport_messages_in_flight"


@dataclass(frozen=True, slots=True)
class Beat:
    """What one heartbeat says about its process."""

    role: str
    host: str
    pid: int
    version: str
    started_at: datetime
    last_seen: datetime
    queues: tuple[str, ...] = ()
    in_flight: int = 0
    handled: int = 0

    @property
    def process_id(self) -> str:
        """The process's key: host, pid and role."""
        return f"{self.host}:{self.pid}:{self.role}"


@dataclass(frozen=True, slots=True)
class ProcessView:
    """A heartbeat as `status` shows it: the beat and whether it is stale."""

    beat: Beat
    stale: bool
    age_s: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (times as ISO 8601 UTC)."""
        row = asdict(self.beat)
        row["queues"] = list(self.beat.queues)
        row["started_at"] = self.beat.started_at.isoformat()
        row["last_seen"] = self.beat.last_seen.isoformat()
        row["stale"] = self.stale
        row["age_s"] = round(self.age_s, 1)
        return row


class HeartbeatStore(Protocol):
    """Where heartbeats are written and read."""

    async def write(self, beat: Beat, ttl_s: float) -> None:
        """Record (or refresh) one process's heartbeat."""

    async def remove(self, beat: Beat) -> None:
        """Forget one process's heartbeat (it stopped cleanly)."""

    async def read(self) -> list[Beat]:
        """Every heartbeat still kept."""

    async def close(self) -> None:
        """Release connections."""


def _encode(beat: Beat) -> bytes:
    return orjson.dumps(asdict(beat))


def _decode(raw: bytes | str) -> Beat:
    data = orjson.loads(raw)
    return Beat(
        role=data["role"],
        host=data["host"],
        pid=int(data["pid"]),
        version=data["version"],
        started_at=datetime.fromisoformat(data["started_at"]),
        last_seen=datetime.fromisoformat(data["last_seen"]),
        queues=tuple(data.get("queues", ())),
        in_flight=int(data.get("in_flight", 0)),
        handled=int(data.get("handled", 0)),
    )


class RedisHeartbeats:
    """One key per process under REDIS_PREFIX, expiring by itself."""

    def __init__(self, redis_url: str) -> None:
        import redis.asyncio as aioredis

        self.client = aioredis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)

    async def write(self, beat: Beat, ttl_s: float) -> None:
        """SET the process's key with its TTL."""
        await self.client.set(
            REDIS_PREFIX + beat.process_id, _encode(beat), px=max(1, int(ttl_s * 1000))
        )

    async def remove(self, beat: Beat) -> None:
        """DEL the process's key."""
        await self.client.delete(REDIS_PREFIX + beat.process_id)

    async def read(self) -> list[Beat]:
        """SCAN the prefix and decode every key still there."""
        keys = [key async for key in self.client.scan_iter(match=REDIS_PREFIX + "*", count=500)]
        if not keys:
            return []
        values = await self.client.mget(keys)
        return [_decode(value) for value in values if value is not None]

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self.client.aclose()


class TableHeartbeats:
    """One row of `process_heartbeats` per process; rows past their TTL are deleted on write."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def write(self, beat: Beat, ttl_s: float) -> None:
        """Upsert the process's row and drop rows not refreshed within ttl_s."""
        values = asdict(beat)
        values["queues"] = list(beat.queues)
        values["process_id"] = beat.process_id
        table = ProcessHeartbeat.__table__
        statement = upsert(self.database.dialect, table, key=["process_id"])  # type: ignore[arg-type]
        forget_before = beat.last_seen - timedelta(seconds=ttl_s)
        async with self.database.transaction() as session:
            await session.execute(statement, [values])
            await session.execute(
                delete(ProcessHeartbeat).where(ProcessHeartbeat.last_seen < forget_before)
            )

    async def remove(self, beat: Beat) -> None:
        """Delete the process's row."""
        async with self.database.transaction() as session:
            await session.execute(
                delete(ProcessHeartbeat).where(ProcessHeartbeat.process_id == beat.process_id)
            )

    async def read(self) -> list[Beat]:
        """Every row."""
        async with self.database.transaction() as session:
            rows = (await session.execute(select(ProcessHeartbeat))).scalars().all()
        return [
            Beat(
                role=row.role,
                host=row.host,
                pid=row.pid,
                version=row.version,
                started_at=row.started_at,
                last_seen=row.last_seen,
                queues=tuple(row.queues),
                in_flight=row.in_flight,
                handled=row.handled,
            )
            for row in rows
        ]

    async def close(self) -> None:
        """Nothing to close: the database belongs to the container."""


def open_store(settings: Settings, database: Database) -> HeartbeatStore:
    """Redis keys when redis_url is set, else the table."""
    if settings.redis_url:
        return RedisHeartbeats(settings.redis_url)
    return TableHeartbeats(database)


def host_name(settings: Settings) -> str:
    """The host a heartbeat names: the setting, else this machine's name."""
    return settings.process_host or socket.gethostname()


def _sample_total(registry: CollectorRegistry, name: str) -> int:
    total = 0.0
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return int(total)


def worker_counts(registry: CollectorRegistry = REGISTRY) -> tuple[int, int]:
    """(in flight, handled) messages of this process, from the worker runtime's metrics."""
    return _sample_total(registry, IN_FLIGHT_SAMPLE), _sample_total(registry, HANDLED_SAMPLE)


@dataclass
class Heartbeat:
    """The beating side: writes this process's heartbeat every interval until stopped."""

    store: HeartbeatStore
    role: str
    host: str
    interval_s: float
    stale_after_s: float
    queues: tuple[str, ...] = ()
    counts: Callable[[], tuple[int, int]] = worker_counts
    pid: int = field(default_factory=os.getpid)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def beat(self) -> Beat:
        """This process's heartbeat as of now."""
        in_flight, handled = self.counts()
        return Beat(
            role=self.role,
            host=self.host,
            pid=self.pid,
            version=__version__,
            started_at=self.started_at,
            last_seen=datetime.now(UTC),
            queues=self.queues,
            in_flight=in_flight,
            handled=handled,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Beat every interval until `stop`; then remove the heartbeat (a clean stop)."""
        ttl_s = self.stale_after_s * FORGET_AFTER_STALE
        last: Beat | None = None
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while not stop.is_set():
            last = self.beat()
            try:
                # A write stuck on an outage must not delay the next beat past staleness.
                await asyncio.wait_for(self.store.write(last, ttl_s), timeout=self.stale_after_s)
            except Exception as exc:  # noqa: BLE001 - an outage must not stop the process
                logger.warning("heartbeat of %s not written: %r", last.process_id, exc)
            # A fixed rate: the time a write took does not stretch the interval.
            next_at = max(next_at + self.interval_s, loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=next_at - loop.time())
        if last is not None:
            try:
                await self.store.remove(last)
            except Exception as exc:  # noqa: BLE001 - the heartbeat then goes stale by itself
                logger.warning("heartbeat of %s not removed: %r", last.process_id, exc)


def view(beats: Sequence[Beat], stale_after_s: float, now: datetime) -> list[ProcessView]:
    """Heartbeats with their staleness, by host, role and pid."""
    views = []
    for beat in sorted(beats, key=lambda b: (b.host, b.role, b.pid)):
        age_s = (now - beat.last_seen).total_seconds()
        views.append(ProcessView(beat=beat, stale=age_s > stale_after_s, age_s=age_s))
    return views


async def list_processes(settings: Settings, database: Database) -> list[ProcessView]:
    """Every process heard from recently, stale or not."""
    store = open_store(settings, database)
    try:
        beats = await store.read()
    finally:
        await store.close()
    return view(beats, settings.heartbeat_stale_after_s, datetime.now(UTC))
