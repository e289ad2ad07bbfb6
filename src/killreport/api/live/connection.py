"""One WebSocket's share of the live feed: a bounded buffer and how it is closed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import IntEnum

from prometheus_client import Counter

logger = logging.getLogger(__name__)

CONNECTIONS_CUT = Counter(
    "killreport_live_connections_cut_total",
    "Live connections closed because they did not read their killmails.",
)

# WebSocket close codes of the live engine, beside graphql-ws's own 44xx codes. Clients
# such as graphql-ws reconnect on codes outside their fatal list, which is what a cut-off
# subscriber should do (with afterSequence).
CloseFn = Callable[[int, str], Awaitable[None]]


class LiveCloseCode(IntEnum):
    """Why the server closed a live connection."""

    BUFFER_OVERFLOW = 4413
    TOO_MANY_CONNECTIONS = 4029


class LiveConnection:
    """Counts what this connection's subscriptions hold unsent; over the bound, closes it.

    Every subscription of the connection shares the bound, so a client cannot multiply
    its memory by subscribing several times. Closing never waits in the fan-out: the
    close itself runs in a task of its own.
    """

    def __init__(self, *, client: str, buffer_size: int, close: CloseFn) -> None:
        self.client = client
        self.buffer_size = buffer_size
        self.pending = 0
        self.closed = False
        self._close = close
        self._waiters: set[asyncio.Event] = set()
        self._closing: asyncio.Task[None] | None = None

    def watch(self, wakeup: asyncio.Event) -> None:
        """Set `wakeup` when the connection closes (a subscription waiting for items)."""
        self._waiters.add(wakeup)

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Stop telling `wakeup` about the close."""
        self._waiters.discard(wakeup)

    def reserve(self) -> bool:
        """Count one more unsent item; False (and the connection closing) when over the bound."""
        if self.closed:
            return False
        if self.pending >= self.buffer_size:
            CONNECTIONS_CUT.inc()
            logger.warning(
                "live connection from %s cut off: %d killmails unsent",
                self.client,
                self.pending,
            )
            self.close(
                LiveCloseCode.BUFFER_OVERFLOW,
                f"too slow: {self.pending} killmails unsent; reconnect with afterSequence",
            )
            return False
        self.pending += 1
        return True

    def release(self) -> None:
        """One item left the buffer (it is being sent)."""
        self.pending -= 1

    def close(self, code: int, reason: str) -> None:
        """Close the WebSocket with a code and reason, and end every subscription on it."""
        if self.closed:
            return
        self.closed = True
        for wakeup in self._waiters:
            wakeup.set()
        self._closing = asyncio.get_running_loop().create_task(
            self._close_socket(code, reason), name=f"live-close-{self.client}"
        )

    def forget(self) -> None:
        """The WebSocket is gone: nothing more is buffered for it."""
        self.closed = True
        for wakeup in self._waiters:
            wakeup.set()

    async def _close_socket(self, code: int, reason: str) -> None:
        try:
            await self._close(code, reason)
        except (OSError, RuntimeError) as exc:
            # Already gone: the peer or the server closed it first.
            logger.debug("live connection from %s already closed: %s", self.client, exc)
