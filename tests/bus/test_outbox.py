"""Follow-ups published with `publish_in` are never lost between a handler's commit and return."""

from __future__ import annotations

from killreport.bus.contracts import EntityIdsMessage
from killreport.container import Container
from killreport.workers.handler import HandlerContext, Route
from tests.bus.probe import RECORD, create_probe_table, probe_rows, probe_spec
from tests.bus.test_contract import run_until

FOLLOW_UP_QUEUE = "probe_follow_up"


async def _follow_ups(container: Container) -> int:
    return (await container.bus.queue_stats([FOLLOW_UP_QUEUE]))[0].ready


async def test_a_crash_after_the_writes_loses_no_follow_up(container: Container) -> None:
    # given a handler that stores its message and queues a follow-up in one transaction,
    # and crashes after both, before the transaction commits, on its first attempt
    await create_probe_table(container)
    spec = probe_spec("probe_outbox", prefetch=1, retry_delays_s=(0.2,))
    tries: list[int] = []

    async def handle(message: EntityIdsMessage, ctx: HandlerContext) -> None:
        tries.append(ctx.delivery.attempt)
        async with ctx.transaction() as session:
            await session.execute(RECORD, [{"item_id": i} for i in message.ids])
            await ctx.bus.publish_in(session, FOLLOW_UP_QUEUE, [EntityIdsMessage(ids=[7])])
            if ctx.delivery.attempt == 1:
                raise RuntimeError("process killed between the writes and the commit")

    await container.bus.publish(spec.name, EntityIdsMessage(ids=[1]))

    async def crashed_once() -> bool:
        return len(tries) >= 1

    # when the first attempt crashes and the workers stop
    await run_until(container, [Route(spec, handle)], crashed_once)
    rows_after_crash = await probe_rows(container)
    follow_ups_after_crash = await _follow_ups(container)

    async def handled() -> bool:
        return bool(await probe_rows(container))

    # and the message is handled again by the next run
    await run_until(container, [Route(spec, handle)], handled)
    follow_ups = await _follow_ups(container)

    embedded = container.settings.broker_url is None
    if embedded:
        # then (embedded) the crash left neither the writes nor the follow-up,
        assert (rows_after_crash, follow_ups_after_crash) == ({}, 0)
        # and the retry left both, once
        assert follow_ups == 1
    else:
        # then (RabbitMQ) the follow-up was confirmed before the commit: never lost,
        # delivered once per attempt (duplicates are harmless: handlers upsert)
        assert (rows_after_crash, follow_ups_after_crash) == ({}, 1)
        assert follow_ups == 2
    assert await probe_rows(container) == {1: 1}
    assert tries == [1, 2]
