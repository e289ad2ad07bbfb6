"""What a handler is: `async def handle(message, ctx) -> None`, and the context it gets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.contracts import QueueSpec
from killreport.bus.protocol import Delivery, MessageBus
from killreport.container import Container

Handler = Callable[[Any, "HandlerContext"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    """One row of the routes table: a queue and the handler of its messages."""

    spec: QueueSpec
    handler: Handler


@dataclass(slots=True)
class HandlerContext:
    """What a handler may use: the container, the bus, its queue and delivery.

    Handlers open their unit of work with `ctx.transaction()`: on the embedded queue
    the message is acked inside that same transaction, so the work and the ack commit
    together; on RabbitMQ the runtime acks right after the commit. Publish follow-up
    messages inside it with `bus.publish_in(session, ...)` (or `TransactionBus`), so
    they are never lost between the commit and the publish.
    """

    container: Container
    bus: MessageBus
    spec: QueueSpec
    delivery: Delivery
    acked: bool = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The handler's transaction; the first one opened also carries the ack."""
        acked_now = False
        async with self.container.database.transaction() as session:
            yield session
            if not self.acked:
                acked_now = await self.bus.ack_in(session, self.delivery)
        self.acked = self.acked or acked_now
