"""The R2Z2 follower against the simulator: republished and shuffled entries change nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from killreport import container as container_module
from killreport.db.tables import Killmail
from killreport.feeds.r2z2 import FeedConfig, R2Z2Follower, read_cursor
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator


async def _drain(follower: R2Z2Follower, position: int) -> int:
    while True:
        position, wait_s = await follower.step(position)
        if wait_s > 0:
            return position


async def test_feed_stores_each_killmail_once_and_resumes_from_its_cursor(
    settings: Settings,
) -> None:
    async with run_simulator(SimConfig(seed=7)) as sim:
        # given 40 new killmails published with 12 republished, in shuffled order
        sequences = sim.publish_killmails(40, republish=12, shuffle=True)
        first, last = min(sequences), max(sequences)
        configured = settings.model_copy(update={"r2z2_url": sim.endpoints["r2z2"]})
        config = FeedConfig(not_yet_wait_s=0.01, batch_max=10)
        async with container_module.build(configured) as container:
            follower = R2Z2Follower(
                container.database, container.events, container.bus, container.r2z2, config
            )
            # when the follower reads to the end
            end = await _drain(follower, await follower.start_position(first))
            async with container.database.transaction() as session:
                stored = await session.scalar(select(func.count()).select_from(Killmail))
            # then every killmail is stored once and the cursor is past the last entry
            assert stored == 40
            assert end == last + 1
            assert await read_cursor(container.database) == last + 1
            # and a restarted follower resumes at the cursor; more entries arrive
            more = sim.publish_killmails(5, republish=5)
            restarted = R2Z2Follower(
                container.database, container.events, container.bus, container.r2z2, config
            )
            assert await restarted.start_position(None) == last + 1
            end = await _drain(restarted, last + 1)
            async with container.database.transaction() as session:
                stored = await session.scalar(select(func.count()).select_from(Killmail))
                sources = set((await session.execute(select(Killmail.source))).scalars())
            assert stored == 45
            assert end == max(more) + 1
            assert sources == {"r2z2"}
