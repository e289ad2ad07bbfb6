"""Send entity ids that killmails reference but the entity tables lack to the info queues.

`MissingPublisher` is what every ingest entrypoint uses after a batch commits;
`scan_entities` is the seed's scan:entities over everything stored.

A publisher lives as long as the feed follower, so what it remembers is bounded: ids
sent within `ttl_s`, at most `max_ids` per kind. After that an id still missing is sent
again, which also re-queues entities whose earlier message was dead-lettered.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Column, exists, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from killreport.bus.contracts import (
    MAX_IDS_PER_MESSAGE,
    QUEUES,
    EntityIdsMessage,
    EntityKind,
)
from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.db.tables import Attacker, Item, Killmail
from killreport.killmails.models import MissingEntities
from killreport.killmails.repository import ENTITY_KINDS
from killreport.universe.specs import ENTITY_SPECS
from killreport.universe.specs import EntityKind as UniverseKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InfoRoute:
    """Where ids of one entity kind go: a queue, and the message's `kind` when it is shared."""

    queue: str
    kind: EntityKind | None = None


# Entity kind -> info queue, from universe.specs; the message names its kind only where
# the queue's own kind differs (solar systems ride on the type queue, DESIGN §5).
INFO_ROUTES: dict[str, InfoRoute] = {
    kind.name: InfoRoute(
        queue=ENTITY_SPECS[UniverseKind(kind.name)].queue,
        kind=None
        if QUEUES[ENTITY_SPECS[UniverseKind(kind.name)].queue].entity_kind == kind.name
        else cast(EntityKind, kind.name),
    )
    for kind in ENTITY_KINDS
}

# Entity kind -> the killmail columns that reference it.
REFERENCES: dict[str, tuple[ColumnElement[int] | Column[int], ...]] = {
    "character": (Killmail.victim_character_id, Attacker.character_id),  # type: ignore[dict-item]
    "corporation": (Killmail.victim_corporation_id, Attacker.corporation_id),  # type: ignore[dict-item]
    "alliance": (Killmail.victim_alliance_id, Attacker.alliance_id),  # type: ignore[dict-item]
    "type": (  # type: ignore[dict-item]
        Killmail.victim_ship_type_id,
        Attacker.ship_type_id,
        Attacker.weapon_type_id,
        Item.item_type_id,
    ),
    "solar_system": (Killmail.solar_system_id,),  # type: ignore[dict-item]
}


# Remember sent ids this long and this many per kind (about 1 MB per kind at most).
RECENT_TTL_S = 600.0
RECENT_MAX_IDS = 20_000


class RecentIds:
    """Ids seen within `ttl_s`, at most `max_ids` of them (the oldest are forgotten first)."""

    def __init__(
        self,
        *,
        ttl_s: float = RECENT_TTL_S,
        max_ids: int = RECENT_MAX_IDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_ids = max_ids
        self._clock = clock
        self._seen: OrderedDict[int, float] = OrderedDict()  # id -> when, oldest first

    def __len__(self) -> int:
        return len(self._seen)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._seen

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.ttl_s and len(self._seen) <= self.max_ids:
                return
            del self._seen[oldest]

    def fresh(self, ids: Iterable[int]) -> list[int]:
        """The ids not seen recently, sorted."""
        self._expire(self._clock())
        return sorted(set(ids).difference(self._seen))

    def add(self, ids: Iterable[int]) -> None:
        """Remember ids as seen now."""
        now = self._clock()
        for entity_id in ids:
            self._seen[entity_id] = now
            self._seen.move_to_end(entity_id)
        self._expire(now)


class MissingPublisher:
    """Publishes missing ids in messages of up to 1,000, skipping ids it sent recently."""

    def __init__(
        self,
        bus: MessageBus,
        *,
        ttl_s: float = RECENT_TTL_S,
        max_ids: int = RECENT_MAX_IDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bus = bus
        self._recent = {
            kind: RecentIds(ttl_s=ttl_s, max_ids=max_ids, clock=clock) for kind in INFO_ROUTES
        }
        self._staged: dict[str, list[int]] = {}

    def remembered(self, kind: str) -> int:
        """How many ids of a kind this publisher remembers now."""
        return len(self._recent[kind])

    async def publish_ids(
        self, kind: str, ids: Iterable[int], *, session: AsyncSession | None = None
    ) -> int:
        """Publish the ids of one kind not sent recently; returns how many were sent.

        With `session` they go out in its transaction and count as sent only once the
        caller reports the commit (`committed()`): a rollback must not suppress them.
        """
        route = INFO_ROUTES[kind]
        recent = self._recent[kind]
        fresh = recent.fresh(ids)
        if not fresh:
            return 0
        messages = [
            EntityIdsMessage(ids=fresh[i : i + MAX_IDS_PER_MESSAGE], kind=route.kind)
            for i in range(0, len(fresh), MAX_IDS_PER_MESSAGE)
        ]
        if session is None:
            await self._bus.publish_many(route.queue, messages)
            recent.add(fresh)
        else:
            await self._bus.publish_in(session, route.queue, messages)
            self._staged.setdefault(kind, []).extend(fresh)
        logger.info("queued %d missing %s ids on %s", len(fresh), kind, route.queue)
        return len(fresh)

    async def publish_in(self, session: AsyncSession, missing: MissingEntities) -> int:
        """Publish a batch's missing entities in its own transaction (one call per transaction)."""
        self._staged.clear()  # what an earlier, rolled-back transaction staged
        total = 0
        for kind, ids in missing.ids.items():
            total += await self.publish_ids(kind, ids, session=session)
        return total

    def committed(self) -> None:
        """The transaction of the last `publish_in` committed: remember its ids as sent."""
        for kind, ids in self._staged.items():
            self._recent[kind].add(ids)
        self._staged.clear()

    async def publish(self, missing: MissingEntities) -> int:
        """Publish every kind of a batch's missing entities."""
        total = 0
        for kind, ids in missing.ids.items():
            total += await self.publish_ids(kind, ids)
        return total


async def scan_entities(database: Database, bus: MessageBus) -> dict[str, int]:
    """Queue every referenced-but-missing entity id; returns the count per kind."""
    publisher = MissingPublisher(bus)
    counts: dict[str, int] = {}
    for kind in ENTITY_KINDS:
        key = kind.table.c[kind.key]
        selects = [
            select(column.label("entity_id"))
            .where(column.is_not(None))
            .where(~exists().where(key == column))
            .distinct()
            for column in REFERENCES[kind.name]
        ]
        query = union(*selects) if len(selects) > 1 else selects[0]
        async with database.reading() as session:
            rows = await session.stream(query)
            ids = [entity_id async for (entity_id,) in rows]
        counts[kind.name] = await publisher.publish_ids(kind.name, ids)
    return counts
