"""The cron table with every job replaced by one that records who ran it."""

from __future__ import annotations

from datetime import UTC, datetime

from killreport.scheduler.jobs import JOBS
from killreport.scheduler.runner import ScheduledJob

# A Saturday; the table is first seen then, so only the bootstrap job runs at start.
START = datetime(2026, 8, 29, 23, 0, tzinfo=UTC)

# What ticking every half hour from START to Tuesday 05:00 must run, once each: the
# bootstrap run of queue-alliances on the new database, then the seed's times.
RUNS_TO_TUESDAY = sorted(
    ["queue-alliances"] * 2
    + ["queue-alliance-corporations", "queue-characters"]
    + ["snapshot-alliances", "snapshot-corporations", "update-alliance-counts"] * 3
    + ["queue-character-corporations"] * 3
    + ["queue-character-details"] * 3
    # Every 10 minutes: once per half-hourly tick after the first (missed runs coalesce).
    + ["queue-user-killmails"] * 108
    + ["prune-operational-rows"] * 3
)


def recording_table(calls: list[tuple[str, str]]) -> list[ScheduledJob[str]]:
    """JOBS' names and crontab lines; each run appends (job name, scheduler context)."""

    def job(name: str) -> ScheduledJob[str]:
        async def run(owner: str) -> object:
            calls.append((name, owner))
            return None

        spec = next(j for j in JOBS if j.name == name)
        return ScheduledJob(name, spec.cron, run, bootstrap=spec.bootstrap)

    return [job(j.name) for j in JOBS]
