"""Entity producers, named after the seed's `queue:*` scripts; the CLI and scheduler call them.

Each only reads (the database or ESI's bulk routes) and publishes ids; the workers do
the fetching. `queue_characters()` without ids is the monthly refresh: 93k stored
characters cost 93 affiliation and 93 name POSTs, and details are queued only where
they changed; `queue_character_details()` refreshes the oldest details a few percent a day.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from killreport.bus.contracts import (
    ESI_ALLIANCE_CORPORATIONS_QUEUE,
    PRIORITY_DEFAULT,
    QUEUES,
    EntityIdsMessage,
)
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.esi.client import AFFILIATION_BATCH, EsiClient
from killreport.esi.errors import EsiNotFound
from killreport.universe import repository
from killreport.universe.repository import Affiliation
from killreport.universe.specs import ENTITY_SPECS, EntityKind, EntitySpec

logger = logging.getLogger(__name__)

# Ids per message: small enough that one message is a short unit of work to retry.
IDS_PER_MESSAGE = 100
# Stored ids read per transaction when a job walks a whole entity table.
ID_PAGE = 1000
# Pages of 1,000 characters whose bulk calls run at once in the monthly refresh.
PAGES_IN_FLIGHT = 4


def _now() -> datetime:
    return datetime.now(UTC)


async def publish_ids(
    bus: MessageBus,
    kind: EntityKind,
    ids: Iterable[int],
    *,
    queue: str | None = None,
    priority: int = PRIORITY_DEFAULT,
) -> int:
    """Publish ids of one kind to its info queue (or `queue`) in messages of 100; return ids."""
    target = queue or ENTITY_SPECS[kind].queue
    ordered = sorted(set(ids))
    if not ordered:
        return 0
    # Name the kind only where the queue carries several (groups, systems on the type queue).
    named = None if QUEUES[target].entity_kind == kind.value else kind.value
    messages = [
        EntityIdsMessage(ids=ordered[start : start + IDS_PER_MESSAGE], kind=named)
        for start in range(0, len(ordered), IDS_PER_MESSAGE)
    ]
    await bus.publish_many(target, messages, priority=priority)
    logger.info("queued %d %s ids on %s", len(ordered), kind, target)
    return len(ordered)


async def queue_entity(bus: MessageBus, kind: EntityKind, ids: Sequence[int]) -> int:
    """`queue entity KIND ID...`: fetch these entities (the seed's `orchestrator queue`)."""
    return await publish_ids(bus, kind, ids)


async def _stored_ids(database: Database, kind: EntityKind) -> list[int]:
    found: list[int] = []
    async for batch in _stored_id_pages(database, ENTITY_SPECS[kind], page=10_000):
        found.extend(batch)
    return found


async def queue_alliances(client: EsiClient, bus: MessageBus, database: Database) -> int:
    """`queue alliances`: every id from GET /alliances, plus stored ones it no longer lists
    (their 404 marks them closed)."""
    listed = set((await client.alliances()).value)
    stored = set(await _stored_ids(database, EntityKind.ALLIANCE))
    return await publish_ids(bus, EntityKind.ALLIANCE, listed | stored)


async def queue_expired(
    database: Database, bus: MessageBus, kind: EntityKind, now: datetime | None = None
) -> int:
    """Queue stored entities of a kind whose details expired (a 304 is all most will cost)."""
    spec = ENTITY_SPECS[kind]
    moment = now or _now()
    expired: set[int] = set()
    async for batch in _stored_id_pages(database, spec):
        async with database.reading() as session:
            expired |= await repository.expired_ids(session, spec, batch, moment)
    return await publish_ids(bus, kind, expired)


async def queue_alliance_corporations(database: Database, bus: MessageBus) -> int:
    """`queue alliance-corporations`: every stored open alliance, for member discovery."""
    spec = ENTITY_SPECS[EntityKind.ALLIANCE]
    total = 0
    async for batch in _stored_id_pages(database, spec):
        total += await publish_ids(
            bus, EntityKind.ALLIANCE, batch, queue=ESI_ALLIANCE_CORPORATIONS_QUEUE
        )
    return total


async def _stored_id_pages(
    database: Database, spec: EntitySpec, *, page: int = ID_PAGE
) -> AsyncIterator[list[int]]:
    """Stored ids of a kind in ascending pages, one short transaction per page."""
    after = -1
    while True:
        async with database.reading() as session:
            batch = await repository.next_ids(session, spec, after=after, limit=page)
        if not batch:
            return
        yield list(batch)
        after = batch[-1]


async def queue_character_corporations(database: Database, bus: MessageBus) -> int:
    """`queue character-corporations`: corporations stored characters belong to but missing."""
    async with database.reading() as session:
        missing = await repository.missing_character_corporations(session)
    return await publish_ids(bus, EntityKind.CORPORATION, missing)


@dataclass(frozen=True, slots=True)
class CharacterRefresh:
    """What the affiliation and name refresh found and queued."""

    checked: int = 0
    changed: int = 0
    renamed: int = 0
    queued: int = 0


async def _character_names(client: EsiClient, ids: Sequence[int]) -> dict[int, str]:
    """Names of characters by POST /universe/names; an id it cannot resolve is left out.

    ESI answers 404 for the whole call when one id is unknown, so such a call is split in
    halves until the unknown ids stand alone (a few extra calls per deleted character)."""
    try:
        return {row.id: row.name for row in await client.names(ids) if row.category == "character"}
    except EsiNotFound:
        if len(ids) == 1:
            return {}
    middle = len(ids) // 2
    first = await _character_names(client, ids[:middle])
    return first | await _character_names(client, ids[middle:])


async def queue_characters(
    database: Database,
    client: EsiClient,
    bus: MessageBus,
    ids: Sequence[int] = (),
    *,
    now: datetime | None = None,
) -> CharacterRefresh:
    """`queue characters [ID...]`: the given ids, or every stored one via the bulk routes.

    Without ids (the monthly refresh): stored characters are read 1,000 at a time (bounded
    memory); their corporation, alliance and faction (POST /characters/affiliation) and
    name (POST /universe/names) are fetched in one call each per batch and stored, and
    details are queued only for characters whose affiliation or name changed, or that ESI
    did not answer for (a 404 marks them deleted). Details that merely aged are refreshed
    by `queue_character_details`, a few percent a day, never as a monthly spike.
    """
    if ids:
        queued = await publish_ids(bus, EntityKind.CHARACTER, ids)
        return CharacterRefresh(queued=queued)
    spec = ENTITY_SPECS[EntityKind.CHARACTER]
    totals = {"checked": 0, "changed": 0, "renamed": 0, "queued": 0}
    # The bulk calls of a few pages overlap: a page waits mostly for ESI, not the database.
    room = asyncio.Semaphore(PAGES_IN_FLIGHT)

    async def refresh(batch: list[int]) -> None:
        try:
            answered, names = await asyncio.gather(
                client.affiliations(batch), _character_names(client, batch)
            )
            moment = now or _now()
            affiliations = [
                Affiliation(a.character_id, a.corporation_id, a.alliance_id, a.faction_id)
                for a in answered
            ]
            async with database.transaction() as session:
                changed = await repository.apply_affiliations(session, affiliations, moment)
                renamed = await repository.apply_character_names(session, names)
            # A character ESI did not answer for is fetched in detail (a 404 marks it deleted).
            unanswered = set(batch) - {a.character_id for a in affiliations}
            queued = await publish_ids(bus, EntityKind.CHARACTER, changed | renamed | unanswered)
            # Added after every await: the pages' tasks share these counters.
            totals["queued"] += queued
            totals["checked"] += len(batch)
            totals["changed"] += len(changed)
            totals["renamed"] += len(renamed)
        finally:
            room.release()

    try:
        async with asyncio.TaskGroup() as pages:
            async for batch in _stored_id_pages(database, spec, page=AFFILIATION_BATCH):
                await room.acquire()
                pages.create_task(refresh(batch))
    except ExceptionGroup as failed:
        # Callers handle the ESI and bus errors themselves, not a group of them.
        raise failed.exceptions[0] from failed
    result = CharacterRefresh(**totals)
    logger.info(
        "character refresh: %d checked, %d changed affiliation, %d renamed, %d queued",
        result.checked,
        result.changed,
        result.renamed,
        result.queued,
    )
    return result


# Share of stored characters whose expired details are refreshed per daily run: every
# character's title and security status are at most about a month old, at ~3 % of the
# requests a full detail refresh would cost each day.
DETAIL_SHARE_PER_DAY = 0.03


async def queue_character_details(
    database: Database,
    bus: MessageBus,
    now: datetime | None = None,
    share: float = DETAIL_SHARE_PER_DAY,
) -> int:
    """`queue character-details`: the longest-unrefreshed share of characters whose details
    expired (the rolling schedule; the monthly refresh keeps affiliation and name current)."""
    spec = ENTITY_SPECS[EntityKind.CHARACTER]
    moment = now or _now()
    async with database.reading() as session:
        total = (await repository.count_by_kind(session)).get(EntityKind.CHARACTER, 0)
        due = await repository.oldest_expired_ids(session, spec, moment, math.ceil(total * share))
    return await publish_ids(bus, EntityKind.CHARACTER, due)
