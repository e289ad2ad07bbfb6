"""Waiting on a budget (RetryLater) uses up no attempts; only the message's age bounds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from killreport.bus.contracts import EntityIdsMessage, QueueSpec
from killreport.bus.errors import RetryLater
from killreport.container import Container
from killreport.workers.handler import HandlerContext, Route
from tests.bus.probe import create_probe_table, probe_rows, record
from tests.bus.test_contract import run_until

WAITS = 4  # more than the retry limit of 1


async def test_retry_later_does_not_count_toward_the_retry_limit(container: Container) -> None:
    # given queues that allow one retry; the handler meets a 429 four times for id 1,
    # and always for id 2 on a queue whose messages may wait 0.5 s at most
    await create_probe_table(container)
    patient = QueueSpec("probe_wait", "probe_wait", 2, EntityIdsMessage, retry_delays_s=(0.1,))
    bounded = QueueSpec(
        "probe_wait_bounded", "probe_wait_bounded", 1, EntityIdsMessage,
        retry_delays_s=(0.1,), max_wait_s=0.5,
    )  # fmt: skip
    attempts: list[int] = []

    async def limited(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        if message.ids == [1] and len(attempts) < WAITS:
            attempts.append(ctx.delivery.attempt)
            raise RetryLater(datetime.now(UTC) + timedelta(seconds=0.05), "ESI 429")
        await record(message, ctx)

    async def always_limited(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        raise RetryLater(datetime.now(UTC) + timedelta(seconds=0.05), "ESI 420")

    await container.bus.publish(patient.name, EntityIdsMessage(ids=[1]))
    await container.bus.publish(bounded.name, EntityIdsMessage(ids=[2]))

    async def settled() -> bool:
        dead = (await container.bus.queue_stats([bounded.name]))[0].dead
        return 1 in await probe_rows(container) and dead == 1

    # when the workers run
    await run_until(container, [Route(patient, limited), Route(bounded, always_limited)], settled)

    # then the message waited four times on its first attempt and was then handled once,
    assert attempts == [1, 1, 1, 1]
    assert await probe_rows(container) == {1: 1}
    stats = {s.queue: s for s in await container.bus.queue_stats([patient.name, bounded.name])}
    assert (stats[patient.name].ready, stats[patient.name].dead) == (0, 0)
    # and the one that never got its budget was dead-lettered once older than max_wait_s
    assert (stats[bounded.name].ready, stats[bounded.name].dead) == (0, 1)
