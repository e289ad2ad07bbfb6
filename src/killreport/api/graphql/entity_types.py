"""GraphQL entity types: characters, corporations, alliances, item types, groups, the map.

An entity object is built from its id alone; what it shows is loaded through the
request's DataLoaders (one statement per kind for a whole page). Every entity has
`killmails(...)` with itself fixed, `stats(window, at)` and `top(by, window, at, first)`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from killreport.api.graphql.entity_fields import (
    EntityStatsType,
    GrowthMetricsType,
    LazyConnection,
    SnapshotPointType,
    StatsWindowEnum,
    TopByEnum,
    TopEntryType,
    loader_of,
    now,
    top_entries,
    with_entity,
)
from killreport.api.graphql.errors import client_error
from killreport.api.graphql.inputs import (
    KillmailFilterInput,
    KillmailOrderEnum,
    SecuritySpaceEnum,
    to_filter,
)
from killreport.killmails.derive import displayed_security
from killreport.killmails.filters import KillmailOrder, security_space
from killreport.stats.entities import EntityKind
from killreport.stats.growth import growth_metrics, snapshots
from killreport.stats.summary import entity_stats
from killreport.stats.top import TopBy, top_list
from killreport.stats.windows import StatsWindow

DEFAULT_KILLMAILS = 25
DEFAULT_TOP = 10
DEFAULT_SNAPSHOT_DAYS = 30


async def _name(loading: Awaitable[Any]) -> str | None:
    found = await loading
    return found.name if found is not None else None


@strawberry.interface(description="Anything killmails can be listed, counted and ranked for.")
class Entity:
    id: strawberry.ID
    entity_id: strawberry.Private[int]

    def _kind(self) -> EntityKind:
        return KINDS[type(self)]

    async def _info(self, info: Info) -> Any:
        return await loader_of(info, self._kind()).load(self.entity_id)

    @strawberry.field(description="The entity's name (null until it is synced from ESI).")
    def name(self, info: Info) -> str | None:
        # The hottest field of a list page: a plain resolver reading the loader's cache
        # (filled by `prefetch_entities` for killmail pages); a coroutine only on a miss.
        loader = info.context.loaders.by_kind[KINDS[type(self)]]
        loaded = loader.cache_map.get(self.entity_id)
        if (
            loaded is not None
            and loaded.done()
            and not loaded.cancelled()
            and not loaded.exception()
        ):
            found = loaded.result()
            return found.name if found is not None else None
        return _name(loader.load(self.entity_id))  # type: ignore[return-value]

    @strawberry.field(description="Killmails with this entity on either side, or in this place.")
    async def killmails(
        self,
        info: Info,
        filter: KillmailFilterInput | None = None,
        order_by: KillmailOrderEnum = KillmailOrder.TIME_DESC,  # type: ignore[valid-type]
        first: int = DEFAULT_KILLMAILS,
        after: str | None = None,
    ) -> LazyConnection:
        from killreport.api.graphql.connection import killmail_connection

        killmail_filter = with_entity(self._kind(), self.entity_id, to_filter(filter))
        return await killmail_connection(
            info, killmail_filter, KillmailOrder(order_by), first, after
        )

    @strawberry.field(description="Kills, losses, ISK and points over a window.")
    async def stats(
        self,
        info: Info,
        window: StatsWindowEnum = StatsWindow.ALL_TIME,  # type: ignore[valid-type]
        at: date | None = None,
    ) -> EntityStatsType:
        async with info.context.session() as session:
            found = await entity_stats(
                session, self._kind(), self.entity_id, StatsWindow(window), at, now()
            )
        return EntityStatsType.of(found)

    @strawberry.field(description="The entity's top pilots, groups, ships, systems or targets.")
    async def top(
        self,
        info: Info,
        by: TopByEnum,  # type: ignore[valid-type]
        window: StatsWindowEnum = StatsWindow.LAST_7_DAYS,  # type: ignore[valid-type]
        at: date | None = None,
        first: int = DEFAULT_TOP,
    ) -> list[TopEntryType]:
        try:
            async with info.context.session() as session:
                entries = await top_list(
                    session, self._kind(), self.entity_id, TopBy(by), StatsWindow(window),
                    at, now(), first,
                )  # fmt: skip
        except ValueError as exc:
            raise client_error(str(exc)) from exc
        return await top_entries(info, entries, TopBy(by))


async def _snapshots(
    info: Info, kind: EntityKind, entity_id: int, days: int
) -> list[SnapshotPointType]:
    try:
        async with info.context.session() as session:
            points = await snapshots(session, kind, entity_id, days, now())
    except ValueError as exc:
        raise client_error(str(exc)) from exc
    return [
        SnapshotPointType(
            day=p.day, member_count=p.member_count, corporation_count=p.corporation_count
        )
        for p in points
    ]


async def _metrics(info: Info, kind: EntityKind, entity_id: int) -> GrowthMetricsType:
    async with info.context.session() as session:
        return GrowthMetricsType.of(await growth_metrics(session, kind, entity_id, now()))


def _field(found: Any, name: str) -> Any:
    return getattr(found, name) if found is not None else None


@strawberry.type(description="A pilot.")
class Character(Entity):
    @strawberry.field
    async def corporation(self, info: Info) -> Corporation | None:
        return corporation_ref(_field(await self._info(info), "corporation_id"))

    @strawberry.field
    async def alliance(self, info: Info) -> Alliance | None:
        return alliance_ref(_field(await self._info(info), "alliance_id"))

    @strawberry.field
    async def faction_id(self, info: Info) -> strawberry.ID | None:
        return _id(_field(await self._info(info), "faction_id"))

    @strawberry.field
    async def security_status(self, info: Info) -> float | None:
        return _field(await self._info(info), "security_status")  # type: ignore[no-any-return]

    @strawberry.field
    async def birthday(self, info: Info) -> datetime | None:
        return _field(await self._info(info), "birthday")  # type: ignore[no-any-return]


@strawberry.type(description="A corporation.")
class Corporation(Entity):
    @strawberry.field
    async def ticker(self, info: Info) -> str | None:
        return _field(await self._info(info), "ticker")  # type: ignore[no-any-return]

    @strawberry.field
    async def member_count(self, info: Info) -> int | None:
        return _field(await self._info(info), "member_count")  # type: ignore[no-any-return]

    @strawberry.field
    async def ceo(self, info: Info) -> Character | None:
        return character_ref(_field(await self._info(info), "ceo_id"))

    @strawberry.field
    async def creator(self, info: Info) -> Character | None:
        return character_ref(_field(await self._info(info), "creator_id"))

    @strawberry.field
    async def alliance(self, info: Info) -> Alliance | None:
        return alliance_ref(_field(await self._info(info), "alliance_id"))

    @strawberry.field
    async def faction_id(self, info: Info) -> strawberry.ID | None:
        return _id(_field(await self._info(info), "faction_id"))

    @strawberry.field
    async def date_founded(self, info: Info) -> datetime | None:
        return _field(await self._info(info), "date_founded")  # type: ignore[no-any-return]

    @strawberry.field(description="Daily member counts of the last `days` days, oldest first.")
    async def snapshots(
        self, info: Info, days: int = DEFAULT_SNAPSHOT_DAYS
    ) -> list[SnapshotPointType]:
        return await _snapshots(info, EntityKind.CORPORATION, self.entity_id, days)

    @strawberry.field(description="Member deltas and growth over 1, 7 and 30 days.")
    async def metrics(self, info: Info) -> GrowthMetricsType:
        return await _metrics(info, EntityKind.CORPORATION, self.entity_id)


@strawberry.type(description="An alliance.")
class Alliance(Entity):
    @strawberry.field
    async def ticker(self, info: Info) -> str | None:
        return _field(await self._info(info), "ticker")  # type: ignore[no-any-return]

    @strawberry.field
    async def executor(self, info: Info) -> Corporation | None:
        return corporation_ref(_field(await self._info(info), "executor_corporation_id"))

    @strawberry.field
    async def creator(self, info: Info) -> Character | None:
        return character_ref(_field(await self._info(info), "creator_id"))

    @strawberry.field
    async def creator_corporation(self, info: Info) -> Corporation | None:
        return corporation_ref(_field(await self._info(info), "creator_corporation_id"))

    @strawberry.field
    async def faction_id(self, info: Info) -> strawberry.ID | None:
        return _id(_field(await self._info(info), "faction_id"))

    @strawberry.field
    async def date_founded(self, info: Info) -> datetime | None:
        return _field(await self._info(info), "date_founded")  # type: ignore[no-any-return]

    @strawberry.field
    async def member_count(self, info: Info) -> int | None:
        return _field(await self._info(info), "member_count")  # type: ignore[no-any-return]

    @strawberry.field
    async def corporation_count(self, info: Info) -> int | None:
        return _field(await self._info(info), "corporation_count")  # type: ignore[no-any-return]

    @strawberry.field(description="Daily member and corporation counts, oldest first.")
    async def snapshots(
        self, info: Info, days: int = DEFAULT_SNAPSHOT_DAYS
    ) -> list[SnapshotPointType]:
        return await _snapshots(info, EntityKind.ALLIANCE, self.entity_id, days)

    @strawberry.field(description="Member deltas and growth over 1, 7 and 30 days.")
    async def metrics(self, info: Info) -> GrowthMetricsType:
        return await _metrics(info, EntityKind.ALLIANCE, self.entity_id)


@strawberry.type(description="An inventory category (e.g. Ship).")
class Category:
    id: strawberry.ID
    name: str | None


@strawberry.type(description="An inventory type: a ship, module, charge...")
class ItemType(Entity):
    @strawberry.field
    async def group(self, info: Info) -> Group | None:
        return group_ref(_field(await self._info(info), "group_id"))

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        found = await self._info(info)
        if found is None or found.category_id is None:
            return None
        return Category(id=strawberry.ID(str(found.category_id)), name=found.category_name)


@strawberry.type(description="An inventory group (e.g. Frigate).")
class Group(Entity):
    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        found = await self._info(info)
        if found is None or found.category_id is None:
            return None
        return Category(id=strawberry.ID(str(found.category_id)), name=found.category_name)


@strawberry.type(description="A solar system.")
class SolarSystem(Entity):
    @strawberry.field(description="True security status, unrounded.")
    async def security_status(self, info: Info) -> float | None:
        return _field(await self._info(info), "security_status")  # type: ignore[no-any-return]

    @strawberry.field(description="Security as EVE shows it (one decimal, EVE's rounding).")
    async def security(self, info: Info) -> float | None:
        true_security = _field(await self._info(info), "security_status")
        return None if true_security is None else displayed_security(true_security)

    @strawberry.field
    async def security_space(self, info: Info) -> SecuritySpaceEnum | None:  # type: ignore[valid-type]
        found = await self._info(info)
        if found is None or found.security_status is None:
            return None
        return security_space(
            self.entity_id, found.region_id, displayed_security(found.security_status)
        )

    @strawberry.field
    async def constellation(self, info: Info) -> Constellation | None:
        return constellation_ref(_field(await self._info(info), "constellation_id"))

    @strawberry.field
    async def region(self, info: Info) -> Region | None:
        return region_ref(_field(await self._info(info), "region_id"))


@strawberry.type(description="A constellation.")
class Constellation(Entity):
    @strawberry.field
    async def region(self, info: Info) -> Region | None:
        return region_ref(_field(await self._info(info), "region_id"))


@strawberry.type(description="A region.")
class Region(Entity):
    pass


KINDS: dict[type, EntityKind] = {
    Character: EntityKind.CHARACTER,
    Corporation: EntityKind.CORPORATION,
    Alliance: EntityKind.ALLIANCE,
    ItemType: EntityKind.SHIP_TYPE,
    Group: EntityKind.GROUP,
    SolarSystem: EntityKind.SOLAR_SYSTEM,
    Constellation: EntityKind.CONSTELLATION,
    Region: EntityKind.REGION,
}
TYPES: dict[EntityKind, type[Entity]] = {kind: cls for cls, kind in KINDS.items()}


def _id(value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def entity_ref(kind: EntityKind, entity_id: int) -> Entity:
    """The GraphQL object of an entity id of a kind."""
    return TYPES[kind](id=strawberry.ID(str(entity_id)), entity_id=entity_id)


def character_ref(entity_id: int | None) -> Character | None:
    """The Character of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Character(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def corporation_ref(entity_id: int | None) -> Corporation | None:
    """The Corporation of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Corporation(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def alliance_ref(entity_id: int | None) -> Alliance | None:
    """The Alliance of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Alliance(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def item_type_ref(entity_id: int) -> ItemType:
    """The ItemType of an id."""
    return ItemType(id=strawberry.ID(str(entity_id)), entity_id=entity_id)


def group_ref(entity_id: int | None) -> Group | None:
    """The Group of an id (None for no id)."""
    return (
        None if entity_id is None else Group(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def solar_system_ref(entity_id: int) -> SolarSystem:
    """The SolarSystem of an id."""
    return SolarSystem(id=strawberry.ID(str(entity_id)), entity_id=entity_id)


def constellation_ref(entity_id: int | None) -> Constellation | None:
    """The Constellation of an id (None for no id)."""
    return (
        None
        if entity_id is None
        else Constellation(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )


def region_ref(entity_id: int | None) -> Region | None:
    """The Region of an id (None for no id)."""
    return (
        None if entity_id is None else Region(id=strawberry.ID(str(entity_id)), entity_id=entity_id)
    )
