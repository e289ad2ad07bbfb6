"""The R2Z2 follower outlives R2Z2 refusing it, its database going away and lost events."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from sqlalchemy import func, select

from killreport import container as container_module
from killreport.db.tables import Killmail
from killreport.events.hub import RedisHub
from killreport.feeds.r2z2 import FeedConfig, R2Z2Follower, read_cursor
from killreport.sim import SimConfig, run_simulator
from tests.bus.outage import database_closed
from tests.conftest import make_settings

DEAD_REDIS_URL = "redis://127.0.0.1:1/0"
WAIT_S = 30.0


async def _stored(container: container_module.Container) -> int:
    async with container.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Killmail)) or 0)


async def _until_stored(
    container: container_module.Container, task: asyncio.Task[None], count: int
) -> None:
    deadline = time.monotonic() + WAIT_S
    while await _stored(container) < count:
        if task.done():
            task.result()
            raise AssertionError("the follower stopped by itself")
        assert time.monotonic() < deadline, "killmails not stored in time"
        await asyncio.sleep(0.1)


async def test_follower_survives_rate_limits_a_database_outage_and_lost_events(
    postgres_url: str, tmp_path: Path
) -> None:
    # given R2Z2 allowing 8 requests a second (429 beyond), the embedded queue on
    # PostgreSQL, and events going to a Redis nobody listens on
    async with run_simulator(SimConfig(seed=11, r2z2_max_rps=8)) as sim:
        first = min(sim.publish_killmails(20, republish=4))
        configured = make_settings(
            database_url=postgres_url, data_dir=tmp_path, r2z2_url=sim.endpoints["r2z2"]
        )
        config = FeedConfig(
            not_yet_wait_s=0.01, batch_max=5, skip_after_misses=1, error_backoff_s=0.1
        )
        async with container_module.build(configured) as container:
            hub = RedisHub(DEAD_REDIS_URL)
            follower = R2Z2Follower(container.database, hub, container.bus, container.r2z2, config)
            stop = asyncio.Event()
            # when the follower runs while more killmails arrive
            task = asyncio.create_task(follower.run(stop, from_sequence=first))
            try:
                await _until_stored(container, task, 20)
                # and the database refuses every connection for 1.5 s while more arrive
                with database_closed(postgres_url):
                    last = max(sim.publish_killmails(10, republish=2))
                    await asyncio.sleep(1.5)
                    assert not task.done(), "the follower died during the outage"
                await _until_stored(container, task, 30)
                alive = not task.done()
            finally:
                stop.set()
                await asyncio.wait_for(task, 30)
                await hub.close()
            stored = await _stored(container)
            cursor = await read_cursor(container.database)
    # then it kept running and every killmail is stored once, the cursor past the last
    assert alive
    assert stored == 30
    assert cursor == last + 1
