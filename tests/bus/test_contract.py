"""The bus promises of DESIGN §5, the same on every backend (see conftest: three of them)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from prometheus_client import REGISTRY

from killreport.bus.contracts import (
    PRIORITY_LOGIN,
    PRIORITY_MANUAL,
    PRIORITY_SCHEDULED,
    EntityIdsMessage,
)
from killreport.container import Container
from killreport.workers.handler import HandlerContext, Route
from killreport.workers.runtime import run_routes
from tests.bus.probe import create_probe_table, probe_rows, probe_spec, record

WAIT_S = 30.0


async def run_until(
    container: Container,
    routes: Sequence[Route],
    done: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = WAIT_S,
) -> None:
    """Run the routes' workers until `done()` holds, then stop them gracefully."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_routes(container, routes, stop))
    try:
        deadline = time.monotonic() + timeout_s
        while not await done():
            if task.done():
                task.result()
                raise AssertionError("the runtime stopped by itself")
            assert time.monotonic() < deadline, "condition not reached in time"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_higher_priority_is_consumed_first(container: Container) -> None:
    # given 1,000 messages waiting: priorities 3, 5 and 8 published in a random order
    bus = container.bus
    priorities = [PRIORITY_SCHEDULED, PRIORITY_MANUAL, PRIORITY_LOGIN] * 333 + [PRIORITY_LOGIN]
    random.Random(5).shuffle(priorities)
    for number, priority in enumerate(priorities):
        await bus.publish("probe_priority", EntityIdsMessage(ids=[number]), priority)
    seen: list[int] = []

    async def remember(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        seen.append(ctx.delivery.priority)

    # when one consumer with prefetch 1 drains the queue
    route = Route(probe_spec("probe_priority", prefetch=1), remember)

    async def drained() -> bool:
        return len(seen) == len(priorities)

    await run_until(container, [route], drained)

    # then every 8 came before every 5, and every 5 before every 3
    assert seen == [8] * 334 + [5] * 333 + [3] * 333


async def test_failing_message_is_retried_with_growing_delays_then_dead(
    container: Container,
) -> None:
    # given a queue whose handler always fails for id 0, retried after 0.2, 0.5 and 1 s
    bus = container.bus
    await create_probe_table(container)
    spec = probe_spec("probe_retry", prefetch=2, retry_delays_s=(0.2, 0.5, 1.0))
    attempts: list[tuple[int, float]] = []
    good_done_at: list[float] = []

    async def handle(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        if message.ids == [0]:
            attempts.append((ctx.delivery.attempt, time.monotonic()))
            raise RuntimeError("ESI answered 502")
        await record(message, ctx)
        good_done_at.append(time.monotonic())

    await bus.publish(spec.name, EntityIdsMessage(ids=[0]))
    good = list(range(1, 41))

    async def publish_good() -> None:
        # other messages arrive while the bad one waits for its retries
        for number in good:
            await bus.publish(spec.name, EntityIdsMessage(ids=[number]))
            await asyncio.sleep(0.03)

    async def dead_and_done() -> bool:
        stats = (await bus.queue_stats([spec.name]))[0]
        return stats.dead == 1 and len(good_done_at) == len(good)

    def counted(name: str) -> float:
        return (
            REGISTRY.get_sample_value(f"killreport_messages_{name}_total", {"queue": spec.name})
            or 0.0
        )

    before = {name: counted(name) for name in ("processed", "retried", "dead")}

    # when the workers run
    publisher = asyncio.create_task(publish_good())
    await run_until(container, [Route(spec, handle)], dead_and_done)
    await publisher

    # then it was tried 1 + 3 times, each retry no sooner than its configured delay, and
    # the configured delays grow (measured gaps also carry load-dependent lateness, so
    # only lower bounds are asserted; less 5 ms because both backends count whole
    # milliseconds of the wall clock while the gaps are taken on the monotonic one)
    assert [n for n, _ in attempts] == [1, 2, 3, 4]
    delays = spec.retry_delays_s
    assert all(earlier < later for earlier, later in itertools.pairwise(delays)), delays
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(attempts)]
    for gap, delay in zip(gaps, delays, strict=True):
        assert gap >= delay - 0.005, (gaps, delays)
    # and the other messages kept flowing meanwhile: most were done before it was dead
    assert len([t for t in good_done_at if t < attempts[-1][1]]) >= len(good) // 2
    assert set(await probe_rows(container)) == set(good)
    # and the Prometheus counters say so
    after = {name: counted(name) - before[name] for name in before}
    assert after == {"processed": len(good), "retried": 3, "dead": 1}
    # and the dead letter is counted, nothing else is left
    stats = (await bus.queue_stats([spec.name]))[0]
    assert (stats.ready, stats.dead) == (0, 1)


async def test_stop_finishes_in_flight_and_returns_the_rest(container: Container) -> None:
    # given 30 messages and a slow handler running 5 at a time
    bus = container.bus
    await create_probe_table(container)
    spec = probe_spec("probe_stop", prefetch=5)
    await bus.publish_many(spec.name, (EntityIdsMessage(ids=[n]) for n in range(30)))
    started: list[int] = []

    async def slow(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        started.append(message.ids[0])
        await asyncio.sleep(0.3)
        await record(message, ctx)

    async def some_started() -> bool:
        return len(started) >= 5

    # when the runtime is told to stop while handlers run
    await run_until(container, [Route(spec, slow)], some_started)

    # then every started message was finished and acked, and the rest wait in the queue
    done = await probe_rows(container)
    assert sorted(done) == sorted(started)
    stats = (await bus.queue_stats([spec.name]))[0]
    assert stats.ready == 30 - len(done)
    assert stats.unacked in (0, None)
