"""Fields every entity has (killmails, stats, top lists), their types, and their enums."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from killreport.api.graphql.errors import client_error
from killreport.api.graphql.prefetch import wanted_fields
from killreport.killmails.filters import KillmailFilter
from killreport.stats.entities import EntityKind, entity_filter
from killreport.stats.growth import GrowthMetrics
from killreport.stats.leaderboard import LeaderboardBy
from killreport.stats.summary import EntityStats
from killreport.stats.top import TopBy, TopEntry
from killreport.stats.windows import StatsWindow
from killreport.universe.search import SearchKind

if TYPE_CHECKING:
    from killreport.api.graphql.connection import KillmailConnection

StatsWindowEnum = strawberry.enum(StatsWindow, name="StatsWindow")
TopByEnum = strawberry.enum(TopBy, name="TopBy")
LeaderboardByEnum = strawberry.enum(LeaderboardBy, name="LeaderboardBy")
EntityKindEnum = strawberry.enum(EntityKind, name="EntityKind")
SearchKindEnum = strawberry.enum(SearchKind, name="SearchKind")

LazyConnection = Annotated[
    "KillmailConnection", strawberry.lazy("killreport.api.graphql.connection")
]

# Which kind of entity a top-list or leaderboard entry names.
TOP_ENTRY_KINDS: dict[str, EntityKind] = {
    TopBy.PILOTS: EntityKind.CHARACTER,
    TopBy.CORPORATIONS: EntityKind.CORPORATION,
    TopBy.ALLIANCES: EntityKind.ALLIANCE,
    TopBy.SHIPS: EntityKind.SHIP_TYPE,
    TopBy.SYSTEMS: EntityKind.SOLAR_SYSTEM,
    TopBy.TARGET_ALLIANCES: EntityKind.ALLIANCE,
    TopBy.TARGET_CORPORATIONS: EntityKind.CORPORATION,
    TopBy.TARGET_SHIPS: EntityKind.SHIP_TYPE,
    LeaderboardBy.VICTIM_SHIPS: EntityKind.SHIP_TYPE,
    LeaderboardBy.ATTACKER_SHIPS: EntityKind.SHIP_TYPE,
}


def now() -> datetime:
    """The request's clock (UTC)."""
    return datetime.now(UTC)


def loader_of(info: Info, kind: EntityKind) -> Any:
    """The request's DataLoader of an entity kind."""
    return info.context.loaders.by_kind[kind]


def with_entity(kind: EntityKind, entity_id: int, given: KillmailFilter) -> KillmailFilter:
    """The given filter with the entity fixed; a field both set is a client error."""
    fixed = entity_filter(kind, entity_id)
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(KillmailFilter):
        mine = getattr(fixed, field.name)
        if mine in (None, ()):
            continue
        if getattr(given, field.name) not in (None, ()):
            raise client_error(
                f"filter.{field.name} is fixed by this {kind.lower()}; "
                "use the top-level killmails query to combine it"
            )
        changes[field.name] = mine
    return dataclasses.replace(given, **changes)


@strawberry.type(name="EntityStats", description="Kills and losses over a window (UTC).")
class EntityStatsType:
    kills: int
    losses: int
    isk_destroyed: float
    isk_lost: float
    isk_efficiency: float | None = strawberry.field(
        description="ISK destroyed / (destroyed + lost), 0..1; null when both are 0."
    )
    solo_kills: int
    points: int

    @classmethod
    def of(cls, stats: EntityStats) -> EntityStatsType:
        """From the read layer's EntityStats."""
        return cls(**dataclasses.asdict(stats))


@strawberry.type(name="TopEntry", description="One row of a top list or leaderboard.")
class TopEntryType:
    id: strawberry.ID
    kind: EntityKindEnum  # type: ignore[valid-type]
    kills: int
    isk: float

    @strawberry.field(description="The entity's name (null until it is synced).")
    def name(self, info: Info) -> str | None:
        # Read from the loader's cache (filled by `top_entries`); a coroutine only on a miss.
        loader = loader_of(info, EntityKind(self.kind))
        loaded = loader.cache_map.get(int(self.id))
        if (
            loaded is not None
            and loaded.done()
            and not loaded.cancelled()
            and not loaded.exception()
        ):
            found = loaded.result()
            return found.name if found is not None else None
        return _name(loader.load(int(self.id)))  # type: ignore[return-value]


async def _name(loading: Awaitable[Any]) -> str | None:
    found = await loading
    return found.name if found is not None else None


async def top_entries(info: Info, entries: list[TopEntry], by: str) -> list[TopEntryType]:
    """GraphQL rows of a top list grouped `by`, their names loaded in one batch if asked."""
    kind = TOP_ENTRY_KINDS[by]
    if entries and "name" in wanted_fields(info):
        await loader_of(info, kind).load_many([e.id for e in entries])
    return [
        TopEntryType(id=strawberry.ID(str(e.id)), kind=kind, kills=e.kills, isk=e.isk)
        for e in entries
    ]


@strawberry.type(name="SnapshotPoint", description="Members on one UTC day.")
class SnapshotPointType:
    day: date
    member_count: int | None
    corporation_count: int | None


@strawberry.type(name="GrowthMetrics", description="Members now and their change, from snapshots.")
class GrowthMetricsType:
    day: date | None
    member_count: int | None
    corporation_count: int | None
    member_delta_1d: int | None
    member_delta_7d: int | None
    member_delta_30d: int | None
    member_growth_1d_pct: float | None
    member_growth_7d_pct: float | None
    member_growth_30d_pct: float | None

    @classmethod
    def of(cls, metrics: GrowthMetrics) -> GrowthMetricsType:
        """From the read layer's GrowthMetrics."""
        return cls(**dataclasses.asdict(metrics))
