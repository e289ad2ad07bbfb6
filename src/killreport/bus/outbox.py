"""A view of a bus whose publishes join one database transaction (a transactional outbox).

Code written against `MessageBus.publish_many` (the entity producers) publishes
follow-ups atomically with the work when handed `TransactionBus(bus, session)`.
Everything but publishing goes to the bus itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.contracts import Message
from killreport.bus.protocol import Delivery, MessageBus, QueueStats, Subscription


class TransactionBus:
    """`bus` with `publish` and `publish_many` going through `publish_in(session, ...)`."""

    def __init__(self, bus: MessageBus, session: AsyncSession) -> None:
        self.bus = bus
        self.session = session

    async def publish(self, queue: str, message: Message, priority: int = 0) -> None:
        """Publish one message in the transaction."""
        await self.bus.publish_in(self.session, queue, (message,), priority)

    async def publish_many(self, queue: str, messages: Iterable[Message], priority: int = 0) -> int:
        """Publish messages in the transaction."""
        return await self.bus.publish_in(self.session, queue, messages, priority)

    async def publish_in(
        self, session: AsyncSession, queue: str, messages: Iterable[Message], priority: int = 0
    ) -> int:
        """Publish in the given transaction."""
        return await self.bus.publish_in(session, queue, messages, priority)

    def consume(self, queue: str, *, prefetch: int) -> AbstractAsyncContextManager[Subscription]:
        """The bus's own subscription."""
        return self.bus.consume(queue, prefetch=prefetch)

    async def ack(self, delivery: Delivery) -> None:
        """The bus's own ack."""
        await self.bus.ack(delivery)

    async def ack_in(self, session: AsyncSession, delivery: Delivery) -> bool:
        """The bus's own ack in a transaction."""
        return await self.bus.ack_in(session, delivery)

    async def retry(
        self, delivery: Delivery, *, delay_s: float, error: str, count_attempt: bool = True
    ) -> None:
        """The bus's own retry."""
        await self.bus.retry(delivery, delay_s=delay_s, error=error, count_attempt=count_attempt)

    async def dead_letter(self, delivery: Delivery, *, error: str) -> None:
        """The bus's own dead letter."""
        await self.bus.dead_letter(delivery, error=error)

    async def queue_stats(self, queues: Sequence[str] | None = None) -> list[QueueStats]:
        """The bus's own counts."""
        return await self.bus.queue_stats(queues)

    async def purge(self, queues: Sequence[str]) -> dict[str, int]:
        """The bus's own purge."""
        return await self.bus.purge(queues)

    async def ping(self) -> None:
        """The bus's own ping."""
        await self.bus.ping()

    async def close(self) -> None:
        """Nothing: the bus belongs to the container."""
