"""The services deployment's scheduler lock is a Redis key: two schedulers ticking at once
trigger each job once, and a follower takes over when the leader lets go."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from killreport.db.engine import Database
from killreport.scheduler.jobs import JOBS
from killreport.scheduler.lock import RedisLeaderLock, open_leader_lock
from killreport.scheduler.runner import ScheduledJob, Scheduler
from tests.conftest import make_settings
from tests.scheduler.recording import RUNS_TO_TUESDAY, START, recording_table


@pytest.fixture
async def postgres(postgres_url: str) -> AsyncIterator[Database]:
    """The services deployment's database (PostgreSQL), empty."""
    database = Database.from_url(postgres_url)
    try:
        yield database
    finally:
        await database.dispose()


async def test_two_schedulers_on_redis_trigger_each_job_once(
    postgres: Database, postgres_url: str, redis_url: str
) -> None:
    # given two schedulers on two "hosts" of the services deployment, with a fake clock
    settings = make_settings(database_url=postgres_url, redis_url=redis_url)
    calls: list[tuple[str, str]] = []
    async with (
        open_leader_lock(settings, postgres, owner="host-a") as lock_a,
        open_leader_lock(settings, postgres, owner="host-b") as lock_b,
    ):
        assert isinstance(lock_a, RedisLeaderLock) and isinstance(lock_b, RedisLeaderLock)
        schedulers = [
            Scheduler(postgres, recording_table(calls), lock, lock.owner)
            for lock in (lock_a, lock_b)
        ]
        # when both tick at the same moments every half hour, Saturday 23:00 to Tuesday 05:00
        now = START
        while now <= START + timedelta(days=2, hours=6):
            await asyncio.gather(*(scheduler.tick(now) for scheduler in schedulers))
            now += timedelta(minutes=30)
        # then every occurrence ran exactly once, all on the one holding the Redis key
        names = sorted(name for name, _ in calls)
        assert names == RUNS_TO_TUESDAY
        leaders = {owner for _, owner in calls}
        assert len(leaders) == 1
        client = aioredis.from_url(redis_url)
        try:
            assert (await client.get("killreport:lease:scheduler")).decode() in leaders
        finally:
            await client.aclose()


async def test_follower_takes_over_when_the_leader_releases(
    postgres: Database, postgres_url: str, redis_url: str
) -> None:
    # given a leader holding the Redis key and a follower
    settings = make_settings(database_url=postgres_url, redis_url=redis_url)
    calls: list[tuple[str, str]] = []
    table: list[ScheduledJob[str]] = recording_table(calls)
    async with (
        open_leader_lock(settings, postgres, owner="host-a") as lock_a,
        open_leader_lock(settings, postgres, owner="host-b") as lock_b,
    ):
        leader = Scheduler(postgres, table, lock_a, "host-a")
        follower = Scheduler(postgres, table, lock_b, "host-b")
        assert await leader.tick(START) == [job.name for job in JOBS if job.bootstrap]
        assert await lock_b.acquire(START) is False
        calls.clear()
        # when the leader stops (releasing the key) and the follower ticks days later
        await lock_a.release()
        ran = await follower.tick(START + timedelta(days=3, hours=6))
        # then the follower leads and runs each job that missed runs once
        assert sorted(ran) == sorted(job.name for job in JOBS)
        assert {owner for _, owner in calls} == {"host-b"}
        assert await lock_a.acquire(START) is False
