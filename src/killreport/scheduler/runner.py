"""The scheduler loop: on each tick the leader runs every job whose time has come, once.

A job's last scheduled time is kept in `job_runs`. A tick claims the newest due time
with a conditional update (`last_scheduled_for < due`), so even two leaders by
accident (a paused process whose lease ran out) cannot run one occurrence twice; runs
missed during downtime collapse into one run of the newest due time. A job that
fails gives its claim back, so the next tick tries the same occurrence again instead
of waiting a week or a month. A job seen for the first time starts from its newest due
time without running, so installing the system does not fire the whole table at once;
only the bootstrap jobs (the alliance list) run at once on a database where they never
ran, so a new board fills on its own instead of waiting for next Sunday.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Table, delete, update

from killreport.db.dialect import insert_ignore
from killreport.db.engine import Database
from killreport.db.tables import JobRun
from killreport.scheduler.lock import LeaderLock

logger = logging.getLogger(__name__)

C = TypeVar("C")

# How far back a job seen for the first time looks for its newest due time (> a month).
FIRST_LOOKBACK = timedelta(days=32)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class ScheduledJob(Generic[C]):
    """One row of the cron table: a name, a crontab line in UTC, and what it runs."""

    name: str
    cron: str
    run: Callable[[C], Awaitable[object]]
    description: str = ""
    # Run at once when this database has never run it (a new board), then on schedule.
    bootstrap: bool = False

    def trigger(self) -> Any:
        """The APScheduler trigger of the crontab line (day names only: APScheduler 3
        numbers weekdays from Monday = 0, unlike cron)."""
        return CronTrigger.from_crontab(self.cron, timezone=UTC)

    def latest_due(self, now: datetime, since: datetime | None = None) -> datetime | None:
        """The newest scheduled time in (since, now], or None when there is none."""
        trigger = self.trigger()
        start = since if since is not None else now - FIRST_LOOKBACK
        latest: datetime | None = None
        fire: datetime | None = trigger.get_next_fire_time(None, start + _TICK)
        while fire is not None and fire <= now:
            latest = fire
            fire = trigger.get_next_fire_time(None, fire + _TICK)
        return latest.astimezone(UTC) if latest is not None else None

    def next_due(self, now: datetime) -> datetime:
        """The first scheduled time after `now`."""
        fire: datetime = self.trigger().get_next_fire_time(None, now + _TICK)
        return fire.astimezone(UTC)


def _job_runs() -> Table:
    table = JobRun.__table__
    assert isinstance(table, Table)
    return table


class Scheduler(Generic[C]):
    """Runs a cron table under a leader lock; `tick(now)` is the whole decision."""

    def __init__(
        self,
        database: Database,
        jobs: Sequence[ScheduledJob[C]],
        lock: LeaderLock,
        context: C,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"scheduled job names must be unique: {names}")
        self.database = database
        self.jobs = tuple(jobs)
        self.lock = lock
        self.context = context
        self.clock = clock

    async def _claim(
        self, job: ScheduledJob[C], now: datetime
    ) -> tuple[datetime, datetime | None] | None:
        """Claim the job's newest due time if nobody ran it yet: (due, previous claim).

        The previous claim is None for a bootstrap run: giving it back forgets the job, so
        the next tick bootstraps again.
        """
        table = _job_runs()
        async with self.database.transaction() as session:
            row = await session.get(JobRun, job.name)
            if row is None:
                baseline = now if job.bootstrap else (job.latest_due(now) or now)
                inserted = await session.execute(
                    insert_ignore(self.database.dialect, table)
                    .values(job_name=job.name, last_scheduled_for=baseline)
                    .returning(table.c.job_name)
                )
                # Only the scheduler whose insert landed bootstraps (RETURNING, since
                # rowcount is not reported for INSERT ... ON CONFLICT on every driver).
                if job.bootstrap and inserted.first() is not None:
                    logger.info(
                        "job %s has never run on this database: running it now to bootstrap",
                        job.name,
                    )
                    return now, None
                logger.info("job %s first seen; next run at %s", job.name, job.next_due(now))
                return None
            due = job.latest_due(now, since=row.last_scheduled_for)
            if due is None:
                return None
            result = await session.execute(
                update(table)
                .where(table.c.job_name == job.name, table.c.last_scheduled_for < due)
                .values(last_scheduled_for=due)
            )
            return (due, row.last_scheduled_for) if getattr(result, "rowcount", 0) == 1 else None

    async def _unclaim(
        self, job: ScheduledJob[C], due: datetime, previous: datetime | None
    ) -> None:
        """Give a failed run's claim back, unless a newer occurrence was claimed meanwhile."""
        table = _job_runs()
        async with self.database.transaction() as session:
            mine = (table.c.job_name == job.name) & (table.c.last_scheduled_for == due)
            if previous is None:
                await session.execute(delete(table).where(mine))
            else:
                await session.execute(update(table).where(mine).values(last_scheduled_for=previous))

    async def _finished(self, job: ScheduledJob[C], at: datetime) -> None:
        table = _job_runs()
        async with self.database.transaction() as session:
            await session.execute(
                update(table).where(table.c.job_name == job.name).values(last_finished_at=at)
            )

    async def tick(self, now: datetime | None = None) -> list[str]:
        """If this scheduler leads, run each job that is due; return the names run."""
        now = now or self.clock()
        if not await self.lock.acquire(now):
            return []
        ran: list[str] = []
        for job in self.jobs:
            claim = await self._claim(job, now)
            if claim is None:
                continue
            due, previous = claim
            logger.info("job %s starting (scheduled for %s)", job.name, due.isoformat())
            try:
                outcome = await job.run(self.context)
            except Exception:
                # One failing job must not stop the others; the claim goes back so the
                # next tick retries this occurrence (jobs only enqueue, so a retry is cheap).
                logger.exception("job %s failed (scheduled for %s)", job.name, due.isoformat())
                await self._unclaim(job, due, previous)
                continue
            await self._finished(job, now)
            logger.info("job %s finished: %s", job.name, outcome)
            ran.append(job.name)
        return ran

    async def run(self, stop: asyncio.Event, *, interval_s: float = 30.0) -> None:
        """Tick every `interval_s` seconds until `stop` is set; release the lease on exit."""
        logger.info("scheduler %s started with %d jobs", self.lock.owner, len(self.jobs))
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    # A database outage must not end the scheduler; the next tick retries.
                    logger.exception("scheduler %s tick failed", self.lock.owner)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval_s)
                except TimeoutError:
                    continue
        finally:
            await self.lock.release()
            logger.info("scheduler %s stopped", self.lock.owner)
