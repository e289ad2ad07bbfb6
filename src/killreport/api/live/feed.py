"""The live feed: one per API process, following the dense killmail sequence.

Events from the hub only say "something new, up to sequence N"; the killmails themselves
always come from the database, read once per process in sequence order and handed to
every open subscription. So a lost event (Redis restarted, a publish dropped), a jump in
the announced sequence, or a kill committed by another process without Redis is caught
by the next read: the feed reads whatever lies after the last sequence it handed out,
woken by an event or by a poll of the latest sequence every `poll_interval_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from prometheus_client import Counter, Gauge
from sqlalchemy.exc import SQLAlchemyError

from killreport.api.live.connection import LiveConnection
from killreport.api.live.errors import ReplayTooLarge
from killreport.api.live.subscription import ItemT, LiveSubscription, Predicate, Sequenced
from killreport.db.engine import DatabaseUnavailable
from killreport.events.contracts import KillmailCreated
from killreport.events.errors import EventError
from killreport.events.hub import EventHub

logger = logging.getLogger(__name__)

MAX_REPLAY = 1000
# Below the default buffer: a burst of one read must never look like a stalled client.
READ_LIMIT = 100
# How soon a lost events subscription is tried again.
RESUBSCRIBE_S = 1.0

LIVE_KILLMAILS = Counter(
    "killreport_live_killmails_total", "Killmails read once and fanned out to subscriptions."
)
LIVE_WAKEUPS = Counter(
    "killreport_live_catchups_total",
    "Reads of new killmails, by what showed they were there.",
    ["reason"],
)
LIVE_SUBSCRIPTIONS = Gauge("killreport_live_subscriptions", "Open killmail subscriptions.")

SourceT_co = TypeVar("SourceT_co", bound=Sequenced, covariant=True)

_READ_ERRORS = (SQLAlchemyError, DatabaseUnavailable, OSError)
_TOO_MANY = (
    f"more than {MAX_REPLAY} stored killmails after sequence {{after_sequence}} match; "
    "page with the killmails query instead"
)

# (after_sequence, up_to_sequence, limit) -> the stored matching killmails, ascending.
Replay = Callable[[int, int, int], Awaitable[Sequence[ItemT]]]


class SequenceSource(Protocol[SourceT_co]):
    """Where the feed reads killmails from: the database, hydrated for sending."""

    async def latest_sequence(self) -> int:
        """The highest stored sequence (0 when empty)."""
        ...

    async def after(self, sequence: int, *, limit: int) -> Sequence[SourceT_co]:
        """Up to `limit` stored killmails after `sequence`, ascending, freshly read."""
        ...


class LiveFeed(Generic[ItemT]):
    """Reads each new killmail once and offers it to every open subscription."""

    def __init__(
        self,
        source: SequenceSource[ItemT],
        events: EventHub | None,
        *,
        poll_interval_s: float,
        replay_scan_max: int,
        read_limit: int = READ_LIMIT,
    ) -> None:
        self._source = source
        self._events = events
        self._poll_interval_s = poll_interval_s
        self._replay_scan_max = replay_scan_max
        self._read_limit = read_limit
        self._subscriptions: set[LiveSubscription[ItemT]] = set()
        self._last = 0
        # Highest sequence an event or a poll said is stored: what a read will reach.
        self._announced = 0
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def last_sequence(self) -> int:
        """The highest sequence handed to subscriptions so far."""
        return self._last

    @property
    def subscriptions(self) -> int:
        """How many subscriptions are open."""
        return len(self._subscriptions)

    async def start(self) -> None:
        """Start from the stored latest sequence: listen, poll and fan out in tasks.

        A database that does not answer yet must not stop the API from serving (/readyz
        says what is down): the feed then starts in the background once it can read.
        """
        loop = asyncio.get_running_loop()
        try:
            self._last = await self._source.latest_sequence()
        except _READ_ERRORS as exc:
            logger.warning("live feed waits for the database to start: %s", exc)
            self._tasks = [loop.create_task(self._start_when_readable(), name="live-start")]
            return
        self._start_tasks()

    async def _start_when_readable(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                self._last = await self._source.latest_sequence()
            except _READ_ERRORS as exc:
                logger.warning("live feed still waits for the database: %s", exc)
                continue
            self._start_tasks()
            return

    def _start_tasks(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._pump(), name="live-pump"))
        self._tasks.append(loop.create_task(self._poll(), name="live-poll"))
        if self._events is not None:
            self._tasks.append(loop.create_task(self._listen(self._events), name="live-listen"))
        logger.info("live feed started at sequence %d", self._last)

    async def stop(self) -> None:
        """Stop the tasks; open subscriptions end with their connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LiveFeed[ItemT]]:
        """The feed, started for the duration of the block."""
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def subscribe(
        self,
        connection: LiveConnection,
        predicate: Predicate[ItemT],
        *,
        after_sequence: int | None = None,
        replay: Replay[ItemT] | None = None,
    ) -> AsyncIterator[ItemT]:
        """Matching killmails: first the stored ones after `after_sequence`, then live ones.

        The subscription joins the fan-out before the replay is read, at the feed's
        current sequence; the replay reads up to exactly that sequence, so the switch
        from stored to live has no gap and no duplicate. ReplayTooLarge when more than
        1,000 stored killmails match. `replay` reads the matching stored ones in the
        database (an index walk); without it the feed reads every stored killmail after
        `after_sequence` (at most `replay_scan_max`) and keeps the matching ones.
        """
        boundary = self._last
        floor = boundary if after_sequence is None else max(after_sequence, boundary)
        subscription = LiveSubscription(connection, predicate, floor=floor)
        self._subscriptions.add(subscription)
        LIVE_SUBSCRIPTIONS.set(len(self._subscriptions))
        try:
            if after_sequence is not None and after_sequence < boundary:
                if replay is not None:
                    stored = await replay(after_sequence, boundary, MAX_REPLAY + 1)
                    if len(stored) > MAX_REPLAY:
                        raise ReplayTooLarge(_TOO_MANY.format(after_sequence=after_sequence))
                else:
                    stored = await self._scan(predicate, after_sequence, boundary)
                for item in stored:
                    yield item
            async for item in subscription.items():
                yield item
        finally:
            self._subscriptions.discard(subscription)
            subscription.discard()
            LIVE_SUBSCRIPTIONS.set(len(self._subscriptions))

    async def _scan(
        self, predicate: Predicate[ItemT], after_sequence: int, boundary: int
    ) -> Sequence[ItemT]:
        behind = boundary - max(after_sequence, 0)
        if behind > self._replay_scan_max:
            raise ReplayTooLarge(
                f"afterSequence {after_sequence} is {behind} killmails behind (more than "
                f"{self._replay_scan_max}); page with the killmails query instead"
            )
        matched: list[ItemT] = []
        cursor = after_sequence
        while cursor < boundary:
            batch = await self._source.after(cursor, limit=min(self._read_limit, boundary - cursor))
            if not batch:
                break
            for item in batch:
                if item.sequence > boundary:
                    break
                if predicate(item):
                    matched.append(item)
            if len(matched) > MAX_REPLAY:
                raise ReplayTooLarge(_TOO_MANY.format(after_sequence=after_sequence))
            cursor = batch[-1].sequence
        return matched

    def _wake(self, reason: str) -> None:
        LIVE_WAKEUPS.labels(reason).inc()
        self._wakeup.set()

    async def _pump(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            try:
                await self._catch_up()
                if self._last >= self._announced:
                    # Events that came in during the read (the rest of a committed batch)
                    # were covered by it: no second read for them.
                    self._wakeup.clear()
            except _READ_ERRORS as exc:
                # The database is the only source of killmails: wait for the next poll.
                logger.warning("live feed could not read after %d: %s", self._last, exc)

    async def _catch_up(self) -> None:
        while True:
            batch = await self._source.after(self._last, limit=self._read_limit)
            for item in batch:
                self._fan_out(item)
                # Let subscribers take it before the next one: a burst of a whole batch
                # must not look like a client that stopped reading.
                await asyncio.sleep(0)
            if len(batch) < self._read_limit:
                return

    def _fan_out(self, item: ItemT) -> None:
        if item.sequence <= self._last:
            return
        if item.sequence != self._last + 1:
            logger.warning(
                "live feed jumped from sequence %d to %d in the store", self._last, item.sequence
            )
        self._last = item.sequence
        LIVE_KILLMAILS.inc()
        for subscription in tuple(self._subscriptions):
            subscription.offer(item)
            if subscription.connection.closed:
                # Cut off (or gone): forget it now, not when its blocked send returns.
                self._subscriptions.discard(subscription)
                subscription.discard()
        LIVE_SUBSCRIPTIONS.set(len(self._subscriptions))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval_s)
            try:
                latest = await self._source.latest_sequence()
            except _READ_ERRORS as exc:
                logger.warning("live feed could not read the latest sequence: %s", exc)
                continue
            if latest > self._last:
                self._announced = max(self._announced, latest)
                self._wake("poll")

    async def _listen(self, events: EventHub) -> None:
        failures = 0
        while True:
            try:
                async with events.subscribe(KillmailCreated.name) as stream:
                    # Whatever was committed while not subscribed is read now.
                    self._wake("subscribed")
                    failures = 0
                    async for event in stream:
                        if not isinstance(event, KillmailCreated):
                            continue
                        self._announced = max(self._announced, event.sequence)
                        if event.sequence > self._last + 1 and not self._wakeup.is_set():
                            # Events in between were lost (or are still coming): read.
                            self._wake("jump")
                        elif event.sequence > self._last:
                            self._wake("event")
            except EventError as exc:
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                logger.log(level, "live feed lost the events hub, polling until back: %s", exc)
            await asyncio.sleep(min(self._poll_interval_s, RESUBSCRIBE_S))
