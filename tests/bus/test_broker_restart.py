"""RabbitMQ stopped and started under load: nothing lost, publisher and consumer resume alone.

This stops the machine's RabbitMQ application for a few seconds (`rabbitmqctl
stop_app`/`start_app`), which every RabbitMQ test running at that moment notices; it
is the only test that does so.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess

import pytest

from killreport.bus.contracts import EntityIdsMessage
from killreport.container import build
from killreport.workers.handler import HandlerContext, Route
from killreport.workers.runtime import run_routes
from tests.bus.probe import probe_spec
from tests.conftest import make_settings

pytestmark = pytest.mark.e2e

MESSAGES = 3000
CHUNK = 30


async def rabbitmqctl(command: str) -> None:
    """Run `rabbitmqctl COMMAND` without blocking the loop."""
    await asyncio.to_thread(
        subprocess.run, ["rabbitmqctl", "-q", command], check=True, capture_output=True, timeout=60
    )


async def test_broker_restart_under_load_loses_nothing(sqlite_url: str, broker_url: str) -> None:
    # given a consumer running and a publisher sending 3,000 messages in small batches
    settings = make_settings(
        database_url=sqlite_url,
        broker_url=broker_url,
        broker_publish_timeout_s=90.0,
        broker_reconnect_interval_s=0.5,
    )
    seen: set[int] = set()
    some_seen, all_seen = asyncio.Event(), asyncio.Event()

    async def remember(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        seen.update(message.ids)
        if len(seen) >= MESSAGES // 10:
            some_seen.set()
        if len(seen) == MESSAGES:
            all_seen.set()

    async with build(settings) as container:
        stop = asyncio.Event()
        spec = probe_spec("probe_restart", prefetch=20)
        consumer = asyncio.create_task(run_routes(container, [Route(spec, remember)], stop))

        async def publish() -> None:
            for start in range(0, MESSAGES, CHUNK):
                batch = [EntityIdsMessage(ids=[n]) for n in range(start, start + CHUNK)]
                await container.bus.publish_many(spec.name, batch)
                await asyncio.sleep(0.02)

        publisher = asyncio.create_task(publish())
        try:
            # when RabbitMQ is stopped mid-stream and started again shortly after
            await asyncio.wait_for(some_seen.wait(), 30)
            await rabbitmqctl("stop_app")
            await asyncio.sleep(1.0)
            await rabbitmqctl("start_app")

            # then the publisher finishes without an error and the consumer gets everything
            await asyncio.wait_for(publisher, 90)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_seen.wait(), 60)
        finally:
            stop.set()
            await asyncio.wait_for(consumer, 30)
            if not publisher.done():
                publisher.cancel()
        assert seen == set(range(MESSAGES))
        stats = (await container.bus.queue_stats([spec.name]))[0]
        assert (stats.ready, stats.dead) == (0, 0)
