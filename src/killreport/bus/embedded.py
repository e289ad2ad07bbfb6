"""The embedded message bus: the queue is a table of the application's own database.

Same promises as RabbitMQ (DESIGN §5): priority order, a lease with a visibility
timeout (a crashed consumer's messages become visible again), delayed retry, dead
letters in `<name>.dead`, any number of consumer processes on one SQLite file or on
PostgreSQL (where claims use SKIP LOCKED). Every lease increments `attempts`, and
every settle names the attempt it settles, so a stale consumer can never ack a
message that was leased to someone else meanwhile.

Database errors never leave this module as SQLAlchemy's: they become `BusUnavailable`
(the runtime subscribes again with backoff), or, where a lease running out does the
same job (giving unstarted messages back, unregistering), a logged warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from killreport.bus import embedded_stats
from killreport.bus.contracts import MAX_PRIORITY, Message, dead_letter_queue
from killreport.bus.embedded_stats import now_ms
from killreport.bus.errors import BusUnavailable, LeaseLost
from killreport.bus.protocol import DeadLetter, Delivery, QueueStats
from killreport.db.dialect import upsert
from killreport.db.engine import Database, DatabaseUnavailable
from killreport.db.tables.ops import QueueConsumer, QueueMessage

logger = logging.getLogger(__name__)

_MESSAGES = cast(Table, QueueMessage.__table__)
_CONSUMERS = cast(Table, QueueConsumer.__table__)
PUBLISH_BATCH = 1000
MAX_ERROR_CHARS = 2000
# A poll backs off from this to the configured interval while a queue stays empty.
MIN_POLL_S = 0.01
MAX_HEARTBEAT_S = 5.0


@contextmanager
def _unavailable(action: str) -> Iterator[None]:
    """Translate the queue database's errors into BusUnavailable naming what failed."""
    try:
        yield
    except (SQLAlchemyError, OSError, DatabaseUnavailable) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BusUnavailable(f"queue database: could not {action}: {first_line}") from exc


def _rank(priority: int) -> int:
    return MAX_PRIORITY - max(0, min(priority, MAX_PRIORITY))


@dataclass(slots=True)
class _Lease:
    """What one subscription holds: messages leased and not yet settled."""

    subscription: EmbeddedSubscription
    message_id: int
    attempt: int


class EmbeddedBus:
    """MessageBus on the `queue_messages` table of `database`."""

    def __init__(
        self,
        database: Database,
        *,
        visibility_timeout_s: float = 60.0,
        poll_interval_s: float = 0.5,
    ) -> None:
        self.database = database
        self.visibility_timeout_s = visibility_timeout_s
        self.poll_interval_s = poll_interval_s
        self._published: dict[str, asyncio.Event] = {}

    def _wakeup(self, queue: str) -> asyncio.Event:
        return self._published.setdefault(queue, asyncio.Event())

    async def publish(self, queue: str, message: Message, priority: int = 0) -> None:
        """Publish one message (committed when this returns)."""
        await self.publish_many(queue, (message,), priority)

    async def publish_many(self, queue: str, messages: Iterable[Message], priority: int = 0) -> int:
        """Insert messages in batches of PUBLISH_BATCH rows, one transaction per batch."""
        total = 0
        batch: list[dict[str, object]] = []
        for message in messages:
            batch.append(self._row(queue, message, priority))
            if len(batch) >= PUBLISH_BATCH:
                total += await self._insert(queue, batch)
                batch = []
        if batch:
            total += await self._insert(queue, batch)
        return total

    async def publish_in(
        self, session: AsyncSession, queue: str, messages: Iterable[Message], priority: int = 0
    ) -> int:
        """Insert through the caller's session: the messages commit atomically with its work."""
        rows = [self._row(queue, message, priority) for message in messages]
        if rows:
            await session.execute(_MESSAGES.insert(), rows)
            # Consumers wake and find nothing until the commit; their poll picks it up then.
            self._wakeup(queue).set()
        return len(rows)

    def _row(self, queue: str, message: Message, priority: int) -> dict[str, object]:
        stamp = now_ms()
        return {
            "queue": queue,
            "rank": _rank(priority),
            "body": message.model_dump_json().encode(),
            "visible_at_ms": stamp,
            "lease_owner": None,
            "attempts": 0,
            "enqueued_at_ms": stamp,
            "last_error": None,
        }

    async def _insert(self, queue: str, rows: list[dict[str, object]]) -> int:
        try:
            async with self.database.connection() as conn:
                await conn.execute(_MESSAGES.insert(), rows)
        except SQLAlchemyError as exc:
            raise BusUnavailable(f"could not publish to {queue}: {exc}") from exc
        self._wakeup(queue).set()
        return len(rows)

    @asynccontextmanager
    async def consume(self, queue: str, *, prefetch: int) -> AsyncIterator[EmbeddedSubscription]:
        """Lease messages of `queue`, at most `prefetch` unsettled; release them on exit."""
        subscription = EmbeddedSubscription(self, queue, max(1, prefetch))
        await subscription.start()
        try:
            yield subscription
        finally:
            await subscription.close()

    def _lease(self, delivery: Delivery) -> _Lease:
        lease = delivery.token
        if not isinstance(lease, _Lease):
            raise TypeError(f"delivery {delivery.message_id} was not made by the embedded bus")
        return lease

    async def ack(self, delivery: Delivery) -> None:
        """Delete the message if this delivery still holds its lease."""
        lease = self._lease(delivery)
        with _unavailable(f"ack message {delivery.message_id} on {delivery.queue}"):
            async with self.database.connection() as conn:
                result = await conn.execute(delete(_MESSAGES).where(*self._held_by(lease)))
        self._done(delivery, lease, result.rowcount)

    async def ack_in(self, session: AsyncSession, delivery: Delivery) -> bool:
        """Delete the message in the handler's own transaction: done and acked commit together."""
        lease = self._lease(delivery)
        result = await session.execute(delete(_MESSAGES).where(*self._held_by(lease)))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(delivery.queue, delivery.message_id)
        lease.subscription.forget(lease.message_id)
        return True

    async def retry(
        self, delivery: Delivery, *, delay_s: float, error: str, count_attempt: bool = True
    ) -> None:
        """Make the message visible again after `delay_s`; the next lease is attempt + 1,
        or the same attempt again when the retry is not counted."""
        lease = self._lease(delivery)
        values: dict[str, object] = {
            "visible_at_ms": now_ms() + int(max(0.0, delay_s) * 1000),
            "lease_owner": None,
            "last_error": error[:MAX_ERROR_CHARS],
        }
        if not count_attempt:
            values["attempts"] = _MESSAGES.c.attempts - 1
        with _unavailable(f"retry message {delivery.message_id} on {delivery.queue}"):
            async with self.database.connection() as conn:
                result = await conn.execute(
                    update(_MESSAGES).where(*self._held_by(lease)).values(values)
                )
        self._done(delivery, lease, result.rowcount)

    async def dead_letter(self, delivery: Delivery, *, error: str) -> None:
        """Move the message to `<queue>.dead`, keeping its attempts and the error."""
        lease = self._lease(delivery)
        values = {
            "queue": dead_letter_queue(delivery.queue),
            "visible_at_ms": now_ms(),
            "lease_owner": None,
            "last_error": error[:MAX_ERROR_CHARS],
        }
        with _unavailable(f"dead-letter message {delivery.message_id} on {delivery.queue}"):
            async with self.database.connection() as conn:
                result = await conn.execute(
                    update(_MESSAGES).where(*self._held_by(lease)).values(values)
                )
        self._done(delivery, lease, result.rowcount)

    @staticmethod
    def _held_by(lease: _Lease) -> tuple[ColumnElement[bool], ...]:
        # The owner too: an uncounted retry gives `attempts` back, so the attempt alone
        # could match a later lease of the same message by another consumer.
        return (
            _MESSAGES.c.message_id == lease.message_id,
            _MESSAGES.c.attempts == lease.attempt,
            _MESSAGES.c.lease_owner == lease.subscription.owner,
        )

    @staticmethod
    def _done(delivery: Delivery, lease: _Lease, rowcount: int) -> None:
        lease.subscription.forget(lease.message_id)
        if rowcount != 1:
            logger.warning(
                "message %s on %s (attempt %d) was leased to another consumer meanwhile; "
                "left to it",
                delivery.message_id,
                delivery.queue,
                delivery.attempt,
            )

    async def queue_stats(self, queues: Sequence[str] | None = None) -> list[QueueStats]:
        """Counts per queue from the table (exact, as of now)."""
        return await embedded_stats.queue_stats(
            self.database, queues, stale_after_s=self._stale_after_s()
        )

    async def purge(self, queues: Sequence[str]) -> dict[str, int]:
        """Delete every message of the named queues (a name ending in .dead purges dead letters)."""
        purged: dict[str, int] = {}
        with _unavailable(f"purge {', '.join(queues)}"):
            async with self.database.connection() as conn:
                for name in queues:
                    result = await conn.execute(delete(_MESSAGES).where(_MESSAGES.c.queue == name))
                    purged[name] = int(result.rowcount)
        return purged

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]:
        """Rows of `<queue>.dead`, oldest first."""
        m = _MESSAGES.c
        statement = (
            select(m.message_id, m.body, m.attempts, m.last_error, m.enqueued_at_ms)
            .where(m.queue == dead_letter_queue(queue))
            .order_by(m.message_id)
            .limit(limit)
        )
        with _unavailable(f"list dead letters of {queue}"):
            async with self.database.connection() as conn:
                rows = (await conn.execute(statement)).all()
        return [DeadLetter(str(r[0]), bytes(r[1]), int(r[2]), r[3], r[4]) for r in rows]

    async def replay_dead(self, queue: str, limit: int | None = None) -> int:
        """Move rows of `<queue>.dead` back to `queue` in one statement, visible now."""
        m = _MESSAGES.c
        oldest = select(m.message_id).where(m.queue == dead_letter_queue(queue))
        if limit is not None:
            oldest = oldest.order_by(m.message_id).limit(limit)
        statement = (
            update(_MESSAGES)
            .where(m.message_id.in_(oldest.scalar_subquery()))
            .values(queue=queue, attempts=0, visible_at_ms=now_ms(), lease_owner=None)
        )
        with _unavailable(f"replay dead letters of {queue}"):
            async with self.database.connection() as conn:
                result = await conn.execute(statement)
        return int(result.rowcount)

    async def ping(self) -> None:
        """The queue lives in the database: answer when it does."""
        with _unavailable("ping"):
            await self.database.ping()

    async def close(self) -> None:
        """Nothing to close: the database belongs to the container."""

    def heartbeat_s(self) -> float:
        """How often a consumer extends its leases and says it is alive."""
        return min(MAX_HEARTBEAT_S, self.visibility_timeout_s / 3)

    def _stale_after_s(self) -> float:
        return self.heartbeat_s() * 3


@dataclass(eq=False)
class EmbeddedSubscription:
    """One consumer of one queue: leases in batches, extends leases while they run."""

    bus: EmbeddedBus
    queue: str
    prefetch: int
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)
    _buffer: list[Delivery] = field(default_factory=list)
    _held: dict[int, int] = field(default_factory=dict)  # message_id -> attempt
    _claiming: asyncio.Lock = field(default_factory=asyncio.Lock)
    _settle: asyncio.Event = field(default_factory=asyncio.Event)
    _stopped: bool = False
    _heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register as a consumer and start the lease heartbeat (BusUnavailable if it cannot)."""
        with _unavailable(f"subscribe consumer {self.owner} to {self.queue}"):
            await self._beat()
        self._heartbeat = asyncio.create_task(self._beat_forever(), name=f"lease-{self.queue}")
        logger.info(
            "consumer %s subscribed to %s (prefetch %d)", self.owner, self.queue, self.prefetch
        )

    def forget(self, message_id: int) -> None:
        """The message was settled: stop extending its lease."""
        self._held.pop(message_id, None)
        self._settle.set()

    async def next(self) -> Delivery | None:
        """The next leased message in priority order; None once stopped."""
        delay_s = MIN_POLL_S
        wakeup = self.bus._wakeup(self.queue)
        while not self._stopped:
            if self._buffer:
                return self._buffer.pop(0)
            room = 0
            async with self._claiming:
                room = self.prefetch - len(self._held)
                # Lease in batches: one claim per handful of messages, not one per message.
                if not self._buffer and not self._stopped and room >= self._batch_floor():
                    self._buffer.extend(await self._claim())
                    if self._buffer:
                        delay_s = MIN_POLL_S
            if self._buffer:
                continue
            event = self._settle if room < self._batch_floor() else wakeup
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), timeout=delay_s)
            except TimeoutError:
                delay_s = min(delay_s * 2, self.bus.poll_interval_s)
        return None

    def _batch_floor(self) -> int:
        return 1 if not self._held else max(1, self.prefetch // 2)

    async def _claim(self) -> list[Delivery]:
        room = self.prefetch - len(self._held)
        if room <= 0:
            return []
        stamp = now_ms()
        m = _MESSAGES.c
        candidates = (
            select(m.message_id)
            .where(m.queue == self.queue, m.visible_at_ms <= stamp)
            .order_by(m.rank, m.message_id)
            .limit(room)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(_MESSAGES)
            .where(m.message_id.in_(candidates.scalar_subquery()))
            .values(
                lease_owner=self.owner,
                visible_at_ms=stamp + int(self.bus.visibility_timeout_s * 1000),
                attempts=m.attempts + 1,
            )
            .returning(m.message_id, m.rank, m.body, m.attempts, m.enqueued_at_ms)
        )
        try:
            async with self.bus.database.connection() as conn:
                rows = list((await conn.execute(statement)).all())
        except SQLAlchemyError as exc:
            logger.warning("consumer %s could not lease from %s: %s", self.owner, self.queue, exc)
            return []
        rows.sort(key=lambda row: (row.rank, row.message_id))
        deliveries = []
        for row in rows:
            self._held[row.message_id] = row.attempts
            deliveries.append(
                Delivery(
                    queue=self.queue,
                    message_id=str(row.message_id),
                    body=bytes(row.body),
                    priority=MAX_PRIORITY - row.rank,
                    attempt=row.attempts,
                    token=_Lease(self, row.message_id, row.attempts),
                    enqueued_at_ms=row.enqueued_at_ms,
                )
            )
        return deliveries

    async def _beat(self) -> None:
        stamp = now_ms()
        row = {
            "consumer_id": self.owner,
            "queue": self.queue,
            "prefetch": self.prefetch,
            "seen_at_ms": stamp,
        }
        async with self.bus.database.connection() as conn:
            await conn.execute(
                upsert(self.bus.database.dialect, _CONSUMERS, key=["consumer_id"]), row
            )
            if self._held:
                await conn.execute(
                    update(_MESSAGES)
                    .where(
                        _MESSAGES.c.message_id.in_(list(self._held)),
                        _MESSAGES.c.lease_owner == self.owner,
                    )
                    .values(visible_at_ms=stamp + int(self.bus.visibility_timeout_s * 1000))
                )

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.bus.heartbeat_s())
            try:
                with _unavailable(f"extend the leases of consumer {self.owner}"):
                    await self._beat()
            except BusUnavailable as exc:
                # Keep beating: a lease that runs out only hands the message to another
                # consumer, whose settle then wins (LeaseLost here).
                logger.warning("consumer %s on %s: %s", self.owner, self.queue, exc)

    async def stop(self) -> None:
        """Lease nothing more; give the messages not yet handed out back to the queue."""
        self._stopped = True
        self.bus._wakeup(self.queue).set()
        self._settle.set()
        async with self._claiming:
            returned, self._buffer = self._buffer, []
        if not returned:
            return
        leases = [d.token for d in returned if isinstance(d.token, _Lease)]
        m = _MESSAGES.c
        try:
            with _unavailable(f"return {len(leases)} unstarted messages to {self.queue}"):
                async with self.bus.database.connection() as conn:
                    for lease in leases:
                        # Not attempted: undo the lease's attempt so the retry budget is intact.
                        await conn.execute(
                            update(_MESSAGES)
                            .where(m.message_id == lease.message_id, m.attempts == lease.attempt)
                            .values(
                                visible_at_ms=now_ms(), lease_owner=None, attempts=m.attempts - 1
                            )
                        )
        except BusUnavailable as exc:
            # Their leases run out within the visibility timeout and they come back then.
            logger.warning("consumer %s: %s; they return when their leases expire", self.owner, exc)
            return
        finally:
            for lease in leases:
                self.forget(lease.message_id)
        logger.info(
            "consumer %s returned %d unstarted messages to %s", self.owner, len(leases), self.queue
        )

    async def close(self) -> None:
        """Stop, end the heartbeat and unregister."""
        try:
            await self.stop()
        finally:
            if self._heartbeat is not None:
                self._heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._heartbeat
        try:
            with _unavailable(f"unregister consumer {self.owner}"):
                async with self.bus.database.connection() as conn:
                    await conn.execute(
                        delete(_CONSUMERS).where(_CONSUMERS.c.consumer_id == self.owner)
                    )
        except BusUnavailable as exc:
            # A consumer row nobody refreshes stops counting after three heartbeats.
            logger.warning("consumer %s on %s: %s", self.owner, self.queue, exc)
