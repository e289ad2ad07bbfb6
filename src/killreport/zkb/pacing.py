"""Minimum spacing between requests to one zKillboard service, shared by the deployment.

zKillboard asks for about one API request per second per IP and R2Z2 allows 20 per
second: the spacing is one slot sequence for every process (Redis) or for this process.
A 429 or a block seen by any process pauses the whole sequence until its `retry_at`,
because every further request meanwhile counts toward zKillboard's IP block.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from killreport.zkb.errors import ZkbPacingUnavailable

_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local interval = tonumber(ARGV[1])
if next_at > now then return next_at - now end
redis.call('SET', KEYS[1], now + interval, 'PX', interval * 2 + 1000)
return 0
"""

# Push the next slot to at least ARGV[1] (unix ms); keep the key until then and a bit.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_at = tonumber(ARGV[1])
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_at <= next_at or until_at <= now then return next_at end
redis.call('SET', KEYS[1], until_at, 'PX', until_at - now + tonumber(ARGV[2]) * 2 + 1000)
return until_at
"""


class Pacer(Protocol):
    """Waits until the next request to a service may go."""

    async def wait_turn(self) -> None:
        """Return when this caller may send one request."""
        ...

    async def pause_until(self, retry_at: datetime) -> None:
        """Let no caller of this pacer send before `retry_at` (aware UTC)."""
        ...


def _unreachable(exc: RedisError) -> ZkbPacingUnavailable:
    return ZkbPacingUnavailable(f"zKillboard pacing store unreachable: {exc}")


def _seconds_until(retry_at: datetime) -> float:
    return (retry_at - datetime.now(UTC)).total_seconds()


class LocalPacer:
    """Spacing within this process."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next_at = 0.0
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        """Return when this caller may send one request."""
        async with self._lock:
            now = time.monotonic()
            # A loop: a pause may arrive while this caller sleeps.
            while self._next_at > now:
                await asyncio.sleep(self._next_at - now)
                now = time.monotonic()
            self._next_at = now + self.interval_s

    async def pause_until(self, retry_at: datetime) -> None:
        """Let no caller of this pacer send before `retry_at` (aware UTC)."""
        self._next_at = max(self._next_at, time.monotonic() + _seconds_until(retry_at))


class RedisPacer:
    """Spacing shared by every process using the same Redis key."""

    def __init__(self, client: aioredis.Redis, key: str, interval_s: float) -> None:
        self.key = key
        self.interval_ms = round(interval_s * 1000)
        self._script = client.register_script(_TAKE_SLOT)
        self._pause = client.register_script(_PAUSE)
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        """Return when this caller may send one request."""
        # No early return for a zero interval: another process's pause must still hold.
        async with self._lock:
            while True:
                try:
                    wait_ms: Any = await self._script(keys=[self.key], args=[self.interval_ms])
                except RedisError as exc:
                    raise _unreachable(exc) from exc
                if int(wait_ms) <= 0:
                    return
                await asyncio.sleep(int(wait_ms) / 1000)

    async def pause_until(self, retry_at: datetime) -> None:
        """Let no process on this key send before `retry_at` (aware UTC)."""
        until_ms = int(retry_at.timestamp() * 1000)
        try:
            await self._pause(keys=[self.key], args=[until_ms, self.interval_ms])
        except RedisError as exc:
            raise _unreachable(exc) from exc
