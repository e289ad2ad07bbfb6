"""The cron table fires at the seed's times; two schedulers at once run each job once;
runs missed during downtime run once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from killreport.db.engine import Database
from killreport.scheduler.jobs import JOBS
from killreport.scheduler.lock import DatabaseLeaderLock
from killreport.scheduler.runner import ScheduledJob, Scheduler
from tests.scheduler.recording import RUNS_TO_TUESDAY, START, recording_table

TTL = timedelta(seconds=90)


def test_table_fires_at_the_seed_times() -> None:
    # given the cron table and a Saturday evening
    due = {job.name: job.next_due(START) for job in JOBS}
    # then each job next fires when the seed's PM2 cron table says (UTC)
    assert due == {
        "queue-alliances": datetime(2026, 8, 30, 0, 0, tzinfo=UTC),
        "queue-alliance-corporations": datetime(2026, 8, 30, 0, 10, tzinfo=UTC),
        "snapshot-alliances": datetime(2026, 8, 30, 1, 0, tzinfo=UTC),
        "snapshot-corporations": datetime(2026, 8, 30, 1, 0, tzinfo=UTC),
        "update-alliance-counts": datetime(2026, 8, 30, 1, 0, tzinfo=UTC),
        "queue-character-corporations": datetime(2026, 8, 30, 4, 0, tzinfo=UTC),
        "queue-characters": datetime(2026, 9, 1, 0, 0, tzinfo=UTC),
        # not the seed's: the rolling detail refresh that replaced the monthly spike
        "queue-character-details": datetime(2026, 8, 30, 4, 30, tzinfo=UTC),
        "queue-user-killmails": datetime(2026, 8, 29, 23, 10, tzinfo=UTC),
        "prune-operational-rows": datetime(2026, 8, 30, 3, 30, tzinfo=UTC),
    }
    assert len({job.name for job in JOBS}) == len(JOBS)


async def test_two_schedulers_at_once_trigger_each_job_once(database: Database) -> None:
    # given two schedulers on two "hosts" sharing one database, with a fake clock
    calls: list[tuple[str, str]] = []
    schedulers = [
        Scheduler(
            database,
            recording_table(calls),
            DatabaseLeaderLock(database, name="scheduler", owner=owner, ttl=TTL),
            owner,
        )
        for owner in ("host-a", "host-b")
    ]
    # when both tick every half hour from Saturday 23:00 to Tuesday 05:00
    now = START
    while now <= START + timedelta(days=2, hours=6):
        for scheduler in schedulers:
            await scheduler.tick(now)
        now += timedelta(minutes=30)
    # then every occurrence ran exactly once, all on the leader
    names = sorted(name for name, _ in calls)
    assert names == RUNS_TO_TUESDAY
    assert {owner for _, owner in calls} == {"host-a"}


async def test_missed_runs_run_once_and_a_follower_takes_over(database: Database) -> None:
    # given a leader that saw the table on Saturday and then went down
    calls: list[tuple[str, str]] = []
    leader = Scheduler(
        database,
        recording_table(calls),
        DatabaseLeaderLock(database, name="scheduler", owner="host-a", ttl=TTL),
        "host-a",
    )
    follower = Scheduler(
        database,
        recording_table(calls),
        DatabaseLeaderLock(database, name="scheduler", owner="host-b", ttl=TTL),
        "host-b",
    )
    bootstrap = [j.name for j in JOBS if j.bootstrap]
    assert await leader.tick(START) == bootstrap
    # when the follower ticks three days later (the lease long expired)
    ran = await follower.tick(START + timedelta(days=3, hours=6))
    # then each job that missed one or more runs runs once, on the follower
    assert sorted(ran) == sorted(j.name for j in JOBS)
    assert len(calls) == len(JOBS) + len(bootstrap)
    # and ticking again at the same time runs nothing more
    assert await follower.tick(START + timedelta(days=3, hours=6)) == []
    assert await leader.tick(START + timedelta(days=3, hours=6)) == []


async def test_a_failed_run_is_retried_on_the_next_tick_not_next_week(database: Database) -> None:
    # given the table seen on Saturday, and queue-alliances failing on its first try (broker down)
    calls: list[tuple[str, str]] = []
    table = recording_table(calls)
    failures = {"queue-alliances": 1}
    flaky = []
    for job in table:

        async def run(owner: str, job=job) -> object:
            if failures.get(job.name, 0) > 0:
                failures[job.name] -= 1
                raise ConnectionError("broker unreachable")
            return await job.run(owner)

        flaky.append(ScheduledJob(job.name, job.cron, run))
    scheduler = Scheduler(
        database,
        flaky,
        DatabaseLeaderLock(database, name="scheduler", owner="host-a", ttl=TTL),
        "host-a",
    )
    assert await scheduler.tick(START) == []
    sunday = datetime(2026, 8, 30, 0, 0, 30, tzinfo=UTC)
    # when Sunday 00:00 comes, the job fails, and the scheduler ticks again 30 s later
    assert "queue-alliances" not in await scheduler.tick(sunday)
    ran = await scheduler.tick(sunday + timedelta(seconds=30))
    # then the same occurrence runs on the retry, once, and not again after
    assert "queue-alliances" in ran
    assert [name for name, _ in calls].count("queue-alliances") == 1
    assert "queue-alliances" not in await scheduler.tick(sunday + timedelta(minutes=5))


async def test_a_new_database_bootstraps_once_and_retries_a_failed_bootstrap(
    database: Database,
) -> None:
    # given a new database and a bootstrap job whose first attempt fails
    attempts: list[datetime] = []

    async def flaky(_: str) -> object:
        attempts.append(now)
        if len(attempts) == 1:
            raise RuntimeError("ESI unreachable")
        return None

    job = ScheduledJob("queue-alliances", "0 0 * * sun", flaky, bootstrap=True)
    lock = DatabaseLeaderLock(database, name="scheduler", owner="host-a", ttl=TTL)
    scheduler = Scheduler(database, [job], lock, "host-a")
    # when the scheduler ticks on Saturday evening, then again, then on and on to Monday
    now = START
    first = await scheduler.tick(now)
    now += timedelta(minutes=30)
    second = await scheduler.tick(now)
    later: list[str] = []
    while now < START + timedelta(days=1, hours=12):
        now += timedelta(minutes=30)
        later += await scheduler.tick(now)
    # then the failed bootstrap is retried on the next tick and not run again before Sunday
    assert first == []
    assert second == ["queue-alliances"]
    assert later == ["queue-alliances"]  # Sunday 00:00, the seed's time
    assert attempts[:2] == [START, START + timedelta(minutes=30)]
    assert attempts[2] == datetime(2026, 8, 30, 0, 0, tzinfo=UTC)
