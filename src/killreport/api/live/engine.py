"""The live engine of one API process: the killmail feed, the status poller, the limits."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Generic

from killreport.api.live.connection import CloseFn, LiveConnection
from killreport.api.live.feed import LiveFeed, SequenceSource
from killreport.api.live.limits import AddressLimits
from killreport.api.live.poller import SharedPoller
from killreport.api.live.subscription import ItemT
from killreport.bus.contracts import QUEUES
from killreport.bus.errors import BusError
from killreport.bus.protocol import MessageBus, QueueStats
from killreport.events.hub import EventHub
from killreport.settings import Settings


@dataclass
class LiveEngine(Generic[ItemT]):
    """Everything the subscriptions of one process share."""

    feed: LiveFeed[ItemT]
    worker_status: SharedPoller[list[QueueStats]]
    limits: AddressLimits
    buffer_size: int
    keepalive_interval_s: float
    max_subscriptions_per_connection: int

    def connection(self, client: str, close: CloseFn) -> LiveConnection:
        """A new connection's share of the feed, with this process's buffer bound."""
        return LiveConnection(client=client, buffer_size=self.buffer_size, close=close)


@contextlib.asynccontextmanager
async def running_engine(
    settings: Settings,
    source: SequenceSource[ItemT],
    events: EventHub | None,
    bus: MessageBus,
) -> AsyncIterator[LiveEngine[ItemT]]:
    """The engine for one process, its feed started for the duration of the block."""
    feed: LiveFeed[ItemT] = LiveFeed(
        source,
        events,
        poll_interval_s=settings.live_poll_interval_s,
        replay_scan_max=settings.live_replay_scan_max,
    )

    async def queue_stats() -> list[QueueStats]:
        return await bus.queue_stats(list(QUEUES))

    worker_status: SharedPoller[list[QueueStats]] = SharedPoller(
        queue_stats,
        settings.worker_status_poll_interval_s,
        errors=(BusError, OSError),
        name="worker-status",
    )
    engine = LiveEngine(
        feed=feed,
        worker_status=worker_status,
        limits=AddressLimits(settings.live_max_connections_per_ip),
        buffer_size=settings.live_buffer_size,
        keepalive_interval_s=settings.live_keepalive_interval_s,
        max_subscriptions_per_connection=settings.live_max_subscriptions_per_connection,
    )
    async with feed.running():
        try:
            yield engine
        finally:
            await worker_status.stop()
