"""One open subscription: its predicate, its share of the connection's buffer, its queue."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Generic, Protocol, TypeVar

from killreport.api.live.connection import LiveConnection
from killreport.api.live.errors import ConnectionClosed


class Sequenced(Protocol):
    """Anything the feed carries: it has the killmail's dense sequence."""

    @property
    def sequence(self) -> int:
        """The killmail's position in the store (1, 2, 3, ... without gaps)."""
        ...


ItemT = TypeVar("ItemT", bound=Sequenced)

Predicate = Callable[[ItemT], bool]


class LiveSubscription(Generic[ItemT]):
    """Receives the items its predicate accepts, above `floor`, in sequence order, once."""

    def __init__(
        self, connection: LiveConnection, predicate: Predicate[ItemT], *, floor: int
    ) -> None:
        self.connection = connection
        self.predicate = predicate
        # Highest sequence already delivered (or replayed): nothing at or below it again.
        self.floor = floor
        self._queue: deque[ItemT] = deque()
        self._wakeup = asyncio.Event()
        connection.watch(self._wakeup)

    def offer(self, item: ItemT) -> None:
        """Queue the item when it matches; never blocks (the fan-out calls this)."""
        if item.sequence <= self.floor or not self.predicate(item):
            return
        if not self.connection.reserve():
            return
        self.floor = item.sequence
        self._queue.append(item)
        self._wakeup.set()

    async def items(self) -> AsyncIterator[ItemT]:
        """Queued items as they come; ConnectionClosed once the connection is closed."""
        while True:
            while self._queue:
                if self.connection.closed:
                    raise ConnectionClosed(self.connection.client)
                self.connection.release()
                yield self._queue.popleft()
            if self.connection.closed:
                raise ConnectionClosed(self.connection.client)
            self._wakeup.clear()
            await self._wakeup.wait()

    def discard(self) -> None:
        """Give back whatever is still queued (the subscription ended)."""
        for _ in self._queue:
            self.connection.release()
        self._queue.clear()
        self.connection.unwatch(self._wakeup)
