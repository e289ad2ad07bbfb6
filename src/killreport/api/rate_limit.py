"""Per-client token buckets: in Redis when configured (shared by every API process), else here.

A client may spend `burst` requests at once and `rate_per_s` a second after that; over
it, the caller answers 429 with the seconds until one token is back.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as aioredis

KEY_PREFIX = "killreport:api:rate:"
# One bucket per key: refill since the last visit, take one token if there is one.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local retry = 0
if tokens >= 1 then tokens = tokens - 1 else retry = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return tostring(retry)
"""


class RateLimiter(Protocol):
    """Take one token for a client; the seconds to wait (0.0 = allowed)."""

    async def take(self, client: str) -> float:
        """0.0 when the request may go on, else seconds until a token is back."""
        ...


@dataclass
class MemoryRateLimiter:
    """Buckets in this process (the embedded deployment)."""

    rate_per_s: float
    burst: int
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    async def take(self, client: str) -> float:
        """Take a token from the client's bucket."""
        now = time.monotonic()
        tokens, updated = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate_per_s)
        if len(self._buckets) > 100_000:
            self._forget_full(now)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            return 0.0
        self._buckets[client] = (tokens, now)
        return (1.0 - tokens) / self.rate_per_s

    def _forget_full(self, now: float) -> None:
        full_after_s = self.burst / self.rate_per_s
        for key in [k for k, (_, at) in self._buckets.items() if now - at > full_after_s]:
            del self._buckets[key]


@dataclass
class RedisRateLimiter:
    """Buckets in Redis, one hash per client, updated atomically by a script."""

    redis: aioredis.Redis
    rate_per_s: float
    burst: int

    async def take(self, client: str) -> float:
        """Take a token from the client's bucket in Redis."""
        retry = await self.redis.eval(
            _TAKE, 1, KEY_PREFIX + client, str(self.rate_per_s), str(self.burst)
        )
        return float(retry)


@dataclass(frozen=True)
class ClientAddress:
    """Who a request comes from: the peer, or X-Forwarded-For when the peer is a trusted proxy."""

    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def from_setting(cls, value: str) -> ClientAddress:
        """Parse comma-separated IPs or CIDRs (e.g. "127.0.0.1, 10.0.0.0/8")."""
        networks = tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in value.split(",")
            if part.strip()
        )
        return cls(networks)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)

    def of(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address: right-most X-Forwarded-For hop that is not a trusted proxy."""
        client = peer or "unknown"
        if not forwarded_for or not self._is_trusted(client):
            return client
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            client = hop
            if not self._is_trusted(hop):
                break
        return client
