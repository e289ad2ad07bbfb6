"""One ESI budget for the whole deployment, driven by ESI's own headers.

Four limits decide whether a request may go now (esi-facts §2):

* the legacy error limit: `X-ESI-Error-Limit-Remain/Reset`, a fixed window after which
  ESI answers 420 on every route. Every request in flight may still fail, so a request is
  only admitted while `remain - in_flight > floor`: the budget slows down as the limit
  falls, stops before it reaches the floor and waits out the reset after a 420;
* rate-limit groups: `X-Ratelimit-Group/Limit/Remaining/Used`, a floating window per
  (group, caller). Spent tokens return one window after they were spent; a request in
  flight holds the worst cost (5) until its answer says what it really cost. ESI refuses
  a request only when the bucket is already empty, so a request is admitted while the
  tokens left after every in-flight worst case are above zero: the group is used to the
  last token and never answers 429. A group's size is learnt from its first answer (one
  request at a time until then); a 429 pauses the group for `Retry-After`;
* a global request rate: at most `max_rps` admissions in any `rps_window_s`;
* a global concurrency cap.

The state lives in a `BudgetStore`: in-process (`budget_memory`), in Redis
(`budget_redis`, atomic Lua, shared by every process and host) or in the application
database (`budget_database`, one writing unit per step, shared by every process on it:
the embedded deployment's). A store whose steps are costly admits a bucket's waiters
in batches, one step for all of them (`BatchBudgetStore`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from killreport.settings import Settings

logger = logging.getLogger(__name__)

# Token cost of an answer by status class (esi-facts §2b); 429 costs nothing.
TOKEN_COST_BY_CLASS = {2: 2, 3: 1, 4: 5, 5: 0}
WORST_TOKEN_COST = 5
# Tranquility's error limit per window; used until a header says otherwise.
DEFAULT_ERROR_LIMIT = 100
# How often a waiter looks again when only a completion elsewhere can free it.
POLL_S = 0.01
# A 420 without a usable reset header pauses this long (one legacy window).
DEFAULT_ERROR_PAUSE_S = 60.0
DEFAULT_RETRY_AFTER_S = 5.0
# Reset headers are whole seconds; a window is assumed to end up to this much later.
RESET_MARGIN_S = 1.0

_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*([smh])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600}


def parse_limit(value: str) -> tuple[int, float]:
    """Parse an `X-Ratelimit-Limit` value such as `150/15m` into (tokens, window seconds)."""
    match = _LIMIT.match(value)
    if match is None:
        raise ValueError(f"unreadable X-Ratelimit-Limit {value!r}")
    tokens, count, unit = match.groups()
    return int(tokens), float(int(count) * _UNIT_S[unit])


def token_cost(status: int | None) -> int:
    """Tokens ESI takes for an answer with this status (a failed exchange costs nothing)."""
    if status is None or status == 429:
        return 0
    return TOKEN_COST_BY_CLASS.get(status // 100, 0)


def _header_float(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        logger.warning("ignoring unreadable header %s=%r", name, raw)
        return None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one exchange taught the budget; `status` None means timeout or reset."""

    status: int | None
    error_remain: int | None = None
    error_reset_s: float | None = None
    group: str | None = None
    group_limit: int | None = None
    group_window_s: float | None = None
    group_remaining: int | None = None
    group_used: int | None = None
    retry_after_s: float | None = None

    @classmethod
    def from_response(cls, status: int, headers: Mapping[str, str]) -> Observation:
        """Read the budget headers of an ESI answer (names are case-insensitive in aiohttp)."""
        remain = _header_float(headers, "X-ESI-Error-Limit-Remain")
        limit_raw = headers.get("X-Ratelimit-Limit")
        limit: tuple[int, float] | None = None
        if limit_raw is not None:
            try:
                limit = parse_limit(limit_raw)
            except ValueError:
                logger.warning("ignoring unreadable X-Ratelimit-Limit %r", limit_raw)
        remaining = _header_float(headers, "X-Ratelimit-Remaining")
        used = _header_float(headers, "X-Ratelimit-Used")
        return cls(
            status=status,
            error_remain=int(remain) if remain is not None else None,
            error_reset_s=_header_float(headers, "X-ESI-Error-Limit-Reset"),
            group=headers.get("X-Ratelimit-Group"),
            group_limit=limit[0] if limit else None,
            group_window_s=limit[1] if limit else None,
            group_remaining=int(remaining) if remaining is not None else None,
            group_used=int(used) if used is not None else None,
            retry_after_s=_header_float(headers, "Retry-After"),
        )

    @property
    def is_error(self) -> bool:
        """True when the legacy error limit counts this exchange."""
        return self.status is None or self.status >= 400

    @property
    def tokens_used(self) -> int:
        """Tokens this exchange took from its group."""
        return self.group_used if self.group_used is not None else token_cost(self.status)


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """The configured limits of the deployment."""

    max_rps: int = 50
    rps_window_s: float = 1.04
    max_concurrency: int = 20
    error_floor: int = 10
    hold_s: float = 40.0

    @classmethod
    def from_settings(cls, settings: Settings) -> BudgetPolicy:
        """Policy from settings; a request holds its reservation at most one timeout longer."""
        return cls(
            max_rps=settings.esi_max_rps,
            rps_window_s=settings.esi_rps_window_s,
            max_concurrency=settings.esi_max_concurrency,
            error_floor=settings.esi_error_limit_floor,
            hold_s=settings.http_timeout_s + 10.0,
        )


@dataclass(frozen=True, slots=True)
class Bucket:
    """A rate-limit group as one caller sees it, with what the spec says of its size."""

    group: str
    caller: str = "public"
    tokens: int | None = None
    window_s: float | None = None

    @property
    def key(self) -> str:
        """The store's name of this bucket."""
        return f"{self.group}|{self.caller}"


@dataclass(frozen=True, slots=True)
class GroupState:
    """One bucket's accounting, for `killreport status`."""

    key: str
    tokens: int | None
    window_s: float | None
    available: int | None
    in_flight: int
    paused_until: datetime | None


@dataclass(frozen=True, slots=True)
class BudgetSnapshot:
    """The budget as the store holds it now."""

    backend: str
    error_remain: int | None
    error_window_end: datetime | None
    paused_until: datetime | None
    in_flight: int
    sent_last_window: int
    groups: tuple[GroupState, ...] = field(default=())

    def summary(self) -> dict[str, object]:
        """The deployment-wide figures, JSON-ready (for `killreport status`)."""
        return {
            "backend": self.backend,
            "error_limit_remaining": self.error_remain,
            "error_window_ends": _iso(self.error_window_end),
            "paused_until": _iso(self.paused_until),
            "in_flight": self.in_flight,
            "sent_last_window": self.sent_last_window,
        }

    def group_rows(self) -> dict[str, dict[str, object]]:
        """One row per (group, caller) bucket, JSON-ready."""
        return {
            group.key: {
                "tokens": group.tokens,
                "window_s": group.window_s,
                "available": group.available,
                "in_flight": group.in_flight,
                "paused_until": _iso(group.paused_until),
            }
            for group in self.groups
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def epoch_to_datetime(epoch_s: float) -> datetime | None:
    """An aware UTC datetime for a positive epoch, None for 0 (unset)."""
    return datetime.fromtimestamp(epoch_s, UTC) if epoch_s > 0 else None


class BudgetStore(Protocol):
    """Where the budget lives; every method is one atomic step."""

    backend: str

    async def try_acquire(self, request_id: str, bucket: Bucket | None) -> float:
        """Admit the request (0.0) or say how many seconds to wait before asking again."""
        ...

    async def settle(
        self, request_id: str, bucket: Bucket | None, observation: Observation
    ) -> None:
        """Release the reservation and learn from the answer."""
        ...

    async def snapshot(self) -> BudgetSnapshot:
        """Read the whole state."""
        ...


@runtime_checkable
class BatchBudgetStore(BudgetStore, Protocol):
    """A store whose every step is costly (a database write): it admits waiters in batches."""

    async def try_acquire_many(
        self, request_ids: Sequence[str], bucket: Bucket | None
    ) -> tuple[int, float]:
        """Admit the requests in order while the budget allows: (admitted, wait for the rest)."""
        ...

    async def release(self, request_id: str, bucket: Bucket | None) -> None:
        """Give back an admission whose request was never sent."""
        ...


# Most admissions one store step grants a process (one bucket's waiters at once).
ADMIT_BATCH_MAX = 20


@dataclass(eq=False, slots=True)
class _Ticket:
    request_id: str
    admitted: asyncio.Future[None]


class Permit:
    """A granted request; `observe` the answer before leaving the `permit` block."""

    def __init__(self, request_id: str, bucket: Bucket | None) -> None:
        self.request_id = request_id
        self.bucket = bucket
        self.observation: Observation | None = None

    def observe(self, status: int, headers: Mapping[str, str]) -> Observation:
        """Record the answer's status and budget headers."""
        self.observation = Observation.from_response(status, headers)
        return self.observation


class Budget:
    """Admission control for every ESI request of a process, over a shared store."""

    def __init__(self, store: BudgetStore) -> None:
        self.store = store
        # One waiter per bucket and process asks the store; the others queue behind it,
        # so a thousand waiting coroutines do not poll Redis a thousand times.
        self._gates: dict[str, asyncio.Lock] = {}
        # Batch stores: waiters per bucket, and the one task per bucket that admits them.
        self._waiting: dict[str, list[_Ticket]] = {}
        self._pumps: dict[str, asyncio.Task[None]] = {}

    async def acquire(self, bucket: Bucket | None) -> str:
        """Wait until the budget admits one request; return its reservation id."""
        if isinstance(self.store, BatchBudgetStore):
            return await self._acquire_batched(self.store, bucket)
        request_id = uuid.uuid4().hex
        key = bucket.key if bucket else ""
        gate = self._gates.setdefault(key, asyncio.Lock())
        async with gate:
            # The store says exactly how long until a slot frees (or when to look again
            # for completions in other processes), so this is a timed wait, not a spin.
            while (wait_s := await self.store.try_acquire(request_id, bucket)) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait_s)
        return request_id

    async def _acquire_batched(self, store: BatchBudgetStore, bucket: Bucket | None) -> str:
        key = bucket.key if bucket else ""
        ticket = _Ticket(uuid.uuid4().hex, asyncio.get_running_loop().create_future())
        waiting = self._waiting.setdefault(key, [])
        waiting.append(ticket)
        if key not in self._pumps:
            self._pumps[key] = asyncio.create_task(
                self._admit(store, key, bucket), name=f"esi-budget-{key or 'global'}"
            )
        try:
            # Shielded: the admitting task settles the future whatever happens to this waiter.
            await asyncio.shield(ticket.admitted)
        except asyncio.CancelledError:
            if ticket in waiting:
                waiting.remove(ticket)
            elif ticket.admitted.done() and ticket.admitted.exception() is None:
                await asyncio.shield(store.release(ticket.request_id, bucket))
            raise
        return ticket.request_id

    async def _admit(self, store: BatchBudgetStore, key: str, bucket: Bucket | None) -> None:
        """Admit this bucket's waiters, as many per store step as the budget allows."""
        waiting = self._waiting[key]
        try:
            while waiting:
                batch = waiting[:ADMIT_BATCH_MAX]
                admitted, wait_s = await store.try_acquire_many(
                    [t.request_id for t in batch], bucket
                )
                for ticket in batch[:admitted]:
                    if ticket in waiting:
                        waiting.remove(ticket)
                        ticket.admitted.set_result(None)
                    else:  # its waiter was cancelled meanwhile
                        await store.release(ticket.request_id, bucket)
                if admitted < len(batch):
                    await asyncio.sleep(wait_s)
        except Exception as exc:  # noqa: BLE001  (handed to every waiter, who raises it)
            for ticket in waiting:
                if not ticket.admitted.done():
                    ticket.admitted.set_exception(exc)
            waiting.clear()
        finally:
            self._pumps.pop(key, None)

    @asynccontextmanager
    async def permit(self, bucket: Bucket | None) -> AsyncIterator[Permit]:
        """Hold one admission for the duration of a request; settle it on the way out."""
        request_id = await self.acquire(bucket)
        permit = Permit(request_id, bucket)
        try:
            yield permit
        finally:
            observation = permit.observation or Observation(status=None)
            # Settling must happen even when the caller is cancelled, or the reservation
            # would block the budget until it expires.
            await asyncio.shield(self.store.settle(request_id, bucket, observation))
            if observation.status in (420, 429):
                logger.warning(
                    "ESI answered %s for request %s (bucket %s, retry after %s s)",
                    observation.status,
                    request_id,
                    bucket.key if bucket else "-",
                    observation.retry_after_s or observation.error_reset_s,
                )

    async def snapshot(self) -> BudgetSnapshot:
        """The current state, for status displays."""
        return await self.store.snapshot()
