"""Minimum spacing between requests to one zKillboard service, shared by the deployment.

zKillboard asks for about one API request per second per IP and R2Z2 allows 20 per
second: the spacing is one slot sequence for every process (Redis) or for this process.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol

import redis.asyncio as aioredis

_TAKE_SLOT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next_at = tonumber(redis.call('GET', KEYS[1]) or '0')
local interval = tonumber(ARGV[1])
if next_at > now then return next_at - now end
redis.call('SET', KEYS[1], now + interval, 'PX', interval * 2 + 1000)
return 0
"""


class Pacer(Protocol):
    """Waits until the next request to a service may go."""

    async def wait_turn(self) -> None:
        """Return when this caller may send one request."""
        ...


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
            if self._next_at > now:
                await asyncio.sleep(self._next_at - now)
                now = time.monotonic()
            self._next_at = now + self.interval_s


class RedisPacer:
    """Spacing shared by every process using the same Redis key."""

    def __init__(self, client: aioredis.Redis, key: str, interval_s: float) -> None:
        self.key = key
        self.interval_ms = round(interval_s * 1000)
        self._script = client.register_script(_TAKE_SLOT)
        self._lock = asyncio.Lock()

    async def wait_turn(self) -> None:
        """Return when this caller may send one request."""
        if self.interval_ms <= 0:
            return
        async with self._lock:
            while True:
                wait_ms: Any = await self._script(keys=[self.key], args=[self.interval_ms])
                if int(wait_ms) <= 0:
                    return
                await asyncio.sleep(int(wait_ms) / 1000)
