"""Entity lookups for the read side: batched loaders by ids and keyset-paged member lists.

Every loader is one statement whatever the number of ids (DataLoaders call them once
per request and kind); unknown ids are simply absent from the answer. Names of
entities not fetched yet are None.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import (
    Alliance,
    Category,
    Character,
    Constellation,
    Corporation,
    Group,
    Region,
    SolarSystem,
    Type,
)

# One page limit and one pair of argument errors for every list the API pages.
from killreport.killmails.queries import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from killreport.killmails.queries import BadCursor as BadCursor
from killreport.killmails.queries import PageSizeError as PageSizeError
from killreport.universe.text import contains

Info = TypeVar("Info")


@dataclass(frozen=True, slots=True)
class CharacterInfo:
    """A character and its latest known affiliation."""

    id: int
    name: str | None
    corporation_id: int | None
    alliance_id: int | None
    faction_id: int | None
    security_status: float | None
    birthday: datetime | None


@dataclass(frozen=True, slots=True)
class CorporationInfo:
    """A corporation with its ceo, creator, alliance and member count."""

    id: int
    name: str | None
    ticker: str | None
    member_count: int | None
    ceo_id: int | None
    creator_id: int | None
    alliance_id: int | None
    faction_id: int | None
    date_founded: datetime | None


@dataclass(frozen=True, slots=True)
class AllianceInfo:
    """An alliance with its executor, creator and (daily computed) member counts."""

    id: int
    name: str | None
    ticker: str | None
    executor_corporation_id: int | None
    creator_id: int | None
    creator_corporation_id: int | None
    faction_id: int | None
    date_founded: datetime | None
    member_count: int | None
    corporation_count: int | None


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """An item type with its group and category."""

    id: int
    name: str | None
    group_id: int | None
    group_name: str | None
    category_id: int | None
    category_name: str | None


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """An item group with its category."""

    id: int
    name: str | None
    category_id: int | None
    category_name: str | None


@dataclass(frozen=True, slots=True)
class SolarSystemInfo:
    """A solar system with its true security, constellation and region."""

    id: int
    name: str | None
    security_status: float | None
    security_class: str | None
    constellation_id: int | None
    constellation_name: str | None
    region_id: int | None
    region_name: str | None


@dataclass(frozen=True, slots=True)
class ConstellationInfo:
    """A constellation with its region."""

    id: int
    name: str | None
    region_id: int | None
    region_name: str | None


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """A region."""

    id: int
    name: str | None


async def _load(
    session: AsyncSession,
    statement: Any,
    key: Any,
    ids: Iterable[int],
    build: Callable[..., Info],
) -> dict[int, Info]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(statement.where(key.in_(wanted)))
    return {int(row[0]): build(*row) for row in rows}


_CHARACTERS = select(
    Character.character_id,
    Character.name,
    Character.corporation_id,
    Character.alliance_id,
    Character.faction_id,
    Character.security_status,
    Character.birthday,
)
_CORPORATIONS = select(
    Corporation.corporation_id,
    Corporation.name,
    Corporation.ticker,
    Corporation.member_count,
    Corporation.ceo_id,
    Corporation.creator_id,
    Corporation.alliance_id,
    Corporation.faction_id,
    Corporation.date_founded,
)
_ALLIANCES = select(
    Alliance.alliance_id,
    Alliance.name,
    Alliance.ticker,
    Alliance.executor_corporation_id,
    Alliance.creator_id,
    Alliance.creator_corporation_id,
    Alliance.faction_id,
    Alliance.date_founded,
    Alliance.member_count,
    Alliance.corporation_count,
)
_TYPES = (
    select(Type.type_id, Type.name, Type.group_id, Group.name, Group.category_id, Category.name)
    .select_from(Type)
    .outerjoin(Group, Group.group_id == Type.group_id)
    .outerjoin(Category, Category.category_id == Group.category_id)
)
_GROUPS = (
    select(Group.group_id, Group.name, Group.category_id, Category.name)
    .select_from(Group)
    .outerjoin(Category, Category.category_id == Group.category_id)
)
_SYSTEMS = (
    select(
        SolarSystem.system_id,
        SolarSystem.name,
        SolarSystem.security_status,
        SolarSystem.security_class,
        SolarSystem.constellation_id,
        Constellation.name,
        Constellation.region_id,
        Region.name,
    )
    .select_from(SolarSystem)
    .outerjoin(Constellation, Constellation.constellation_id == SolarSystem.constellation_id)
    .outerjoin(Region, Region.region_id == Constellation.region_id)
)
_CONSTELLATIONS = (
    select(Constellation.constellation_id, Constellation.name, Constellation.region_id, Region.name)
    .select_from(Constellation)
    .outerjoin(Region, Region.region_id == Constellation.region_id)
)
_REGIONS = select(Region.region_id, Region.name)


async def load_characters(session: AsyncSession, ids: Iterable[int]) -> dict[int, CharacterInfo]:
    """Characters by id, in one statement."""
    return await _load(session, _CHARACTERS, Character.character_id, ids, CharacterInfo)


async def load_corporations(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, CorporationInfo]:
    """Corporations by id, in one statement."""
    return await _load(session, _CORPORATIONS, Corporation.corporation_id, ids, CorporationInfo)


async def load_alliances(session: AsyncSession, ids: Iterable[int]) -> dict[int, AllianceInfo]:
    """Alliances by id, in one statement."""
    return await _load(session, _ALLIANCES, Alliance.alliance_id, ids, AllianceInfo)


async def load_types(session: AsyncSession, ids: Iterable[int]) -> dict[int, TypeInfo]:
    """Item types by id with their group and category, in one statement."""
    return await _load(session, _TYPES, Type.type_id, ids, TypeInfo)


async def load_groups(session: AsyncSession, ids: Iterable[int]) -> dict[int, GroupInfo]:
    """Item groups by id with their category, in one statement."""
    return await _load(session, _GROUPS, Group.group_id, ids, GroupInfo)


async def load_solar_systems(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, SolarSystemInfo]:
    """Solar systems by id with their constellation and region, in one statement."""
    return await _load(session, _SYSTEMS, SolarSystem.system_id, ids, SolarSystemInfo)


async def load_constellations(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, ConstellationInfo]:
    """Constellations by id with their region, in one statement."""
    return await _load(
        session, _CONSTELLATIONS, Constellation.constellation_id, ids, ConstellationInfo
    )


async def load_regions(session: AsyncSession, ids: Iterable[int]) -> dict[int, RegionInfo]:
    """Regions by id, in one statement."""
    return await _load(session, _REGIONS, Region.region_id, ids, RegionInfo)


class MemberKind(StrEnum):
    """The entity lists that page (same values as stats' EntityKind)."""

    CHARACTER = "CHARACTER"
    CORPORATION = "CORPORATION"
    ALLIANCE = "ALLIANCE"


class MemberOrder(StrEnum):
    """Orders of an entity list; each has its keyset cursor."""

    NAME = "NAME"
    ID = "ID"
    MEMBER_COUNT_DESC = "MEMBER_COUNT_DESC"


@dataclass(frozen=True, slots=True)
class MemberList:
    """One row of the member-list table: the table's statement, key and filter columns."""

    statement: Any
    key: Any
    name_folded: Any
    member_count: Any | None
    alliance_id: Any | None
    corporation_id: Any | None
    build: Callable[..., Any]


MEMBER_LISTS: dict[MemberKind, MemberList] = {
    MemberKind.CHARACTER: MemberList(
        _CHARACTERS,
        Character.character_id,
        Character.name_folded,
        None,
        Character.alliance_id,
        Character.corporation_id,
        CharacterInfo,
    ),
    MemberKind.CORPORATION: MemberList(
        _CORPORATIONS,
        Corporation.corporation_id,
        Corporation.name_folded,
        Corporation.member_count,
        Corporation.alliance_id,
        None,
        CorporationInfo,
    ),
    MemberKind.ALLIANCE: MemberList(
        _ALLIANCES,
        Alliance.alliance_id,
        Alliance.name_folded,
        Alliance.member_count,
        None,
        None,
        AllianceInfo,
    ),
}


@dataclass(frozen=True, slots=True)
class EntityPage:
    """A page of an entity list and where the next one starts."""

    items: tuple[Any, ...]
    end_cursor: str | None
    has_next_page: bool


def _encode(order: MemberOrder, value: Any, entity_id: int) -> str:
    raw = json.dumps([order.value, value, entity_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(order: MemberOrder, cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, entity_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadCursor("cursor is not one this list gave out") from exc
    if name != order.value or not isinstance(entity_id, int):
        raise BadCursor(f"cursor is not one of order {order.value}")
    if order is MemberOrder.NAME and not isinstance(value, str):
        raise BadCursor("cursor name is not text")
    if order is MemberOrder.MEMBER_COUNT_DESC and not isinstance(value, int):
        raise BadCursor("cursor member count is not a number")
    return value, entity_id


def _sort_key(spec: MemberList, order: MemberOrder) -> tuple[Any, bool]:
    """(sort expression, descending) of an order; the id breaks ties ascending."""
    if order is MemberOrder.NAME:
        return func.coalesce(spec.name_folded, ""), False
    if order is MemberOrder.MEMBER_COUNT_DESC:
        if spec.member_count is None:
            raise ValueError("characters have no member count to order by")
        return func.coalesce(spec.member_count, 0), True
    return None, False


async def list_members(
    session: AsyncSession,
    kind: MemberKind | str,
    *,
    search: str | None = None,
    alliance_id: int | None = None,
    corporation_id: int | None = None,
    order: MemberOrder = MemberOrder.NAME,
    first: int = 25,
    after: str | None = None,
) -> EntityPage:
    """A keyset page of characters, corporations or alliances, filtered and ordered."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise PageSizeError(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    spec = MEMBER_LISTS[MemberKind(kind)]
    conditions: list[ColumnElement[bool]] = []
    for column, wanted, label in (
        (spec.alliance_id, alliance_id, "alliance_id"),
        (spec.corporation_id, corporation_id, "corporation_id"),
    ):
        if wanted is None:
            continue
        if column is None:
            raise ValueError(f"{kind} lists cannot be filtered by {label}")
        conditions.append(column == wanted)
    if search:
        conditions.append(contains(session, spec.name_folded, search))
    sort, descending = _sort_key(spec, order)
    if after is not None:
        value, last_id = _decode(order, after)
        if sort is None:
            conditions.append(spec.key > last_id)
        elif descending:
            conditions.append(or_(sort < value, and_(sort == value, spec.key > last_id)))
        else:
            conditions.append(tuple_(sort, spec.key) > tuple_(value, last_id))
    ordering = [spec.key] if sort is None else [sort.desc() if descending else sort, spec.key]
    statement = spec.statement.add_columns(sort if sort is not None else spec.key)
    rows = (
        await session.execute(statement.where(*conditions).order_by(*ordering).limit(first + 1))
    ).all()
    page = rows[:first]
    items = tuple(spec.build(*row[:-1]) for row in page)
    end_cursor = None
    if page:
        last = page[-1]
        end_cursor = _encode(order, last[-1], int(last[0]))
    return EntityPage(items=items, end_cursor=end_cursor, has_next_page=len(rows) > first)
