"""The follower's MissingPublisher remembers a bounded set of recent ids, not every id ever."""

from __future__ import annotations

import json

from sqlalchemy import select

from killreport.bus.contracts import ESI_CHARACTER_INFO_QUEUE
from killreport.bus.embedded import EmbeddedBus
from killreport.db.engine import Database
from killreport.db.tables.ops import QueueMessage
from killreport.jobs.scan import MissingPublisher


class Clock:
    """Seconds that only move when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _queued(database: Database) -> list[list[int]]:
    async with database.transaction() as session:
        bodies = (
            await session.execute(
                select(QueueMessage.body)
                .where(QueueMessage.queue == ESI_CHARACTER_INFO_QUEUE)
                .order_by(QueueMessage.message_id)
            )
        ).scalars()
        return [json.loads(body)["ids"] for body in bodies]


async def test_recent_ids_are_bounded_by_count_and_age(sqlite_url: str) -> None:
    database = Database.from_url(sqlite_url)
    clock = Clock()
    # given a publisher that remembers at most 3 ids for 60 s
    publisher = MissingPublisher(EmbeddedBus(database), ttl_s=60.0, max_ids=3, clock=clock)
    try:
        # when 5 ids are published, then the first and the newest again
        sent = [await publisher.publish_ids("character", [1, 2, 3, 4, 5])]
        remembered = publisher.remembered("character")
        sent.append(await publisher.publish_ids("character", [1, 5]))
        # and, 61 s later, the ids still remembered are published again
        clock.now = 61.0
        sent.append(await publisher.publish_ids("character", [4, 5]))
        queued = await _queued(database)
    finally:
        await database.dispose()
    # then it remembered only the 3 newest: 1 (forgotten) went out again, 5 did not
    assert remembered == 3
    assert sent == [5, 1, 2]
    # and after the time to live nothing suppresses a re-queue (a dead-lettered id comes back)
    assert queued == [[1, 2, 3, 4, 5], [1], [4, 5]]
    assert publisher.remembered("character") == 2
