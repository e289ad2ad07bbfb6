"""`killreport scheduler`: the cron table under a single-leader lock (also a role of `up`)."""

from __future__ import annotations

import asyncio

from killreport import container as container_module
from killreport.cli.context import start
from killreport.cli.process import Role, run_roles
from killreport.container import Container
from killreport.scheduler.jobs import JOBS
from killreport.scheduler.lock import open_leader_lock
from killreport.scheduler.runner import Scheduler


def scheduler_role(interval_s: float = 30.0) -> Role:
    """The role that runs the cron table; only the lease holder across hosts acts."""

    async def run(container: Container, stop: asyncio.Event) -> None:
        async with open_leader_lock(container.settings, container.database) as lock:
            runner = Scheduler(
                container.database, JOBS, lock, container, clock=container.esi.transport.clock
            )
            await runner.run(stop, interval_s=interval_s)

    return Role("scheduler", run)


def scheduler(*, list_: bool = False, metrics_port: int | None = None) -> None:
    """Run the seed's schedule (UTC): Sunday 00:00 queue alliances, Sunday 00:10
    alliance-corporations, daily 01:00 snapshots and alliance counts, daily 04:00
    character-corporations, the 1st of each month 00:00 characters.

    Parameters
    ----------
    list_
        Print the table and exit.
    metrics_port
        Serve Prometheus metrics on this port (default KILLREPORT_METRICS_PORT; none).
    """
    if list_:
        for job in JOBS:
            print(f"{job.name:32} {job.cron:14} {job.description}")
        return
    settings = start(**({"metrics_port": metrics_port} if metrics_port else {}))

    async def serve() -> None:
        async with container_module.build(settings) as container:
            await run_roles(container, [scheduler_role()])

    asyncio.run(serve())
