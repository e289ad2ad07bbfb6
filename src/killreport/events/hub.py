"""The events hub: publish domain events after commit, subscribe to them by name.

Pub/sub is best effort (the database is the source of truth): a slow subscriber loses
its oldest events instead of slowing ingestion, nothing is replayed after a restart, and
a publish that cannot reach Redis is logged and counted, never raised: events go out
after the data committed, so a failure there must not fail the import or feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from prometheus_client import Counter

from killreport.events.contracts import EVENT_TYPES, Event

logger = logging.getLogger(__name__)

EVENTS_DROPPED = Counter(
    "killreport_events_dropped_total",
    "Events not delivered because the pub/sub backend was unreachable.",
    ["event"],
)

SUBSCRIBER_BUFFER = 1000


class EventHub(Protocol):
    """Where domain events go after commit, and where pages and subscriptions read them."""

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Send events to every current subscriber of their name."""
        ...

    def subscribe(self, name: str) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """Receive events of one name, from now on, until the context exits."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _offer(queue: asyncio.Queue[Event], event: Event) -> None:
    if queue.full():
        # Drop the oldest: a stalled subscriber must never block the ingest path.
        queue.get_nowait()
    queue.put_nowait(event)


async def _drain(queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    while True:
        yield await queue.get()


class InProcessHub:
    """Events for one process (the embedded deployment)."""

    def __init__(self, buffer: int = SUBSCRIBER_BUFFER) -> None:
        self._buffer = buffer
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = {}

    async def publish_many(self, events: Sequence[Event]) -> None:
        """Hand each event to the subscribers of its name."""
        for event in events:
            for queue in self._subscribers.get(event.name, ()):
                _offer(queue, event)

    @contextlib.asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[AsyncIterator[Event]]:
        """Receive events of one name until the context exits."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._buffer)
        self._subscribers.setdefault(name, set()).add(queue)
        try:
            yield _drain(queue)
        finally:
            self._subscribers[name].discard(queue)

    async def close(self) -> None:
        """Forget every subscriber."""
        self._subscribers.clear()


class RedisHub:
    """Events across processes and hosts through Redis pub/sub (the services deployment)."""

    def __init__(self, url: str, *, prefix: str = "killreport:events:") -> None:
        import redis.asyncio as aioredis

        self._redis = aioredis.from_url(url)
        self._prefix = prefix

    def channel(self, name: str) -> str:
        """The Redis channel of an event name."""
        return f"{self._prefix}{name}"

    async def publish_many(self, events: Sequence[Event]) -> None:
        """PUBLISH every event in one round trip; an unreachable Redis drops them (logged)."""
        from redis.exceptions import RedisError

        if not events:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.publish(self.channel(event.name), event.to_json())
                await pipe.execute()
        except (RedisError, OSError) as exc:
            # Best effort by design (DESIGN: the database is the source of truth): the
            # data is committed already, so the caller must not fail on a lost event.
            for event in events:
                EVENTS_DROPPED.labels(event.name).inc()
            logger.warning(
                "dropped %d events (%s first) on %s: Redis unreachable: %s",
                len(events),
                events[0].name,
                self._prefix,
                exc,
            )

    @contextlib.asynccontextmanager
    async def subscribe(self, name: str) -> AsyncIterator[AsyncIterator[Event]]:
        """SUBSCRIBE to one event name; undecodable messages are logged and skipped.

        EventsUnavailable when Redis cannot be reached (at subscribe or while listening);
        whatever was published meanwhile is lost, so a caller catches up from the database.
        """
        from redis.exceptions import RedisError

        from killreport.events.errors import BadEvent, EventsUnavailable

        event_type = EVENT_TYPES[name]
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)

        async def messages() -> AsyncIterator[Event]:
            try:
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        yield event_type.from_json(message["data"])
                    except BadEvent as exc:
                        logger.warning("skipped an event on %s: %s", name, exc)
            except (RedisError, OSError) as exc:
                raise EventsUnavailable(f"Redis pub/sub on {name} lost: {exc}") from exc

        try:
            try:
                await pubsub.subscribe(self.channel(name))
            except (RedisError, OSError) as exc:
                raise EventsUnavailable(f"cannot subscribe to {name} on Redis: {exc}") from exc
            yield messages()
        finally:
            try:
                await pubsub.unsubscribe()
            except (RedisError, OSError) as exc:
                # A dead connection has nothing left to unsubscribe from.
                logger.debug("unsubscribe from %s skipped: %s", name, exc)
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """Close the Redis connection pool."""
        await self._redis.aclose()


def build_hub(redis_url: str | None) -> EventHub:
    """Redis pub/sub when a Redis URL is set, else in-process."""
    return RedisHub(redis_url) if redis_url else InProcessHub()
