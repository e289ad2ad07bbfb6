"""Prometheus metrics of a process without the API (`--metrics-port`): the server and its gauges.

Counters are kept where the work happens (ESI transport, ingest, worker runtime); the
gauges here are sampled every heartbeat interval: queue depth and dead letters of the
process's queues (every queue for the feed and scheduler), and the feed's lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from prometheus_client import REGISTRY, Gauge, start_http_server
from sqlalchemy import func, select

from killreport.bus.contracts import QUEUES
from killreport.container import Container
from killreport.db.tables import FeedCursor, Killmail
from killreport.feeds.cursor import CURSOR_NAME
from killreport.operations.feed_lag import HEAD_TIMEOUT_S, _feed_client
from killreport.zkb.errors import ZkbError

logger = logging.getLogger(__name__)

QUEUE_READY = Gauge("killreport_queue_messages_ready", "Messages waiting in a queue.", ["queue"])
QUEUE_UNACKED = Gauge(
    "killreport_queue_messages_unacked", "Messages delivered and not yet settled.", ["queue"]
)
QUEUE_DEAD = Gauge(
    "killreport_queue_dead_letters", "Messages in a queue's dead-letter queue.", ["queue"]
)
FEED_LAG_SECONDS = Gauge(
    "killreport_feed_lag_seconds", "Age of the newest stored killmail (killmail time to now)."
)
FEED_LAG_ENTRIES = Gauge(
    "killreport_feed_lag_entries", "R2Z2 sequences published and not yet read by the feed."
)


async def sample_queues(container: Container, queues: Sequence[str]) -> None:
    """Set the queue gauges from the bus."""
    for stats in await container.bus.queue_stats(list(queues)):
        QUEUE_READY.labels(stats.queue).set(stats.ready)
        QUEUE_DEAD.labels(stats.queue).set(stats.dead)
        if stats.unacked is not None:
            QUEUE_UNACKED.labels(stats.queue).set(stats.unacked)


async def sample_feed(container: Container) -> None:
    """Set the feed lag gauges: newest killmail's age, and the R2Z2 head minus the cursor."""
    async with container.database.transaction() as session:
        newest = (await session.execute(select(func.max(Killmail.killmail_time)))).scalar()
        row = (
            await session.execute(
                select(FeedCursor.position, FeedCursor.source).where(FeedCursor.name == CURSOR_NAME)
            )
        ).one_or_none()
    if newest is not None:
        FEED_LAG_SECONDS.set(max((datetime.now(UTC) - newest).total_seconds(), 0.0))
    if row is not None:
        try:
            head = await asyncio.wait_for(
                _feed_client(container, row[1]).sequence(), timeout=HEAD_TIMEOUT_S
            )
        except (ZkbError, TimeoutError) as exc:
            logger.info("feed head unknown for metrics: %r", exc)
        else:
            FEED_LAG_ENTRIES.set(max(head - row[0] + 1, 0))


async def sample_forever(
    container: Container, queues: Sequence[str], feed: bool, stop: asyncio.Event
) -> None:
    """Sample the gauges every heartbeat interval until `stop`; a failed sample is logged."""
    while not stop.is_set():
        try:
            await sample_queues(container, queues or list(QUEUES))
            if feed:
                await sample_feed(container)
        except Exception as exc:  # noqa: BLE001 - metrics must never stop the process
            logger.warning("metrics sample failed: %r", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=container.settings.heartbeat_interval_s)


@contextlib.contextmanager
def serving(host: str, port: int | None) -> Iterator[None]:
    """Serve the process's registry as Prometheus text on host:port (nothing when None)."""
    if port is None:
        yield
        return
    server, thread = start_http_server(port, addr=host, registry=REGISTRY)
    logger.info("metrics at http://%s:%d/metrics", host, port)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
