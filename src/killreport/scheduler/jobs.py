"""The cron table (the seed's PM2 cron apps), in UTC; every job only enqueues or computes."""

from __future__ import annotations

from datetime import datetime

from killreport.container import Container
from killreport.jobs import entities, retention, snapshots, user_killmails
from killreport.scheduler.runner import ScheduledJob


def _now(container: Container) -> datetime:
    # The ESI client's clock, so "expired" means what ESI's cache headers meant.
    return container.esi.transport.clock()


async def _queue_alliances(c: Container) -> object:
    return await entities.queue_alliances(c.esi, c.bus, c.database)


async def _queue_alliance_corporations(c: Container) -> object:
    return await entities.queue_alliance_corporations(c.database, c.bus)


async def _snapshot_alliances(c: Container) -> object:
    return await snapshots.take_alliance_snapshot(c.database, _now(c))


async def _snapshot_corporations(c: Container) -> object:
    return await snapshots.take_corporation_snapshot(c.database, _now(c))


async def _alliance_counts(c: Container) -> object:
    return await snapshots.refresh_alliance_counts(c.database, _now(c))


async def _queue_character_corporations(c: Container) -> object:
    return await entities.queue_character_corporations(c.database, c.bus)


async def _queue_characters(c: Container) -> object:
    return await entities.queue_characters(c.database, c.esi, c.bus, now=_now(c))


async def _queue_character_details(c: Container) -> object:
    return await entities.queue_character_details(c.database, c.bus, _now(c))


async def _queue_user_killmails(c: Container) -> object:
    summary = await user_killmails.queue_syncs(
        c.database, c.bus, _now(c), priority=user_killmails.PRIORITY_SCHEDULED
    )
    return summary.count


async def _prune(c: Container) -> object:
    return await retention.prune(c.database, _now(c))


# Day-of-week by name: APScheduler 3 numbers weekdays from Monday = 0, unlike cron.
JOBS: tuple[ScheduledJob[Container], ...] = (
    ScheduledJob(
        "queue-alliances", "0 0 * * sun", _queue_alliances, "Sunday 00:00", bootstrap=True
    ),
    ScheduledJob(
        "queue-alliance-corporations", "10 0 * * sun", _queue_alliance_corporations, "Sunday 00:10"
    ),
    ScheduledJob("snapshot-alliances", "0 1 * * *", _snapshot_alliances, "daily 01:00"),
    ScheduledJob("snapshot-corporations", "0 1 * * *", _snapshot_corporations, "daily 01:00"),
    ScheduledJob("update-alliance-counts", "0 1 * * *", _alliance_counts, "daily 01:00"),
    ScheduledJob(
        "queue-character-corporations",
        "0 4 * * *",
        _queue_character_corporations,
        "daily 04:00",
    ),
    ScheduledJob("queue-characters", "0 0 1 * *", _queue_characters, "1st of the month 00:00"),
    ScheduledJob("queue-character-details", "30 4 * * *", _queue_character_details, "daily 04:30"),
    ScheduledJob("queue-user-killmails", "*/10 * * * *", _queue_user_killmails, "every 10 minutes"),
    ScheduledJob("prune-operational-rows", "30 3 * * *", _prune, "daily 03:30"),
)
