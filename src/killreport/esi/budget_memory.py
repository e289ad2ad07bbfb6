"""The in-process budget store: the reference semantics, mirrored in Lua by `budget_redis`.

Its state also round-trips through `dump_state`/`load_state` (plain JSON types), which is
how `budget_database` runs these same rules over a row every process shares.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from killreport.esi.budget import (
    DEFAULT_ERROR_LIMIT,
    DEFAULT_ERROR_PAUSE_S,
    DEFAULT_RETRY_AFTER_S,
    POLL_S,
    RESET_MARGIN_S,
    WORST_TOKEN_COST,
    Bucket,
    BudgetPolicy,
    BudgetSnapshot,
    GroupState,
    Observation,
    epoch_to_datetime,
)

Clock = Callable[[], float]


@dataclass(slots=True)
class _Group:
    tokens: int | None = None
    window_s: float | None = None
    # request id -> (returns at, cost); a spend comes back one window later.
    ledger: dict[str, tuple[float, int]] = field(default_factory=dict)
    pending: dict[str, float] = field(default_factory=dict)
    paused_until: float = 0.0

    def prune(self, now: float) -> None:
        self.ledger = {k: v for k, v in self.ledger.items() if v[0] > now}
        self.pending = {k: v for k, v in self.pending.items() if v > now}

    def available(self) -> int | None:
        if self.tokens is None:
            return None
        spent = sum(cost for _, cost in self.ledger.values())
        return self.tokens - spent - WORST_TOKEN_COST * len(self.pending)


@dataclass(slots=True)
class _ErrorWindow:
    remain: int | None = None
    window_end: float = 0.0
    limit_seen: int = 0
    paused_until: float = 0.0


class MemoryBudgetStore:
    """Budget state in this process only (the embedded deployment)."""

    backend = "in-process"

    def __init__(self, policy: BudgetPolicy, clock: Clock = time.time) -> None:
        self.policy = policy
        self.clock = clock
        self._sent: deque[float] = deque()
        self._in_flight: dict[str, float] = {}
        self._error = _ErrorWindow()
        self._groups: dict[str, _Group] = {}

    def _group(self, bucket: Bucket) -> _Group:
        group = self._groups.get(bucket.key)
        if group is None:
            # The size is taken from the first answer only: a spec figure may be stale.
            group = self._groups[bucket.key] = _Group(None, bucket.window_s)
        return group

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.policy.rps_window_s:
            self._sent.popleft()
        self._in_flight = {k: v for k, v in self._in_flight.items() if v > now}
        if self._error.window_end and now >= self._error.window_end:
            self._error.remain = None
            self._error.window_end = 0.0

    async def try_acquire(self, request_id: str, bucket: Bucket | None) -> float:
        """Admit the request (0.0) or say how many seconds to wait."""
        now = self.clock()
        self._prune(now)
        policy = self.policy
        error = self._error
        if error.paused_until > now:
            return error.paused_until - now
        remain = (
            error.remain if error.remain is not None else (error.limit_seen or DEFAULT_ERROR_LIMIT)
        )
        if remain - len(self._in_flight) <= policy.error_floor:
            if not self._in_flight and error.window_end > now:
                return error.window_end - now
            return POLL_S
        if len(self._in_flight) >= policy.max_concurrency:
            return POLL_S
        group = self._group(bucket) if bucket else None
        if group is not None:
            group.prune(now)
            if group.paused_until > now:
                return group.paused_until - now
            available = group.available()
            if available is None:
                # Size unknown until the first answer: one request at a time.
                if group.pending:
                    return POLL_S
            elif available <= 0:
                # An answer in flight frees its unused reservation soon; otherwise the
                # next token comes back when the oldest spend leaves the window.
                returns = [at for at, _ in group.ledger.values()]
                if group.pending or not returns:
                    return POLL_S
                return max(POLL_S, min(returns) - now)
        if len(self._sent) >= policy.max_rps:
            return max(POLL_S / 10, self._sent[0] + policy.rps_window_s - now)
        self._sent.append(now)
        self._in_flight[request_id] = now + policy.hold_s
        if group is not None:
            group.pending[request_id] = now + max(policy.hold_s, group.window_s or 0.0)
        return 0.0

    async def try_acquire_many(
        self, request_ids: Sequence[str], bucket: Bucket | None
    ) -> tuple[int, float]:
        """Admit the requests in order while the budget allows: (admitted, wait for the rest)."""
        for admitted, request_id in enumerate(request_ids):
            wait_s = await self.try_acquire(request_id, bucket)
            if wait_s > 0:
                return admitted, wait_s
        return len(request_ids), 0.0

    async def release(self, request_id: str, bucket: Bucket | None) -> None:
        """Give back an admission that was never sent (its slot of the rate window stays used)."""
        self._in_flight.pop(request_id, None)
        if bucket is not None:
            self._group(bucket).pending.pop(request_id, None)

    async def settle(
        self, request_id: str, bucket: Bucket | None, observation: Observation
    ) -> None:
        """Release the reservation and learn from the answer."""
        now = self.clock()
        self._prune(now)
        self._in_flight.pop(request_id, None)
        self._settle_error(now, observation)
        if bucket is not None:
            self._group(bucket).pending.pop(request_id, None)
        if observation.group is not None:
            caller = bucket.caller if bucket else "public"
            learnt = Bucket(observation.group, caller)
            self._settle_group(now, request_id, self._group(learnt), observation)
        elif bucket is not None and observation.status == 429:
            self._group(bucket).paused_until = now + (
                observation.retry_after_s or DEFAULT_RETRY_AFTER_S
            )

    def _settle_error(self, now: float, observation: Observation) -> None:
        error = self._error
        if observation.status == 420:
            reset_s = observation.error_reset_s or observation.retry_after_s
            error.paused_until = now + (reset_s or DEFAULT_ERROR_PAUSE_S) + RESET_MARGIN_S
            error.remain = 0
            error.window_end = error.paused_until
            return
        if observation.error_remain is not None and observation.error_reset_s is not None:
            remain = observation.error_remain
            end = now + observation.error_reset_s + RESET_MARGIN_S
            error.limit_seen = max(error.limit_seen, remain)
            if error.remain is None or end > error.window_end + 1.5:
                error.remain, error.window_end = remain, end
            elif end >= error.window_end - 1.5:
                # Answers overtake each other; the lowest count of the window is the truth.
                error.remain = min(error.remain, remain)
                error.window_end = max(error.window_end, end)
            return
        if observation.is_error:
            # No headers (a token-limited route, a timeout): count it ourselves.
            if error.remain is None:
                error.remain = (error.limit_seen or DEFAULT_ERROR_LIMIT) - 1
                error.window_end = now + DEFAULT_ERROR_PAUSE_S + RESET_MARGIN_S
            else:
                error.remain -= 1

    def _settle_group(
        self, now: float, request_id: str, group: _Group, observation: Observation
    ) -> None:
        if observation.group_limit is not None:
            group.tokens = observation.group_limit
        if observation.group_window_s is not None:
            group.window_s = observation.group_window_s
        window_s = group.window_s or 0.0
        group.prune(now)
        if observation.tokens_used:
            group.ledger[request_id] = (now + window_s, observation.tokens_used)
        if observation.status == 429:
            group.paused_until = now + (observation.retry_after_s or DEFAULT_RETRY_AFTER_S)
        remaining = observation.group_remaining
        available = group.available()
        if remaining is not None and available is not None and remaining < available:
            # ESI counts spending we do not know of (another client on this IP, or a
            # restart): book the difference so this window's accounting stays true.
            group.ledger[f"external:{request_id}"] = (now + window_s, available - remaining)

    def dump_state(self) -> dict[str, Any]:
        """The whole state as JSON types (pruned; group ledgers merged per second)."""
        now = self.clock()
        self._prune(now)
        error = self._error
        groups: dict[str, Any] = {}
        for key, group in self._groups.items():
            group.prune(now)
            # One entry per second of return time: a 15-minute window of a busy group stays
            # at most 900 entries, and a spend comes back at most 1 s late (never early).
            ledger: dict[int, int] = {}
            for returns_at, cost in group.ledger.values():
                second = math.ceil(returns_at)
                ledger[second] = ledger.get(second, 0) + cost
            groups[key] = {
                "tokens": group.tokens,
                "window_s": group.window_s,
                "ledger": sorted(ledger.items()),
                "pending": group.pending,
                "paused_until": group.paused_until,
            }
        return {
            "sent": list(self._sent),
            "in_flight": self._in_flight,
            "error": [error.remain, error.window_end, error.limit_seen, error.paused_until],
            "groups": groups,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the state with one `dump_state` returned."""
        self._sent = deque(state.get("sent", ()))
        self._in_flight = dict(state.get("in_flight", {}))
        remain, window_end, limit_seen, paused_until = state.get("error", (None, 0.0, 0, 0.0))
        self._error = _ErrorWindow(remain, window_end, limit_seen, paused_until)
        self._groups = {
            key: _Group(
                tokens=group["tokens"],
                window_s=group["window_s"],
                ledger={f"s{second}": (float(second), cost) for second, cost in group["ledger"]},
                pending=dict(group["pending"]),
                paused_until=group["paused_until"],
            )
            for key, group in state.get("groups", {}).items()
        }

    async def snapshot(self) -> BudgetSnapshot:
        """The state now."""
        now = self.clock()
        self._prune(now)
        groups = []
        for key, group in sorted(self._groups.items()):
            group.prune(now)
            groups.append(
                GroupState(
                    key=key,
                    tokens=group.tokens,
                    window_s=group.window_s,
                    available=group.available(),
                    in_flight=len(group.pending),
                    paused_until=epoch_to_datetime(group.paused_until)
                    if group.paused_until > now
                    else None,
                )
            )
        error = self._error
        return BudgetSnapshot(
            backend=self.backend,
            error_remain=error.remain,
            error_window_end=epoch_to_datetime(error.window_end),
            paused_until=epoch_to_datetime(error.paused_until)
            if error.paused_until > now
            else None,
            in_flight=len(self._in_flight),
            sent_last_window=len(self._sent),
            groups=tuple(groups),
        )
