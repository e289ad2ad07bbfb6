"""Query fields of entities: each kind by id, member lists, leaderboards, search."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from killreport.api.graphql.connection import PageInfo
from killreport.api.graphql.entity_fields import (
    EntityKindEnum,
    LeaderboardByEnum,
    SearchKindEnum,
    StatsWindowEnum,
    TopEntryType,
    loader_of,
    now,
    top_entries,
)
from killreport.api.graphql.entity_types import (
    Alliance,
    Character,
    Constellation,
    Corporation,
    Entity,
    Group,
    ItemType,
    Region,
    SolarSystem,
    entity_ref,
)
from killreport.api.graphql.errors import PAGE_SIZE_TOO_LARGE, client_error
from killreport.api.graphql.inputs import parse_id
from killreport.killmails.queries import BadCursor, PageSizeError
from killreport.stats.entities import LOCATION_KINDS, EntityKind
from killreport.stats.leaderboard import LeaderboardBy, leaderboard
from killreport.stats.windows import StatsWindow
from killreport.universe.lookups import EntityPage, MemberKind, MemberOrder, list_members
from killreport.universe.search import SearchKind, search

MemberOrderEnum = strawberry.enum(MemberOrder, name="MemberOrder")
DEFAULT_MEMBERS = 25
DEFAULT_BOARD = 10
DEFAULT_SEARCH = 10


@strawberry.input(description="A system, constellation or region.")
class LocationInput:
    kind: EntityKindEnum  # type: ignore[valid-type]
    id: strawberry.ID


@strawberry.type(name="SearchHit", description="A search result.")
class SearchHitType:
    kind: SearchKindEnum  # type: ignore[valid-type]
    id: strawberry.ID
    name: str | None
    ticker: str | None


@strawberry.type
class CharacterConnection:
    nodes: list[Character]
    page_info: PageInfo


@strawberry.type
class CorporationConnection:
    nodes: list[Corporation]
    page_info: PageInfo


@strawberry.type
class AllianceConnection:
    nodes: list[Alliance]
    page_info: PageInfo


async def _by_id(info: Info, kind: EntityKind, value: strawberry.ID) -> Entity | None:
    entity_id = parse_id(value)
    found = await loader_of(info, kind).load(entity_id)
    return entity_ref(kind, entity_id) if found is not None else None


async def _members(
    info: Info,
    kind: MemberKind,
    search_text: str | None,
    alliance_id: strawberry.ID | None,
    corporation_id: strawberry.ID | None,
    order: MemberOrder,
    first: int,
    after: str | None,
) -> tuple[list[Entity], PageInfo]:
    entity_kind = EntityKind(kind.value)
    try:
        async with info.context.session() as session:
            page: EntityPage = await list_members(
                session,
                kind,
                search=search_text,
                alliance_id=parse_id(alliance_id, "allianceId") if alliance_id else None,
                corporation_id=parse_id(corporation_id, "corporationId")
                if corporation_id
                else None,
                order=MemberOrder(order),
                first=first,
                after=after,
            )
    except PageSizeError as exc:
        raise client_error(str(exc), PAGE_SIZE_TOO_LARGE) from exc
    except (BadCursor, ValueError) as exc:
        raise client_error(str(exc)) from exc
    loader = loader_of(info, entity_kind)
    nodes = []
    for item in page.items:
        loader.prime(item.id, item)
        nodes.append(entity_ref(entity_kind, item.id))
    return nodes, PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=after is not None,
        start_cursor=None,
        end_cursor=page.end_cursor,
    )


@strawberry.type
class EntityQuery:
    @strawberry.field
    async def character(self, info: Info, id: strawberry.ID) -> Character | None:
        return await _by_id(info, EntityKind.CHARACTER, id)  # type: ignore[return-value]

    @strawberry.field
    async def corporation(self, info: Info, id: strawberry.ID) -> Corporation | None:
        return await _by_id(info, EntityKind.CORPORATION, id)  # type: ignore[return-value]

    @strawberry.field
    async def alliance(self, info: Info, id: strawberry.ID) -> Alliance | None:
        return await _by_id(info, EntityKind.ALLIANCE, id)  # type: ignore[return-value]

    @strawberry.field
    async def item_type(self, info: Info, id: strawberry.ID) -> ItemType | None:
        return await _by_id(info, EntityKind.SHIP_TYPE, id)  # type: ignore[return-value]

    @strawberry.field
    async def group(self, info: Info, id: strawberry.ID) -> Group | None:
        return await _by_id(info, EntityKind.GROUP, id)  # type: ignore[return-value]

    @strawberry.field
    async def solar_system(self, info: Info, id: strawberry.ID) -> SolarSystem | None:
        return await _by_id(info, EntityKind.SOLAR_SYSTEM, id)  # type: ignore[return-value]

    @strawberry.field
    async def constellation(self, info: Info, id: strawberry.ID) -> Constellation | None:
        return await _by_id(info, EntityKind.CONSTELLATION, id)  # type: ignore[return-value]

    @strawberry.field
    async def region(self, info: Info, id: strawberry.ID) -> Region | None:
        return await _by_id(info, EntityKind.REGION, id)  # type: ignore[return-value]

    @strawberry.field(description="Characters by name, optionally of one corporation or alliance.")
    async def characters(
        self,
        info: Info,
        search: str | None = None,
        alliance_id: strawberry.ID | None = None,
        corporation_id: strawberry.ID | None = None,
        order_by: MemberOrderEnum = MemberOrder.NAME,  # type: ignore[valid-type]
        first: int = DEFAULT_MEMBERS,
        after: str | None = None,
    ) -> CharacterConnection:
        nodes, page_info = await _members(
            info, MemberKind.CHARACTER, search, alliance_id, corporation_id, order_by, first, after
        )
        return CharacterConnection(nodes=nodes, page_info=page_info)  # type: ignore[arg-type]

    @strawberry.field(description="Corporations by name, optionally of one alliance.")
    async def corporations(
        self,
        info: Info,
        search: str | None = None,
        alliance_id: strawberry.ID | None = None,
        order_by: MemberOrderEnum = MemberOrder.NAME,  # type: ignore[valid-type]
        first: int = DEFAULT_MEMBERS,
        after: str | None = None,
    ) -> CorporationConnection:
        nodes, page_info = await _members(
            info, MemberKind.CORPORATION, search, alliance_id, None, order_by, first, after
        )
        return CorporationConnection(nodes=nodes, page_info=page_info)  # type: ignore[arg-type]

    @strawberry.field(description="Alliances by name.")
    async def alliances(
        self,
        info: Info,
        search: str | None = None,
        order_by: MemberOrderEnum = MemberOrder.NAME,  # type: ignore[valid-type]
        first: int = DEFAULT_MEMBERS,
        after: str | None = None,
    ) -> AllianceConnection:
        nodes, page_info = await _members(
            info, MemberKind.ALLIANCE, search, None, None, order_by, first, after
        )
        return AllianceConnection(nodes=nodes, page_info=page_info)  # type: ignore[arg-type]

    @strawberry.field(description="Pilots, groups or ships by kills; NPCs and factions excluded.")
    async def leaderboard(
        self,
        info: Info,
        by: LeaderboardByEnum,  # type: ignore[valid-type]
        window: StatsWindowEnum = StatsWindow.WEEK,  # type: ignore[valid-type]
        at: date | None = None,
        location: LocationInput | None = None,
        first: int = DEFAULT_BOARD,
    ) -> list[TopEntryType]:
        place = None
        if location is not None:
            kind = EntityKind(location.kind)
            if kind not in LOCATION_KINDS:
                raise client_error("location.kind must be SOLAR_SYSTEM, CONSTELLATION or REGION")
            place = (kind, parse_id(location.id, "location.id"))
        try:
            async with info.context.session() as session:
                entries = await leaderboard(
                    session, LeaderboardBy(by), StatsWindow(window), at, now(), place, first
                )
        except ValueError as exc:
            raise client_error(str(exc)) from exc
        return await top_entries(info, entries, LeaderboardBy(by))

    @strawberry.field(description="Exact, then prefix, then substring matches; ships first.")
    async def search(
        self,
        info: Info,
        text: str,
        kinds: list[SearchKindEnum] | None = None,  # type: ignore[valid-type]
        first: int = DEFAULT_SEARCH,
    ) -> list[SearchHitType]:
        wanted = tuple(SearchKind(k) for k in kinds) if kinds else None
        try:
            async with info.context.session() as session:
                hits = await search(session, text, wanted, first)
        except ValueError as exc:
            raise client_error(str(exc)) from exc
        return [
            SearchHitType(kind=h.kind, id=strawberry.ID(str(h.id)), name=h.name, ticker=h.ticker)
            for h in hits
        ]
