"""`killreport queue ...`: the seed's `queue:*` producers, one sub-command each (a table:
add a producer with one `@app.command`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from cyclopts import App

from killreport import container as container_module
from killreport.bus.contracts import (
    PRIORITY_MANUAL,
    ZKILLBOARD_CHARACTER_QUEUE,
    ZkillboardCharacterMessage,
)
from killreport.cli.context import start
from killreport.container import Container
from killreport.jobs import entities, user_killmails
from killreport.universe.specs import EntityKind, spec_for

app = App(name="queue", help="Queue work for the workers (the seed's `yarn queue:*` scripts).")

T = TypeVar("T")


def _run(work: Callable[[Container], Awaitable[T]]) -> T:
    settings = start()

    async def main() -> T:
        async with container_module.build(settings) as container:
            return await work(container)

    return asyncio.run(main())


@app.command
def alliances() -> None:
    """Every alliance id from ESI GET /alliances -> esi_alliance_info_queue."""
    count = _run(lambda c: entities.queue_alliances(c.esi, c.bus, c.database))
    print(f"queued {count} alliances")


@app.command(name="alliance-corporations")
def alliance_corporations() -> None:
    """Every stored alliance -> esi_alliance_corporations_queue (member discovery)."""
    count = _run(lambda c: entities.queue_alliance_corporations(c.database, c.bus))
    print(f"queued {count} alliances for corporation discovery")


@app.command
def characters(*ids: int) -> None:
    """The given characters, or every stored one through the affiliation refresh.

    Parameters
    ----------
    ids
        Character ids; none = affiliation and name of every stored character (1,000 per
        POST each), then details only where the affiliation or the name changed.
    """
    result = _run(
        lambda c: entities.queue_characters(
            c.database, c.esi, c.bus, ids, now=c.esi.transport.clock()
        )
    )
    print(
        f"checked {result.checked}, changed {result.changed}, renamed {result.renamed}, "
        f"queued {result.queued} characters"
    )


@app.command(name="character-details")
def character_details() -> None:
    """The oldest 3 % of characters whose details expired (the daily rolling refresh)."""
    count = _run(
        lambda c: entities.queue_character_details(c.database, c.bus, c.esi.transport.clock())
    )
    print(f"queued {count} characters for a detail refresh")


@app.command(name="character-corporations")
def character_corporations() -> None:
    """Corporations stored characters belong to but that are missing."""
    count = _run(lambda c: entities.queue_character_corporations(c.database, c.bus))
    print(f"queued {count} missing corporations")


@app.command
def entity(kind: str, *ids: int) -> None:
    """Queue entities of any kind by id (the seed's `orchestrator queue alliance 123`).

    Parameters
    ----------
    kind
        alliance, corporation, character, type, group, category, solar_system,
        constellation or region.
    ids
        Entity ids.
    """
    spec = spec_for(kind)
    if not ids:
        raise SystemExit("killreport queue entity: give at least one id")
    count = _run(lambda c: entities.queue_entity(c.bus, EntityKind(spec.kind), ids))
    print(f"queued {count} {spec.kind} ids on {spec.queue}")


@app.command
def zkillboard(*ids: int) -> None:
    """Characters' killmail history from the zKillboard API -> zkillboard_character_queue.

    Parameters
    ----------
    ids
        Character ids.
    """
    if not ids:
        raise SystemExit("killreport queue zkillboard: give at least one character id")
    messages = [ZkillboardCharacterMessage(character_id=i) for i in dict.fromkeys(ids)]
    count = _run(
        lambda c: c.bus.publish_many(ZKILLBOARD_CHARACTER_QUEUE, messages, PRIORITY_MANUAL)
    )
    print(f"queued {count} characters on {ZKILLBOARD_CHARACTER_QUEUE}")


@app.command(name="user-killmails")
def user_killmails_(*ids: int, force: bool = False, full: bool = False) -> None:
    """Logged-in pilots' own ESI killmails -> esi_user_killmails_queue (priority 5).

    Parameters
    ----------
    ids
        Character ids; none = every character with a live login.
    force
        Ignore the last sync time: queue everyone (not only those unsynced for 15 minutes).
    full
        No incremental stop: read every page of each character's killmails.
    """
    print("Queueing users for ESI killmail sync...\n")
    summary = _run(
        lambda c: user_killmails.queue_syncs(
            c.database,
            c.bus,
            c.esi.transport.clock(),
            priority=PRIORITY_MANUAL,
            force=force,
            full=full,
            character_ids=ids,
        )
    )
    if not summary.queued:
        print("Queue is empty. No characters queued for killmail sync.")
        return
    print(f"Found {summary.count} character(s) with a live login")
    print("Adding to queue: esi_user_killmails_queue\n")
    for queued in summary.queued:
        candidate = queued.candidate
        print(f"  Queued: {candidate.name} (ID: {candidate.character_id}) [{queued.mode}]")
    print(f"\nSuccessfully queued {summary.count} character(s)!")
    print("\nNow run the worker to process them:\n   killreport worker user-killmails")
