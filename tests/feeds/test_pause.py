"""`killreport feed pause|resume`: a paused follower reads nothing, and resumes at its cursor."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from killreport import container as container_module
from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.feeds.cursor import CURSOR_NAME
from killreport.feeds.pause import is_paused
from killreport.feeds.r2z2 import FeedConfig, R2Z2Follower, read_cursor
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator

KILLREPORT = str(Path(sys.executable).with_name("killreport"))


def _cli(settings: Settings, *args: str) -> str:
    env = {"KILLREPORT_DATABASE_URL": settings.database_url, "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [KILLREPORT, "feed", *args], env=env, capture_output=True, timeout=60, check=True
    )
    return result.stdout.decode()


async def _stored(database: Database) -> int:
    async with database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Killmail)) or 0)


async def _until(predicate: object, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "never happened"
        await asyncio.sleep(0.1)


async def test_a_paused_feed_reads_nothing_until_resumed(embedded_settings: Settings) -> None:
    async with run_simulator(SimConfig(seed=7, universe="tiny")) as sim:
        configured = embedded_settings.model_copy(update={"r2z2_url": sim.endpoints["r2z2"]})
        first = min(sim.publish_killmails(5))
        # given a feed paused from the command line
        assert "paused" in await asyncio.to_thread(_cli, configured, "pause", "--by", "ops test")
        async with container_module.build(configured) as container:
            assert await is_paused(container.database, CURSOR_NAME)
            config = FeedConfig(not_yet_wait_s=0.05, pause_poll_s=0.1)
            follower = R2Z2Follower(
                container.database, container.events, container.bus, container.r2z2, config
            )
            stop = asyncio.Event()
            running = asyncio.create_task(follower.run(stop, from_sequence=first))
            try:
                # when it runs for a while with 5 killmails published
                await asyncio.sleep(1.5)
                # then it stored none of them and kept no cursor beyond the start
                assert await _stored(container.database) == 0
                assert await read_cursor(container.database) is None
                # when it is resumed from the command line
                assert "resumed" in await asyncio.to_thread(_cli, configured, "resume")

                async def all_stored() -> bool:
                    return await _stored(container.database) == 5

                # then it reads every one of them
                await _until(all_stored)
            finally:
                stop.set()
                await running
        # and resuming again says it was not paused
        assert "was not paused" in await asyncio.to_thread(_cli, configured, "resume")
