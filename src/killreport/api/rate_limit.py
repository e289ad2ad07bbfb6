"""Per-client token buckets for API routes (one limiter per route family, keyed by IP).

Each key has a bucket of `burst` tokens refilled at `rate_per_s`; a request takes one
token or is told how long to wait. Memory is bounded: the least recently seen keys are
dropped beyond `max_keys` (a dropped key starts again with a full bucket). The limit
is per API process; any route can share the class (`admit(key)`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

DEFAULT_MAX_KEYS = 100_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at_s: float


class KeyedRateLimiter:
    """A token bucket per key: `admit(key)` is None when allowed, else seconds to wait."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a rate limiter needs rate_per_s > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def admit(self, key: str) -> float | None:
        """Take a token for `key`; None if one was there, else the seconds until one is."""
        now_s = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now_s)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed_s = max(now_s - bucket.at_s, 0.0)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed_s * self.rate_per_s)
            bucket.at_s = now_s
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / self.rate_per_s


def client_key(request: Request) -> str:
    """The client's address (the direct peer; no proxy header is trusted)."""
    return request.client.host if request.client is not None else "unknown"
