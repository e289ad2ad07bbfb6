"""What an operator watches: processes, queues, the ESI budget, for `status` and `/status/`.

The `killreport status` sections the admin GraphQL `processes` query and page reuse; kept
here, outside `cli`, so the API can call them without loading the roles.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from killreport.bus.contracts import QUEUES
from killreport.bus.protocol import QueueStats
from killreport.container import Container
from killreport.operations.feed_lag import feed_status
from killreport.operations.heartbeat import ProcessView, list_processes


async def processes_section(container: Container) -> list[dict[str, Any]]:
    """Every process's heartbeat (role, host, pid, version, counts), stale ones flagged."""
    views = await list_processes(container.settings, container.database)
    return [v.as_dict() for v in views]


async def queue_section(container: Container) -> dict[str, Any]:
    """Per queue: worker name, ready, unacked, consumers, delayed retries, dead letters."""
    stats = await container.bus.queue_stats(list(QUEUES))
    return {
        s.queue: {
            "worker": QUEUES[s.queue].worker,
            "ready": s.ready,
            "unacked": s.unacked,
            "consumers": s.consumers,
            "delayed": s.delayed,
            "dead": s.dead,
        }
        for s in stats
    }


async def budget_section(container: Container) -> dict[str, Any]:
    """The shared ESI budget: error limit remaining, pauses, requests in flight."""
    return (await container.budget.snapshot()).summary()


@dataclass(frozen=True, slots=True)
class Overview:
    """Processes, queue counts, feed lag and the ESI budget at one moment."""

    processes: list[ProcessView]
    queues: list[QueueStats]
    feed: dict[str, Any]
    budget: dict[str, Any]


async def overview(container: Container) -> Overview:
    """The operator's overview, each part read as `killreport status` reads it."""
    processes, queues, feed, budget = await asyncio.gather(
        list_processes(container.settings, container.database),
        container.bus.queue_stats(list(QUEUES)),
        feed_status(container),
        budget_section(container),
    )
    return Overview(processes=processes, queues=list(queues), feed=feed, budget=budget)
