"""Publish and consume rates of the message bus with a no-op handler, per backend.

    .venv/bin/python bench/bus.py                       # embedded (SQLite) and RabbitMQ
    .venv/bin/python bench/bus.py --backend embedded --messages 20000 --prefetch 50

RabbitMQ runs in a vhost of its own on 127.0.0.1 (guest/guest, management on :15672),
deleted afterwards. Figures taken while other work runs on the machine are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import RabbitVhost

from killreport.bus.contracts import EntityIdsMessage, QueueSpec
from killreport.container import Container, build
from killreport.db import migration
from killreport.settings import Settings
from killreport.workers.handler import HandlerContext, Route
from killreport.workers.runtime import run_routes

QUEUE = "bench_bus"


class Counter:
    """A no-op handler that only counts, so the figure is the bus and the runtime alone."""

    def __init__(self) -> None:
        self.handled = 0
        self.done = asyncio.Event()
        self.expected = 0

    async def __call__(self, message: EntityIdsMessage, ctx: HandlerContext) -> None:
        self.handled += 1
        if self.handled >= self.expected:
            self.done.set()


async def measure(container: Container, messages: int, prefetch: int) -> tuple[float, float]:
    """Messages per second published (confirmed) and consumed (handled and acked)."""
    bus = container.bus
    started = time.perf_counter()
    await bus.publish_many(QUEUE, (EntityIdsMessage(ids=[n]) for n in range(messages)))
    publish_rate = messages / (time.perf_counter() - started)

    spec = QueueSpec(QUEUE, QUEUE, prefetch, EntityIdsMessage)
    counter = Counter()
    counter.expected = messages
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(run_routes(container, [Route(spec, counter)], stop))
    await counter.done.wait()
    stop.set()
    await task  # the last acks are sent before the runtime returns
    consume_rate = messages / (time.perf_counter() - started)
    left = (await bus.queue_stats([QUEUE]))[0]
    assert left.ready == 0, left
    return publish_rate, consume_rate


async def run(backend: str, messages: int, prefetch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migration.upgrade(database_url)
        vhost = RabbitVhost.create() if backend == "rabbitmq" else None
        try:
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None,
                database_url=database_url,
                broker_url=vhost.url if vhost else None,
                log_level="WARNING",
            )
            async with build(settings) as container:
                publish_rate, consume_rate = await measure(container, messages, prefetch)
        finally:
            if vhost:
                vhost.delete()
    print(
        f"{backend:9s} {messages} messages, prefetch {prefetch}: "
        f"publish {publish_rate:,.0f} msg/s, consume {consume_rate:,.0f} msg/s"
    )


def main() -> None:
    """Parse arguments and print one line per backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("embedded", "rabbitmq"), action="append")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--prefetch", type=int, default=50)
    args = parser.parse_args()
    for backend in args.backend or ("embedded", "rabbitmq"):
        asyncio.run(run(backend, args.messages, args.prefetch))


if __name__ == "__main__":
    main()
