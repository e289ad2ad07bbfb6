"""ESI's two limit families: the legacy fixed-window error limit and the token buckets.

Both use the monotonic clock: limits are about real request pacing, not simulated days.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

# Token cost of a response by status class (esi-facts §2b); 429 itself is free.
TOKEN_COST_BY_CLASS = {2: 2, 3: 1, 4: 5, 5: 0}


def token_cost(status: int) -> int:
    """Tokens a response with this status takes from its bucket."""
    if status == 429:
        return 0
    return TOKEN_COST_BY_CLASS.get(status // 100, 0)


@dataclass(slots=True)
class ErrorWindow:
    """Errors counted in one fixed window for one caller."""

    index: int
    errors: int = 0


class ErrorLimiter:
    """At most `limit` error responses per fixed window per caller; then 420 everywhere."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._origin = clock()
        self._windows: dict[str, ErrorWindow] = {}

    def _window(self, caller: str) -> tuple[ErrorWindow, float]:
        elapsed = self._clock() - self._origin
        index = int(elapsed // self.window_s)
        window = self._windows.get(caller)
        if window is None or window.index != index:
            window = self._windows[caller] = ErrorWindow(index)
        reset_s = (index + 1) * self.window_s - elapsed
        return window, reset_s

    def blocked(self, caller: str) -> bool:
        """True when the caller has used up its errors in the current window."""
        window, _ = self._window(caller)
        return window.errors >= self.limit

    def record(self, caller: str, status: int) -> None:
        """Count a response: every 4xx and 5xx is an error."""
        if status >= 400:
            window, _ = self._window(caller)
            window.errors += 1

    def headers(self, caller: str) -> dict[str, str]:
        """`X-ESI-Error-Limit-Remain` and `-Reset` for the caller now."""
        window, reset_s = self._window(caller)
        return {
            "X-ESI-Error-Limit-Remain": str(max(0, self.limit - window.errors)),
            "X-ESI-Error-Limit-Reset": str(max(1, math.ceil(reset_s))),
        }

    def reset(self) -> None:
        """Forget every window."""
        self._windows.clear()
        self._origin = self._clock()


@dataclass(slots=True)
class Bucket:
    """Spends of one (group, caller) inside the floating window."""

    spends: deque[tuple[float, int]] = field(default_factory=deque)
    used: int = 0


@dataclass(frozen=True, slots=True)
class BucketLimit:
    """Size and window of one rate-limit group as enforced (after overrides and scaling)."""

    group: str
    max_tokens: int
    window_s: float
    limit_text: str  # X-Ratelimit-Limit, e.g. "150/15m"


class TokenBuckets:
    """Floating-window token buckets per (group, caller): spent tokens return one window later."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def _bucket(self, limit: BucketLimit, caller: str, now: float) -> Bucket:
        bucket = self._buckets.get((limit.group, caller))
        if bucket is None:
            bucket = self._buckets[(limit.group, caller)] = Bucket()
        horizon = now - limit.window_s
        spends = bucket.spends
        while spends and spends[0][0] <= horizon:
            bucket.used -= spends.popleft()[1]
        return bucket

    def retry_after_s(self, limit: BucketLimit, caller: str) -> int | None:
        """Seconds until a token is free when the bucket is empty, else None."""
        now = self._clock()
        bucket = self._bucket(limit, caller, now)
        if bucket.used < limit.max_tokens:
            return None
        freed, excess = 0, bucket.used - limit.max_tokens
        for spent_at, tokens in bucket.spends:
            freed += tokens
            if freed > excess:
                return max(1, math.ceil(spent_at + limit.window_s - now))
        return max(1, math.ceil(limit.window_s))

    def spend(self, limit: BucketLimit, caller: str, tokens: int) -> int:
        """Take tokens for a response; return the tokens remaining."""
        now = self._clock()
        bucket = self._bucket(limit, caller, now)
        if tokens:
            bucket.spends.append((now, tokens))
            bucket.used += tokens
        return max(0, limit.max_tokens - bucket.used)

    def reset(self) -> None:
        """Refill every bucket."""
        self._buckets.clear()


class RequestRate:
    """A sliding one-window request counter per caller (R2Z2's 20 req/s, zKillboard's limit)."""

    def __init__(
        self, max_requests: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_requests = max_requests
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    def admit(self, caller: str) -> float | None:
        """Count a request; None when admitted, else seconds until one would be."""
        now = self._clock()
        hits = self._hits.setdefault(caller, deque())
        horizon = now - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.max_requests:
            return hits[0] + self.window_s - now
        hits.append(now)
        return None

    def reset(self) -> None:
        """Forget every request."""
        self._hits.clear()
