"""`killreport sync alliances|corporations|characters|all`: the seed's orchestrator.

Queues each step in dependency order and follows the entity queues to empty before the
next step, with a live progress display. By default it runs the entity workers in
this process (so it works on a single machine with nothing else running);
`--external-workers` only queues and watches, for deployments where workers run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from cyclopts import Parameter
from rich.console import Console
from rich.live import Live
from rich.table import Table

from killreport import container as container_module
from killreport.bus.errors import BusUnavailable
from killreport.cli.context import start
from killreport.container import Container
from killreport.jobs import entities as jobs
from killreport.universe.specs import EntityKind
from killreport.workers.handler import HandlerContext, Route
from killreport.workers.routes import ENTITY_ROUTES
from killreport.workers.runtime import run_routes

logger = logging.getLogger(__name__)

ENTITY_QUEUES = tuple(route.spec.name for route in ENTITY_ROUTES)
# Queues must look empty this many polls in a row with nothing in flight.
IDLE_POLLS = 2


def esi_now(container: Container) -> datetime:
    """Now as the ESI client's cache sees it (the simulator's clock in tests)."""
    return container.esi.transport.clock()


@dataclass(frozen=True, slots=True)
class SyncStep:
    """One producer of a sync plan; the queues are drained after it."""

    label: str
    run: Callable[[Container], Awaitable[object]]


async def _alliances(c: Container) -> object:
    return await jobs.queue_alliances(c.esi, c.bus, c.database)


async def _alliance_corporations(c: Container) -> object:
    return await jobs.queue_alliance_corporations(c.database, c.bus)


async def _expired_corporations(c: Container) -> object:
    return await jobs.queue_expired(c.database, c.bus, EntityKind.CORPORATION, esi_now(c))


async def _characters(c: Container) -> object:
    return await jobs.queue_characters(c.database, c.esi, c.bus, now=esi_now(c))


async def _character_corporations(c: Container) -> object:
    return await jobs.queue_character_corporations(c.database, c.bus)


_ALLIANCES = (SyncStep("queue alliances", _alliances),)
_CORPORATIONS = (
    SyncStep("queue alliance-corporations", _alliance_corporations),
    SyncStep("queue expired corporations", _expired_corporations),
)
_CHARACTERS = (
    SyncStep("queue characters", _characters),
    SyncStep("queue character-corporations", _character_corporations),
)

PLANS: dict[str, tuple[SyncStep, ...]] = {
    "alliances": _ALLIANCES,
    "corporations": _CORPORATIONS,
    "characters": _CHARACTERS,
    "all": (*_ALLIANCES, *_CORPORATIONS, *_CHARACTERS),
}


@dataclass(slots=True)
class _Activity:
    """Messages the in-process workers are handling now, and handled so far, per queue."""

    in_flight: int = 0
    handled: dict[str, int] = field(default_factory=dict)

    def wrap(self, route: Route) -> Route:
        handler = route.handler

        async def counted(message: Any, ctx: HandlerContext) -> None:
            self.in_flight += 1
            try:
                await handler(message, ctx)
            finally:
                self.in_flight -= 1
                self.handled[route.spec.name] = self.handled.get(route.spec.name, 0) + 1

        return Route(route.spec, counted)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What each step queued, messages handled per queue, and the wall time."""

    steps: list[tuple[str, object]]
    handled: dict[str, int]
    elapsed_s: float


def _table(label: str, pending: dict[str, int], activity: _Activity, started: float) -> Table:
    table = Table(title=f"{label}  ({time.monotonic() - started:.0f} s)")
    table.add_column("queue")
    table.add_column("waiting", justify="right")
    table.add_column("handled", justify="right")
    for queue in ENTITY_QUEUES:
        table.add_row(queue, str(pending.get(queue, 0)), str(activity.handled.get(queue, 0)))
    table.add_row("in flight", str(activity.in_flight), "")
    return table


async def _drain(
    container: Container,
    activity: _Activity,
    label: str,
    live: Live | None,
    started: float,
    *,
    poll_s: float,
) -> None:
    idle = 0
    while idle < IDLE_POLLS:
        await asyncio.sleep(poll_s)
        try:
            stats = await container.bus.queue_stats(ENTITY_QUEUES)
        except BusUnavailable as exc:
            # A busy database or a broker restart: the queues are not known to be empty.
            logger.warning("sync %s: queue counts unavailable (%s); polling again", label, exc)
            idle = 0
            continue
        # Unacked counts whoever holds the messages: this process's workers and any other
        # process consuming the same queues (`killreport worker` beside `sync`), whose
        # handlers publish the follow-ups (members, then characters) before they ack.
        pending = {s.queue: s.ready + (s.delayed or 0) + (s.unacked or 0) for s in stats}
        if live is not None:
            live.update(_table(label, pending, activity, started))
        busy = sum(pending.values()) + activity.in_flight
        idle = idle + 1 if busy == 0 else 0


async def run_sync(
    container: Container,
    plan: str,
    *,
    external_workers: bool = False,
    show_progress: bool = False,
    poll_s: float = 0.25,
    only: Sequence[str] = (),
) -> SyncReport:
    """Run a sync plan: each step queues, then the entity queues are followed to empty.

    `only` keeps the plan's steps with those labels (benchmarks time one step)."""
    steps = tuple(s for s in PLANS[plan] if not only or s.label in only)
    activity = _Activity()
    stop = asyncio.Event()
    workers: asyncio.Task[None] | None = None
    if not external_workers:
        routes = [activity.wrap(route) for route in ENTITY_ROUTES]
        workers = asyncio.create_task(run_routes(container, routes, stop), name="sync-workers")
    started = time.monotonic()
    done: list[tuple[str, object]] = []
    live = Live(console=Console(stderr=True), refresh_per_second=4) if show_progress else None
    try:
        if live is not None:
            live.start()
        for step in steps:
            outcome = await step.run(container)
            logger.info("sync %s: %s -> %s", plan, step.label, outcome)
            done.append((step.label, outcome))
            await _drain(
                container,
                activity,
                step.label,
                live,
                started,
                poll_s=poll_s,
            )
    finally:
        if live is not None:
            live.stop()
        stop.set()
        if workers is not None:
            await workers
    return SyncReport(done, dict(activity.handled), time.monotonic() - started)


def sync(
    what: Literal["alliances", "corporations", "characters", "all"],
    /,
    *,
    external_workers: Annotated[bool, Parameter(name="--external-workers")] = False,
) -> None:
    """Queue entities in dependency order and follow the queues to empty.

    Parameters
    ----------
    what
        alliances, corporations (alliance members, expired ones, ...), characters
        (affiliation refresh, then details that changed or expired), or all of them.
    external_workers
        Do not run workers here; only queue and watch (workers run elsewhere).
    """
    settings = start()

    async def main() -> SyncReport:
        async with container_module.build(settings) as container:
            return await run_sync(
                container, what, external_workers=external_workers, show_progress=True
            )

    report = asyncio.run(main())
    for label, outcome in report.steps:
        print(f"{label}: {outcome}")
    handled = ", ".join(f"{q}={n}" for q, n in sorted(report.handled.items())) or "none"
    print(f"messages handled: {handled}; {report.elapsed_s:.1f} s")


COMMANDS: Sequence[Any] = (sync,)
