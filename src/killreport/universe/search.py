"""Search by name (and ticker) across entity kinds: exact, then prefix, then substring.

One table, `TARGETS`, says for every kind where its folded names live; the same two
statements per kind run for all of them: exact and prefix matches first (ships first
among item types), substrings only when those leave room. Matching is case-insensitive
and served by the folded-name indexes of revision 0002 on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, case, literal, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import (
    Alliance,
    Character,
    Constellation,
    Corporation,
    Group,
    Region,
    SolarSystem,
    Type,
)
from killreport.universe.text import contains, equals, starts_with

SHIP_CATEGORY_ID = 6
MAX_RESULTS = 100
MAX_TEXT_LENGTH = 100


class SearchKind(StrEnum):
    """The kinds of entity search finds."""

    CHARACTER = "CHARACTER"
    CORPORATION = "CORPORATION"
    ALLIANCE = "ALLIANCE"
    ITEM_TYPE = "ITEM_TYPE"
    SOLAR_SYSTEM = "SOLAR_SYSTEM"
    CONSTELLATION = "CONSTELLATION"
    REGION = "REGION"


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One entity found: its kind, id, name and (corporations, alliances) ticker."""

    kind: SearchKind
    id: int
    name: str | None
    ticker: str | None


@dataclass(frozen=True, slots=True)
class Target:
    """Where one kind's names live; `ships_first` ranks ships above other item types."""

    table: Any
    key: Any
    name: Any
    name_folded: Any
    ticker: Any | None = None
    ticker_folded: Any | None = None
    ships_first: bool = False


TARGETS: dict[SearchKind, Target] = {
    SearchKind.CHARACTER: Target(
        Character, Character.character_id, Character.name, Character.name_folded
    ),
    SearchKind.CORPORATION: Target(
        Corporation,
        Corporation.corporation_id,
        Corporation.name,
        Corporation.name_folded,
        Corporation.ticker,
        Corporation.ticker_folded,
    ),
    SearchKind.ALLIANCE: Target(
        Alliance,
        Alliance.alliance_id,
        Alliance.name,
        Alliance.name_folded,
        Alliance.ticker,
        Alliance.ticker_folded,
    ),
    SearchKind.ITEM_TYPE: Target(Type, Type.type_id, Type.name, Type.name_folded, ships_first=True),
    SearchKind.SOLAR_SYSTEM: Target(
        SolarSystem, SolarSystem.system_id, SolarSystem.name, SolarSystem.name_folded
    ),
    SearchKind.CONSTELLATION: Target(
        Constellation, Constellation.constellation_id, Constellation.name, Constellation.name_folded
    ),
    SearchKind.REGION: Target(Region, Region.region_id, Region.name, Region.name_folded),
}

# Ranks of a match: the name or ticker is the text, starts with it, or holds it.
EXACT, PREFIX, SUBSTRING = 0, 1, 2


def _columns(target: Target) -> list[Any]:
    return [target.name_folded] + (
        [target.ticker_folded] if target.ticker_folded is not None else []
    )


def _statement(
    session: AsyncSession, target: Target, text: str, substring: bool, limit: int
) -> Any:
    columns = _columns(target)
    prefix = or_(*(starts_with(session, column, text) for column in columns))
    if substring:
        condition: ColumnElement[bool] = contains(session, target.name_folded, text) & not_(prefix)
        rank: Any = literal(SUBSTRING)
    else:
        condition = prefix
        rank = case(
            (or_(*(equals(session, column, text) for column in columns)), EXACT),
            else_=PREFIX,
        )
    ticker = target.ticker if target.ticker is not None else literal(None)
    statement = select(rank.label("rank"), target.key, target.name, ticker).where(condition)
    ordering: list[Any] = [rank]
    if target.ships_first:
        statement = statement.outerjoin(Group, Group.group_id == Type.group_id)
        ordering.append(case((Group.category_id == SHIP_CATEGORY_ID, 0), else_=1))
    ordering += [target.name_folded, target.key]
    return statement.order_by(*ordering).limit(limit)


async def _search_kind(
    session: AsyncSession, kind: SearchKind, text: str, first: int
) -> list[tuple[int, SearchHit]]:
    target = TARGETS[kind]
    found: list[tuple[int, SearchHit]] = []
    for substring in (False, True):
        wanted = first - len(found)
        if wanted <= 0:
            break
        rows: Any = await session.execute(_statement(session, target, text, substring, wanted))
        found += [
            (int(rank), SearchHit(kind, int(key), name, ticker)) for rank, key, name, ticker in rows
        ]
    return found


async def search(
    session: AsyncSession,
    text: str,
    kinds: tuple[SearchKind, ...] | list[SearchKind] | None = None,
    first: int = 10,
) -> list[SearchHit]:
    """Entities whose name (or ticker) matches the text: exact, then prefix, then substring.

    Across kinds, a better match comes first; at equal match, kinds keep `SearchKind`'s
    order and each kind its own (ships first among item types, then by name).
    """
    if not 1 <= first <= MAX_RESULTS:
        raise ValueError(f"first must be between 1 and {MAX_RESULTS}, got {first}")
    text = text.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(f"search text is longer than {MAX_TEXT_LENGTH} characters")
    if not text:
        return []
    chosen = [kind for kind in SearchKind if kinds is None or kind in kinds]
    ranked: list[tuple[int, int, int, SearchHit]] = []
    for kind_index, kind in enumerate(chosen):
        for position, (rank, hit) in enumerate(await _search_kind(session, kind, text, first)):
            ranked.append((rank, kind_index, position, hit))
    ranked.sort(key=lambda entry: entry[:3])
    return [hit for *_key, hit in ranked[:first]]
