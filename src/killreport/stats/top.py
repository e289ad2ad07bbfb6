"""An entity's top lists: one table of groupings, each row naming the column it groups by.

A grouping either groups the entity's own attacker rows (its pilots, corporations,
alliances, ships flown) or the killmails it took part in (the systems, and its
targets' alliances, corporations and ships). Kills count distinct killmails, ISK sums
their total value once per killmail; order is kills, then ISK, then id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Attacker, Killmail
from killreport.stats.entities import EntityKind, attacker_rows, kill_ids
from killreport.stats.windows import StatsWindow, window_bounds

MAX_TOP = 100


class TopBy(StrEnum):
    """What a top list groups an entity's kills by."""

    PILOTS = "PILOTS"
    CORPORATIONS = "CORPORATIONS"
    ALLIANCES = "ALLIANCES"
    SHIPS = "SHIPS"
    SYSTEMS = "SYSTEMS"
    TARGET_ALLIANCES = "TARGET_ALLIANCES"
    TARGET_CORPORATIONS = "TARGET_CORPORATIONS"
    TARGET_SHIPS = "TARGET_SHIPS"


@dataclass(frozen=True, slots=True)
class Grouping:
    """A column of the entity's attacker rows or of its killmails to group by."""

    table: type[Attacker] | type[Killmail]
    column: str


GROUPINGS: dict[TopBy, Grouping] = {
    TopBy.PILOTS: Grouping(Attacker, "character_id"),
    TopBy.CORPORATIONS: Grouping(Attacker, "corporation_id"),
    TopBy.ALLIANCES: Grouping(Attacker, "alliance_id"),
    TopBy.SHIPS: Grouping(Attacker, "ship_type_id"),
    TopBy.SYSTEMS: Grouping(Killmail, "solar_system_id"),
    TopBy.TARGET_ALLIANCES: Grouping(Killmail, "victim_alliance_id"),
    TopBy.TARGET_CORPORATIONS: Grouping(Killmail, "victim_corporation_id"),
    TopBy.TARGET_SHIPS: Grouping(Killmail, "victim_ship_type_id"),
}


@dataclass(frozen=True, slots=True)
class TopEntry:
    """One ranked entity: its id, its kills and the ISK they destroyed."""

    id: int
    kills: int
    isk: float


def check_first(first: int) -> None:
    """Refuse a list size outside 1..MAX_TOP."""
    if not 1 <= first <= MAX_TOP:
        raise ValueError(f"first must be between 1 and {MAX_TOP}, got {first}")


def ranked(pairs: Any, group: Any, first: int) -> Select[Any]:
    """Rank distinct (group, killmail_id) pairs by killmails, then their ISK, then id."""
    kills = func.count().label("kills")
    isk = func.coalesce(func.sum(Killmail.total_value), 0).label("isk")
    return (
        select(group, kills, isk)
        .select_from(pairs)
        .join(Killmail, Killmail.killmail_id == pairs.c.killmail_id)
        .group_by(group)
        .order_by(kills.desc(), isk.desc(), group)
        .limit(first)
    )


def entries(rows: Any) -> list[TopEntry]:
    """TopEntry rows from (id, kills, isk) result rows."""
    return [TopEntry(id=int(g), kills=int(k), isk=float(i)) for g, k, i in rows]


async def top_list(
    session: AsyncSession,
    kind: EntityKind,
    entity_id: int,
    by: TopBy,
    window: StatsWindow,
    at: date | None,
    now: datetime,
    first: int = 10,
) -> list[TopEntry]:
    """The entity's top `first` by the grouping in the window."""
    check_first(first)
    since, until = window_bounds(window, at, now)
    grouping = GROUPINGS[by]
    if grouping.table is Attacker:
        column = getattr(Attacker, grouping.column)
        pairs = (
            attacker_rows(kind, entity_id, since, until, column.label("g"), Attacker.killmail_id)
            .where(column.is_not(None))
            .distinct()
            .subquery()
        )
        statement = ranked(pairs, pairs.c.g, first)
    else:
        column = getattr(Killmail, grouping.column)
        ids = kill_ids(kind, entity_id, since, until).subquery()
        kills = func.count().label("kills")
        isk = func.coalesce(func.sum(Killmail.total_value), 0).label("isk")
        statement = (
            select(column, kills, isk)
            .where(Killmail.killmail_id.in_(select(ids.c.killmail_id)), column.is_not(None))
            .group_by(column)
            .order_by(kills.desc(), isk.desc(), column)
            .limit(first)
        )
    return entries(await session.execute(statement))
