"""RabbitMQ operations: queue counts (AMQP and the management API) and purge.

Kept apart from `bus.rabbitmq` (topology, publishing, consuming): these run on
short-lived plain connections and the HTTP management API, never on the process's
robust connection.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

import aio_pika
import aiohttp
from aio_pika.abc import AbstractChannel, AbstractQueue
from aio_pika.exceptions import ChannelNotFoundEntity
from yarl import URL

from killreport.bus.contracts import QUEUES, dead_letter_queue
from killreport.bus.protocol import QueueStats

logger = logging.getLogger(__name__)

MANAGEMENT_PORT = 15672
MANAGEMENT_TIMEOUT_S = 5.0


def management_url_for(broker_url: str) -> str:
    """The management API next to an AMQP URL: same host and credentials, port 15672."""
    amqp = URL(broker_url)
    return str(
        URL.build(
            scheme="https" if amqp.scheme == "amqps" else "http",
            user=amqp.user or "guest",
            password=amqp.password or "guest",
            host=amqp.host or "localhost",
            port=MANAGEMENT_PORT,
        )
    )


def _vhost(broker_url: str) -> str:
    path = URL(broker_url).path.lstrip("/")
    return path or "/"


class RabbitAdmin:
    """Counts and purges the queues of one vhost."""

    def __init__(
        self,
        url: str,
        *,
        management_url: str,
        timeout_s: float,
        ensure_queue: Callable[[str], Awaitable[None]],
        retry_queues: Callable[[str], Sequence[str]],
    ) -> None:
        self.url = url
        self.management_url = management_url
        self.timeout_s = timeout_s
        self._ensure_queue = ensure_queue
        self._retry_queues = retry_queues

    async def queue_stats(self, queues: Sequence[str] | None = None) -> list[QueueStats]:
        """Ready, consumers and dead from AMQP (exact); unacked and delayed from the
        management API (as of its last sample; None when it cannot be reached)."""
        names = list(queues if queues is not None else QUEUES)
        counts = await self._declared_counts(names)
        management = await self._management_queues()
        stats = []
        for name in names:
            ready, consumers = counts[name]
            dead, _ = counts[dead_letter_queue(name)]
            unacked: int | None = None
            delayed: int | None = None
            if management is not None:
                unacked = int(management.get(name, {}).get("messages_unacknowledged", 0) or 0)
                prefix = f"{name}.retry."
                delayed = sum(
                    int(q.get("messages", 0) or 0)
                    for queue_name, q in management.items()
                    if queue_name.startswith(prefix)
                )
            stats.append(QueueStats(name, ready, unacked, consumers, delayed, dead))
        return stats

    async def _declared_counts(self, names: Sequence[str]) -> dict[str, tuple[int, int]]:
        for name in names:
            await self._ensure_queue(name)
        counts: dict[str, tuple[int, int]] = {}
        connection = await aio_pika.connect(self.url, timeout=self.timeout_s)
        async with connection:
            channel = await connection.channel()
            for name in names:
                for queue in (name, dead_letter_queue(name)):
                    declared = await channel.declare_queue(queue, passive=True)
                    result = declared.declaration_result
                    counts[queue] = (
                        int(result.message_count or 0),
                        int(result.consumer_count or 0),
                    )
        return counts

    async def _management_queues(self) -> dict[str, dict[str, Any]] | None:
        base = URL(self.management_url)
        vhost = quote(_vhost(self.url), safe="")
        url = base.with_user(None).with_path(f"/api/queues/{vhost}", encoded=True)
        credentials = f"{base.user or 'guest'}:{base.password or 'guest'}".encode()
        headers = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}
        timeout = aiohttp.ClientTimeout(total=MANAGEMENT_TIMEOUT_S)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(
                    url,
                    headers=headers,
                    params={"columns": "name,messages,messages_unacknowledged"},
                ) as response,
            ):
                response.raise_for_status()
                rows = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("RabbitMQ management API at %s unavailable: %r", base.host, exc)
            return None
        return {str(row["name"]): row for row in rows}

    async def purge(self, queues: Sequence[str]) -> dict[str, int]:
        """Purge the named queues; a main queue's retry queues are purged with it."""
        purged: dict[str, int] = {}
        for name in queues:
            await self._ensure_queue(name.removesuffix(".dead"))
        connection = await aio_pika.connect(self.url, timeout=self.timeout_s)
        async with connection:
            channel = await connection.channel()
            for name in queues:
                queue = await channel.declare_queue(name, passive=True)
                count = int(queue.declaration_result.message_count or 0)
                await queue.purge()
                if not name.endswith(".dead"):
                    for retry_name in self._retry_queues(name):
                        channel, extra = await self._purge_if_exists(
                            connection, channel, retry_name
                        )
                        count += extra
                purged[name] = count
        return purged

    @staticmethod
    async def _purge_if_exists(
        connection: aio_pika.abc.AbstractConnection, channel: AbstractChannel, name: str
    ) -> tuple[AbstractChannel, int]:
        try:
            queue: AbstractQueue = await channel.declare_queue(name, passive=True)
        except ChannelNotFoundEntity:
            return await connection.channel(), 0
        count = int(queue.declaration_result.message_count or 0)
        await queue.purge()
        return channel, count
