"""The RabbitMQ message bus (aio-pika): durable priority queues, delayed retry, dead letters.

Topology per queue `q` (all durable; messages persistent, published with confirms):

- `q` with `x-max-priority` 10, the arguments the seed system declared, so its queues
  are taken over as they are;
- `q.dead`, plain, where messages go after the retry limit;
- `q.retry.<N>ms`, one per delay of a fixed ladder, with `x-message-ttl` N and
  dead-letter routing back to `q` through the default exchange. The delay is part of
  the name, so changing a delay makes a new queue instead of a conflicting declaration.

Declarations never raise PRECONDITION_FAILED at callers: they run on a short-lived
plain connection; when a queue exists with other arguments it is used as it is and an
error names the migration (README, "Changing queue arguments").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from aio_pika.exceptions import (
    CONNECTION_EXCEPTIONS,
    ChannelInvalidStateError,
    ChannelPreconditionFailed,
)
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.bus.contracts import MAX_PRIORITY, Message, dead_letter_queue
from killreport.bus.errors import BusUnavailable
from killreport.bus.protocol import DeadLetter, Delivery, QueueStats
from killreport.bus.rabbitmq_admin import RabbitAdmin, management_url_for

logger = logging.getLogger(__name__)

QUEUE_ARGUMENTS: dict[str, Any] = {"x-max-priority": MAX_PRIORITY}
# Retry delays are rounded up to one of these, so a queue has a bounded set of retry queues.
RETRY_LADDER_S: tuple[float, ...] = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600,
)  # fmt: skip
PUBLISH_CHUNK = 500
MAX_ERROR_CHARS = 500
ACK_TIMEOUT_S = 5.0
ATTEMPT_HEADER = "x-killreport-attempt"
ERROR_HEADER = "x-killreport-error"
ENQUEUED_HEADER = "x-killreport-enqueued-ms"  # first publish, kept across retries


def retry_delay_ms(delay_s: float) -> int:
    """The ladder step a requested delay is rounded up to, in milliseconds."""
    for step in RETRY_LADDER_S:
        if delay_s <= step:
            return int(step * 1000)
    return int(RETRY_LADDER_S[-1] * 1000)


def retry_queue(name: str, delay_ms: int) -> str:
    """The retry queue of `name` that holds messages for `delay_ms`."""
    return f"{name}.retry.{delay_ms}ms"


def retry_queues(name: str) -> list[str]:
    """Every retry queue `name` may have, one per ladder step."""
    return [retry_queue(name, int(step * 1000)) for step in RETRY_LADDER_S]


@dataclass(frozen=True, slots=True)
class _Declaration:
    name: str
    arguments: dict[str, Any]


class RabbitBus:
    """MessageBus on RabbitMQ with one robust connection per process."""

    def __init__(
        self,
        url: str,
        *,
        publish_timeout_s: float = 30.0,
        reconnect_interval_s: float = 1.0,
        management_url: str | None = None,
    ) -> None:
        self.url = url
        self.publish_timeout_s = publish_timeout_s
        self.reconnect_interval_s = reconnect_interval_s
        self.management_url = management_url or management_url_for(url)
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractRobustChannel | None = None
        self._lock = asyncio.Lock()
        self._declared: set[str] = set()
        self._admin = RabbitAdmin(
            url,
            management_url=self.management_url,
            timeout_s=publish_timeout_s,
            ensure_queue=self.ensure_queue,
            retry_queues=retry_queues,
        )

    # -- connection and topology -------------------------------------------------

    async def _connect(self) -> AbstractRobustConnection:
        async with self._lock:
            if self._connection is None:
                try:
                    self._connection = await aio_pika.connect_robust(
                        self.url,
                        reconnect_interval=self.reconnect_interval_s,
                        timeout=self.publish_timeout_s,
                        client_properties={"connection_name": "killreport"},
                    )
                except CONNECTION_EXCEPTIONS as exc:
                    raise BusUnavailable(f"RabbitMQ unreachable: {exc!r}") from exc
                except TimeoutError as exc:
                    raise BusUnavailable("RabbitMQ did not answer in time") from exc
            return self._connection

    async def _publish_channel(self) -> AbstractRobustChannel:
        connection = await self._connect()
        async with self._lock:
            if self._publisher is None or self._publisher.is_closed:
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                self._publisher = channel
            assert self._publisher is not None
            return self._publisher

    async def ensure_queue(self, name: str) -> None:
        """Declare `name` and `name.dead` once per process."""
        if name in self._declared:
            return
        await self._declare(
            [_Declaration(name, QUEUE_ARGUMENTS), _Declaration(dead_letter_queue(name), {})]
        )

    async def _ensure_retry_queue(self, name: str, delay_ms: int) -> str:
        queue = retry_queue(name, delay_ms)
        if queue not in self._declared:
            arguments = {
                "x-message-ttl": delay_ms,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": name,
            }
            await self._declare([_Declaration(queue, arguments)])
        return queue

    async def _declare(self, declarations: Sequence[_Declaration]) -> None:
        # A plain connection: a refused declaration closes its channel, and a robust
        # channel would try to restore (and re-declare) it forever.
        try:
            connection = await aio_pika.connect(self.url, timeout=self.publish_timeout_s)
        except (*CONNECTION_EXCEPTIONS, TimeoutError) as exc:
            raise BusUnavailable(f"RabbitMQ unreachable: {exc!r}") from exc
        async with connection:
            channel: AbstractChannel = await connection.channel()
            for declaration in declarations:
                if declaration.name in self._declared:
                    continue
                try:
                    await channel.declare_queue(
                        declaration.name, durable=True, arguments=declaration.arguments
                    )
                except ChannelPreconditionFailed as exc:
                    logger.error(
                        "queue %s exists with other arguments than %s; using it as it is. "
                        "To migrate: stop its workers, drain or purge it, delete it "
                        "(rabbitmqctl delete_queue %s) and start a worker to re-create it (%s)",
                        declaration.name,
                        declaration.arguments,
                        declaration.name,
                        exc,
                    )
                    channel = await connection.channel()
                self._declared.add(declaration.name)

    # -- publishing -----------------------------------------------------------------

    async def publish(self, queue: str, message: Message, priority: int = 0) -> None:
        """Publish one persistent message and wait for the broker's confirm."""
        await self.publish_many(queue, (message,), priority)

    async def publish_many(self, queue: str, messages: Iterable[Message], priority: int = 0) -> int:
        """Publish in pipelined chunks; every message is confirmed before this returns."""
        await self._until_connected(lambda: self.ensure_queue(queue))
        total = 0
        chunk: list[aio_pika.Message] = []
        for message in messages:
            chunk.append(self._amqp_message(message.model_dump_json().encode(), priority))
            if len(chunk) >= PUBLISH_CHUNK:
                total += await self._publish_confirmed(queue, chunk)
                chunk = []
        if chunk:
            total += await self._publish_confirmed(queue, chunk)
        return total

    async def publish_in(
        self, session: AsyncSession, queue: str, messages: Iterable[Message], priority: int = 0
    ) -> int:
        """Publish now with confirms, before the caller commits: never lost, maybe repeated."""
        return await self.publish_many(queue, messages, priority)

    @staticmethod
    def _amqp_message(
        body: bytes,
        priority: int,
        *,
        message_id: str | None = None,
        attempt: int = 1,
        error: str | None = None,
        enqueued_at_ms: int | None = None,
    ) -> aio_pika.Message:
        enqueued = enqueued_at_ms if enqueued_at_ms is not None else int(time.time() * 1000)
        headers: dict[str, Any] = {ATTEMPT_HEADER: attempt, ENQUEUED_HEADER: enqueued}
        if error is not None:
            headers[ERROR_HEADER] = error[:MAX_ERROR_CHARS]
        return aio_pika.Message(
            body,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            priority=max(0, min(priority, MAX_PRIORITY)),
            message_id=message_id or uuid.uuid4().hex,
            headers=headers,
        )

    async def _publish_confirmed(self, queue: str, messages: list[aio_pika.Message]) -> int:
        """Publish until every message is confirmed; across a broker restart if need be."""
        pending = messages
        deadline = time.monotonic() + self.publish_timeout_s
        while pending:
            try:
                channel = await self._publish_channel()
                results = await asyncio.gather(
                    *(
                        channel.default_exchange.publish(m, routing_key=queue, mandatory=True)
                        for m in pending
                    ),
                    return_exceptions=True,
                )
            except (*CONNECTION_EXCEPTIONS, BusUnavailable, TimeoutError) as exc:
                results = [exc] * len(pending)
            failed = [m for m, r in zip(pending, results, strict=True) if isinstance(r, Exception)]
            if not failed:
                break
            error = next(r for r in results if isinstance(r, Exception))
            if time.monotonic() >= deadline:
                raise BusUnavailable(
                    f"{len(failed)} messages to {queue} not confirmed within "
                    f"{self.publish_timeout_s:g} s: {error!r}"
                ) from error
            logger.warning(
                "%d of %d messages to %s not confirmed (%r); publishing them again",
                len(failed),
                len(pending),
                queue,
                error,
            )
            pending = failed
            await asyncio.sleep(self.reconnect_interval_s)
        return len(messages)

    async def _until_connected(self, operation: Any) -> None:
        deadline = time.monotonic() + self.publish_timeout_s
        while True:
            try:
                await operation()
                return
            except BusUnavailable:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(self.reconnect_interval_s)

    # -- consuming and settling -----------------------------------------------------

    @asynccontextmanager
    async def consume(self, queue: str, *, prefetch: int) -> AsyncIterator[RabbitSubscription]:
        """Consume `queue` on a channel of its own with `prefetch` unacked at most."""
        await self.ensure_queue(queue)
        connection = await self._connect()
        try:
            channel = await connection.channel()
        except (*CONNECTION_EXCEPTIONS, ChannelInvalidStateError, TimeoutError) as exc:
            raise BusUnavailable(f"no channel to consume {queue}: {exc!r}") from exc
        subscription = RabbitSubscription(self, queue)
        try:
            try:
                await channel.set_qos(prefetch_count=max(1, prefetch))
                amqp_queue = await channel.declare_queue(queue, passive=True)
                await subscription.start(amqp_queue)
            except (*CONNECTION_EXCEPTIONS, ChannelInvalidStateError, TimeoutError) as exc:
                raise BusUnavailable(f"could not subscribe to {queue}: {exc!r}") from exc
            logger.info("subscribed to %s (prefetch %d)", queue, prefetch)
            yield subscription
        finally:
            await subscription.stop()
            with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                await channel.close()

    @staticmethod
    def _incoming(delivery: Delivery) -> AbstractIncomingMessage:
        message = delivery.token
        if not isinstance(message, aio_pika.IncomingMessage):
            raise TypeError(f"delivery {delivery.message_id} was not made by the RabbitMQ bus")
        return message

    async def ack(self, delivery: Delivery) -> None:
        """Ack on the channel it came from; after a reconnect the broker redelivers it."""
        try:
            # An ack written to a connection that died mid-restart can wait forever for
            # the socket to drain; the broker redelivers an unacked message anyway.
            async with asyncio.timeout(ACK_TIMEOUT_S):
                await self._incoming(delivery).ack()
        except (*CONNECTION_EXCEPTIONS, ChannelInvalidStateError, TimeoutError) as exc:
            logger.warning(
                "ack of message %s on %s lost (%r); the broker will deliver it again",
                delivery.message_id,
                delivery.queue,
                exc,
            )

    async def ack_in(self, session: AsyncSession, delivery: Delivery) -> bool:
        """RabbitMQ is not in the database: the runtime acks after the commit."""
        return False

    async def retry(
        self, delivery: Delivery, *, delay_s: float, error: str, count_attempt: bool = True
    ) -> None:
        """Publish a copy to the retry queue of the delay (confirmed), then ack the original."""
        delay_ms = retry_delay_ms(delay_s)
        target = await self._ensure_retry_queue(delivery.queue, delay_ms)
        await self._republish(delivery, target, error, count_attempt=count_attempt)

    async def dead_letter(self, delivery: Delivery, *, error: str) -> None:
        """Publish a copy to `<queue>.dead` (confirmed), then ack the original."""
        await self._republish(delivery, dead_letter_queue(delivery.queue), error)

    async def _republish(
        self, delivery: Delivery, target: str, error: str, *, count_attempt: bool = True
    ) -> None:
        copy = self._amqp_message(
            delivery.body,
            delivery.priority,
            message_id=delivery.message_id,
            attempt=delivery.attempt + 1 if count_attempt else delivery.attempt,
            error=error,
            enqueued_at_ms=delivery.enqueued_at_ms,
        )
        await self._publish_confirmed(target, [copy])
        await self.ack(delivery)

    # -- operations -------------------------------------------------------------------

    async def queue_stats(self, queues: Sequence[str] | None = None) -> list[QueueStats]:
        """Ready, consumers and dead from AMQP; unacked and delayed from the management API."""
        return await self._admin.queue_stats(queues)

    async def purge(self, queues: Sequence[str]) -> dict[str, int]:
        """Purge the named queues; a main queue's retry queues are purged with it."""
        return await self._admin.purge(queues)

    async def dead_letters(self, queue: str, limit: int) -> list[DeadLetter]:
        """Get up to `limit` from `<queue>.dead` unacked, then close the channel: all requeued."""
        await self._until_connected(lambda: self.ensure_queue(queue))
        connection = await self._connect()
        channel = await connection.channel()
        letters: list[DeadLetter] = []
        try:
            dead = await channel.declare_queue(dead_letter_queue(queue), durable=True)
            while len(letters) < limit:
                message = await dead.get(no_ack=False, fail=False)
                if message is None:
                    break
                headers = message.headers or {}
                error = headers.get(ERROR_HEADER)
                enqueued = headers.get(ENQUEUED_HEADER)
                letters.append(
                    DeadLetter(
                        message_id=message.message_id or "",
                        body=message.body,
                        attempts=int(headers.get(ATTEMPT_HEADER, 1)),  # type: ignore[arg-type]
                        error=str(error) if error is not None else None,
                        enqueued_at_ms=int(enqueued) if enqueued is not None else None,  # type: ignore[arg-type]
                    )
                )
        finally:
            await channel.close()
        return letters

    async def replay_dead(self, queue: str, limit: int | None = None) -> int:
        """Republish (confirmed) what `<queue>.dead` held when called, acking each after."""
        await self._until_connected(lambda: self.ensure_queue(queue))
        connection = await self._connect()
        channel = await connection.channel()
        replayed = 0
        try:
            dead = await channel.declare_queue(dead_letter_queue(queue), durable=True)
            # Only what is there now: a message that dies again is not replayed twice.
            held = int(dead.declaration_result.message_count or 0)
            wanted = held if limit is None else min(held, limit)
            while replayed < wanted:
                message = await dead.get(no_ack=False, fail=False)
                if message is None:
                    break
                headers = message.headers or {}
                enqueued = headers.get(ENQUEUED_HEADER)
                copy = self._amqp_message(
                    message.body,
                    message.priority or 0,
                    message_id=message.message_id,
                    enqueued_at_ms=int(enqueued) if enqueued is not None else None,  # type: ignore[arg-type]
                )
                await self._publish_confirmed(queue, [copy])
                await message.ack()
                replayed += 1
        finally:
            await channel.close()
        return replayed

    async def ping(self) -> None:
        """Connected now (not reconnecting), or BusUnavailable."""
        connection = await self._connect()
        if connection.is_closed or not connection.connected.is_set():
            raise BusUnavailable("RabbitMQ connection lost; reconnecting")

    async def close(self) -> None:
        """Close the robust connection (stops reconnecting)."""
        async with self._lock:
            if self._connection is not None:
                with contextlib.suppress(*CONNECTION_EXCEPTIONS):
                    await self._connection.close()
            self._connection = None
            self._publisher = None


@dataclass(eq=False)
class RabbitSubscription:
    """Deliveries of one queue, buffered until a worker takes them."""

    bus: RabbitBus
    queue: str
    _inbox: asyncio.Queue[AbstractIncomingMessage | None] = field(default_factory=asyncio.Queue)
    _amqp_queue: AbstractQueue | None = None
    _tag: str | None = None
    _stopped: bool = False

    async def start(self, amqp_queue: AbstractQueue) -> None:
        """Start consuming; aio-pika re-subscribes by itself after a reconnect."""
        self._amqp_queue = amqp_queue
        self._tag = await amqp_queue.consume(self._inbox.put, no_ack=False)

    async def next(self) -> Delivery | None:
        """The next delivery still valid on a live channel; None once stopped."""
        while True:
            message = await self._inbox.get()
            if message is None:
                self._inbox.put_nowait(None)  # wake the next waiting worker too
                return None
            try:
                _ = message.channel
            except ChannelInvalidStateError:
                # Delivered before a reconnect: the broker has requeued it already.
                continue
            headers = message.headers or {}
            attempt = headers.get(ATTEMPT_HEADER, 1)
            enqueued = headers.get(ENQUEUED_HEADER)
            return Delivery(
                queue=self.queue,
                message_id=message.message_id or str(message.delivery_tag),
                body=message.body,
                priority=int(message.priority or 0),
                attempt=int(attempt) if isinstance(attempt, int) else 1,
                token=message,
                enqueued_at_ms=int(enqueued) if isinstance(enqueued, int) else None,
            )

    async def stop(self) -> None:
        """Cancel the consumer and return the buffered deliveries to the queue."""
        if self._stopped:
            return
        self._stopped = True
        if self._amqp_queue is not None and self._tag is not None:
            try:
                await self._amqp_queue.cancel(self._tag)
            except (*CONNECTION_EXCEPTIONS, ChannelInvalidStateError) as exc:
                logger.warning("could not cancel the consumer of %s: %r", self.queue, exc)
        returned = 0
        while not self._inbox.empty():
            message = self._inbox.get_nowait()
            if message is None:
                continue
            try:
                await message.nack(requeue=True)
                returned += 1
            except (*CONNECTION_EXCEPTIONS, ChannelInvalidStateError):
                logger.debug("message on %s left to the broker to requeue", self.queue)
        self._inbox.put_nowait(None)
        logger.info("stopped consuming %s; returned %d unstarted messages", self.queue, returned)
