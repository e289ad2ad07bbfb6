"""Kill and loss figures and top lists of any killmail filter (zKillboard's stats document).

Each figure is one aggregate statement over the killmails a `KillmailFilter` selects
(the same compiled conditions the lists use), so a stats answer and a list for the same
entity can never disagree. Top lists group the attackers of the selected killmails.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from killreport.db.tables import Attacker, Killmail
from killreport.killmails.conditions import filter_conditions
from killreport.killmails.filters import KillmailFilter


@dataclass(frozen=True, slots=True)
class Figures:
    """Killmails a filter selects: how many, their ISK, points and solo ones."""

    count: int
    isk: float
    points: int
    solo: int


@dataclass(frozen=True, slots=True)
class TopRow:
    """One entry of a top list: the id and the number of killmails it took part in."""

    id: int
    kills: int


class TopColumn(StrEnum):
    """What a top list groups by (attackers' columns, or the killmail's system)."""

    CHARACTER = "character"
    CORPORATION = "corporation"
    ALLIANCE = "alliance"
    SHIP_TYPE = "shipType"
    SOLAR_SYSTEM = "solarSystem"


# The grouped attackers are an alias: the filter's own EXISTS on `attackers` must
# correlate with the killmail, not with the row being grouped.
_GROUPED = aliased(Attacker, name="grouped_attackers")
_ATTACKER_COLUMNS: dict[TopColumn, Any] = {
    TopColumn.CHARACTER: _GROUPED.character_id,
    TopColumn.CORPORATION: _GROUPED.corporation_id,
    TopColumn.ALLIANCE: _GROUPED.alliance_id,
    TopColumn.SHIP_TYPE: _GROUPED.ship_type_id,
}


async def figures(session: AsyncSession, filter: KillmailFilter) -> Figures:
    """Count, ISK, points and solo count of the killmails the filter selects."""
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Killmail.total_value), 0),
                func.coalesce(func.sum(Killmail.points), 0),
                func.coalesce(func.sum(case((Killmail.solo.is_(True), 1), else_=0)), 0),
            ).where(*filter_conditions(filter))
        )
    ).one()
    return Figures(int(row[0]), round(float(row[1]), 2), int(row[2]), int(row[3]))


async def top_list(
    session: AsyncSession, filter: KillmailFilter, column: TopColumn, *, first: int = 10
) -> list[TopRow]:
    """The ids most often among the selected killmails (attackers, or the system)."""
    if column is TopColumn.SOLAR_SYSTEM:
        key: Any = Killmail.solar_system_id
        counted: Any = func.count()
        statement: Any = select(key, counted).where(*filter_conditions(filter))
    else:
        key = _ATTACKER_COLUMNS[column]
        counted = func.count(func.distinct(_GROUPED.killmail_id))
        statement = (
            select(key, counted)
            .select_from(_GROUPED)
            .join(Killmail, Killmail.killmail_id == _GROUPED.killmail_id)
            .where(key.is_not(None), *filter_conditions(filter))
        )
    result = await session.execute(
        statement.group_by(key).order_by(counted.desc(), key).limit(first)
    )
    rows: list[tuple[int, int]] = [(int(r[0]), int(r[1])) for r in result.all()]
    return [TopRow(entity_id, kills) for entity_id, kills in rows]


async def top_value_ids(session: AsyncSession, filter: KillmailFilter, *, first: int) -> list[int]:
    """Ids of the most valuable selected killmails, most valuable first."""
    statement = (
        select(Killmail.killmail_id)
        .where(Killmail.total_value.is_not(None), *filter_conditions(filter))
        .order_by(Killmail.total_value.desc(), Killmail.killmail_id.desc())
        .limit(first)
    )
    return [int(value) for value in (await session.scalars(statement)).all()]
