"""Leaderboards: pilots, corporations, alliances, victim ships and attacker ships by kills.

One table says what each board ranks and which ids may rank: NPC characters and
corporations (ids 1,000,000-1,999,999 for corporations) never rank, and factions never
do (they sit in their own column, and their ships fly without a player pilot). Boards
of participants over whole UTC days with no place read the daily counters; the rest
aggregate attackers and killmails over their time indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import Attacker, DailyEntityCounter, Killmail
from killreport.stats.entities import LOCATION_KINDS, EntityKind, in_window, location_condition
from killreport.stats.top import TopEntry, check_first, entries, ranked
from killreport.stats.windows import StatsWindow, whole_days, window_bounds

PLAYER_CORPORATION_MIN_ID = 2_000_000
PLAYER_CHARACTER_MIN_ID = 1_000_000
NPC_AGENT_IDS = (3_000_000, 4_000_000)


class LeaderboardBy(StrEnum):
    """What a leaderboard ranks."""

    PILOTS = "PILOTS"
    CORPORATIONS = "CORPORATIONS"
    ALLIANCES = "ALLIANCES"
    VICTIM_SHIPS = "VICTIM_SHIPS"
    ATTACKER_SHIPS = "ATTACKER_SHIPS"


def player_character(column: Any) -> ColumnElement[bool]:
    """A player character id: not an EVE System id nor an NPC agent."""
    return and_(
        column >= PLAYER_CHARACTER_MIN_ID,
        not_(column.between(NPC_AGENT_IDS[0], NPC_AGENT_IDS[1] - 1)),
    )


def player_corporation(column: Any) -> ColumnElement[bool]:
    """A player corporation id (NPC corporations are 1,000,000-1,999,999)."""
    return column >= PLAYER_CORPORATION_MIN_ID  # type: ignore[no-any-return]


def any_id(column: Any) -> ColumnElement[bool]:
    """Any stored id."""
    return column.is_not(None)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Board:
    """What one leaderboard groups, which ids may rank, and its daily counters if any."""

    table: type[Attacker] | type[Killmail]
    column: str
    # The condition on the ranked id, or (attacker ships) on the attacker's pilot.
    ranks: Callable[[Any], ColumnElement[bool]]
    condition_column: str | None = None
    counter_kind: str | None = None


BOARDS: dict[LeaderboardBy, Board] = {
    LeaderboardBy.PILOTS: Board(Attacker, "character_id", player_character, None, "character"),
    LeaderboardBy.CORPORATIONS: Board(
        Attacker, "corporation_id", player_corporation, None, "corporation"
    ),
    LeaderboardBy.ALLIANCES: Board(Attacker, "alliance_id", any_id, None, "alliance"),
    LeaderboardBy.VICTIM_SHIPS: Board(Killmail, "victim_ship_type_id", any_id),
    LeaderboardBy.ATTACKER_SHIPS: Board(
        Attacker, "ship_type_id", player_character, condition_column="character_id"
    ),
}


async def leaderboard(
    session: AsyncSession,
    by: LeaderboardBy,
    window: StatsWindow,
    at: date | None,
    now: datetime,
    location: tuple[EntityKind, int] | None,
    first: int,
) -> list[TopEntry]:
    """The board's top `first` in the window, optionally within one system/constellation/region."""
    check_first(first)
    if location is not None and location[0] not in LOCATION_KINDS:
        raise ValueError(f"a leaderboard location is a system, constellation or region: {location}")
    board = BOARDS[by]
    days = whole_days(window, at, now)
    if board.counter_kind is not None and location is None and days is not None:
        return await _from_counters(session, board, days, first)
    since, until = window_bounds(window, at, now)
    column = getattr(board.table, board.column)
    rank_condition = board.ranks(
        getattr(board.table, board.condition_column) if board.condition_column else column
    )
    if board.table is Killmail:
        kills = func.count().label("kills")
        isk = func.coalesce(func.sum(Killmail.total_value), 0).label("isk")
        where = [rank_condition, *in_window(Killmail.killmail_time, since, until)]
        if location is not None:
            where.append(location_condition(*location))
        statement: Any = (
            select(column, kills, isk)
            .where(*where)
            .group_by(column)
            .order_by(kills.desc(), isk.desc(), column)
            .limit(first)
        )
        return entries(await session.execute(statement))
    pairs_query = select(column.label("g"), Attacker.killmail_id).where(
        rank_condition, column.is_not(None)
    )
    if location is not None:
        pairs_query = pairs_query.join(
            Killmail, Killmail.killmail_id == Attacker.killmail_id
        ).where(location_condition(*location), *in_window(Killmail.killmail_time, since, until))
    else:
        pairs_query = pairs_query.where(*in_window(Attacker.killmail_time, since, until))
    pairs = pairs_query.distinct().subquery()
    return entries(await session.execute(ranked(pairs, pairs.c.g, first)))


async def _from_counters(
    session: AsyncSession, board: Board, days: tuple[date | None, date | None], first: int
) -> list[TopEntry]:
    assert board.counter_kind is not None
    first_day, end_day = days
    conditions = [
        DailyEntityCounter.entity_kind == board.counter_kind,
        board.ranks(DailyEntityCounter.entity_id),
        DailyEntityCounter.kills > 0,
    ]
    if first_day is not None:
        conditions.append(DailyEntityCounter.day >= first_day)
    if end_day is not None:
        conditions.append(DailyEntityCounter.day < end_day)
    kills = func.sum(DailyEntityCounter.kills).label("kills")
    isk = func.coalesce(func.sum(DailyEntityCounter.isk_destroyed), 0).label("isk")
    statement = (
        select(DailyEntityCounter.entity_id, kills, isk)
        .where(*conditions)
        .group_by(DailyEntityCounter.entity_id)
        .order_by(kills.desc(), isk.desc(), DailyEntityCounter.entity_id)
        .limit(first)
    )
    return entries(await session.execute(statement))
