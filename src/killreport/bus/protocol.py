"""The `MessageBus` interface both implementations keep, and the values that cross it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.contracts import Message


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a message to a consumer; settle it exactly once (ack, retry, dead)."""

    queue: str
    message_id: str
    body: bytes
    priority: int
    attempt: int  # 1 on the first delivery, +1 on every counted retry
    token: object  # the implementation's handle (lease or broker delivery)
    enqueued_at_ms: int | None = None  # first publish, kept across retries; None if unknown


@dataclass(frozen=True, slots=True)
class QueueStats:
    """What a queue holds right now; None where the backend cannot tell."""

    queue: str
    ready: int
    unacked: int | None
    consumers: int
    delayed: int | None
    dead: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message in a dead-letter queue, as an operator reads it before replaying it."""

    message_id: str
    body: bytes
    attempts: int
    error: str | None
    enqueued_at_ms: int | None


class Subscription(Protocol):
    """Deliveries of one queue to one consumer, at most `prefetch` unsettled at a time."""

    async def next(self) -> Delivery | None:
        """The next delivery; None once the subscription is stopped."""
        ...

    async def stop(self) -> None:
        """Take no more messages and hand the ones not yet started back to the queue."""
        ...


class MessageBus(Protocol):
    """Durable queues with priorities, delayed retry and dead letters (DESIGN §5)."""

    async def publish(self, queue: str, message: Message, priority: int = 0) -> None:
        """Publish one message; returns once it is durably stored."""
        ...

    async def publish_many(self, queue: str, messages: Iterable[Message], priority: int = 0) -> int:
        """Publish messages in confirmed batches; returns how many were published."""
        ...

    async def publish_in(
        self, session: AsyncSession, queue: str, messages: Iterable[Message], priority: int = 0
    ) -> int:
        """Publish follow-up messages of the work in `session`'s transaction, never losing them.

        Embedded: inserted through the session, so they commit (or roll back) with the
        work. RabbitMQ: published and confirmed now, before the caller commits; a crash
        in between delivers them without the work (at least once; handlers upsert).
        """
        ...

    def consume(self, queue: str, *, prefetch: int) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to a queue; leaving the context returns what was not settled."""
        ...

    async def ack(self, delivery: Delivery) -> None:
        """The message is done: remove it."""
        ...

    async def ack_in(self, session: AsyncSession, delivery: Delivery) -> bool:
        """Ack inside the handler's transaction when the queue lives in that database.

        Returns False when the backend cannot (the caller acks after commit instead);
        raises LeaseLost when another consumer holds the message now.
        """
        ...

    async def retry(
        self, delivery: Delivery, *, delay_s: float, error: str, count_attempt: bool = True
    ) -> None:
        """Deliver the message again after `delay_s`, with attempt + 1 if `count_attempt`."""
        ...

    async def dead_letter(self, delivery: Delivery, *, error: str) -> None:
        """Move the message to `<queue>.dead` with the error that put it there."""
        ...

    async def queue_stats(self, queues: Sequence[str] | None = None) -> list[QueueStats]:
        """Ready, unacked, consumers, delayed and dead counts per queue (all by default)."""
        ...

    async def purge(self, queues: Sequence[str]) -> dict[str, int]:
        """Delete every message of the named queues; returns how many per queue."""
        ...

    async def ping(self) -> None:
        """Raise BusUnavailable when the broker or queue database does not answer."""
        ...

    async def close(self) -> None:
        """Close connections; further use is an error."""
        ...


@runtime_checkable
class DeadLetterAdmin(Protocol):
    """What both buses offer an operator beyond MessageBus: read and replay dead letters."""

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]:
        """Up to `limit` messages of `<queue>.dead`, oldest first, left where they are."""
        ...

    async def replay_dead(self, queue: str, limit: int | None = None) -> int:
        """Move dead letters of `queue` (all, or the oldest `limit`) back to it, attempts reset."""
        ...
