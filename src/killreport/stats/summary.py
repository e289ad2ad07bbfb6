"""An entity's stats over a window: kills, losses, ISK destroyed and lost, efficiency, solo, points.

Participants (characters, corporations, alliances) over whole UTC days read the daily
counters, which ingest keeps with the same rules (every distinct attacker entity gets
the kill, the victim's get the loss); everything else aggregates killmails and
attackers over their time indexes. Solo kills always come from killmails: the counters
do not hold them. A place's killmails all count as its kills; a place has no losses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import DailyEntityCounter, Killmail
from killreport.stats.entities import SIDES, EntityKind, in_window, kill_ids, loss_condition
from killreport.stats.windows import StatsWindow, whole_days, window_bounds


@dataclass(frozen=True, slots=True)
class EntityStats:
    """One entity's figures over one window (ISK in ISK, efficiency in percent)."""

    kills: int
    losses: int
    isk_destroyed: float
    isk_lost: float
    isk_efficiency: float | None
    solo_kills: int
    points: int


def isk_efficiency(destroyed: float, lost: float) -> float | None:
    """Destroyed over destroyed plus lost, in percent; None when both are zero."""
    total = destroyed + lost
    return None if total <= 0 else 100.0 * destroyed / total


async def _counted(
    session: AsyncSession, counter_kind: str, entity_id: int, days: tuple[date | None, date | None]
) -> tuple[int, int, float, float, int]:
    first, end = days
    conditions = [
        DailyEntityCounter.entity_kind == counter_kind,
        DailyEntityCounter.entity_id == entity_id,
    ]
    if first is not None:
        conditions.append(DailyEntityCounter.day >= first)
    if end is not None:
        conditions.append(DailyEntityCounter.day < end)
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(DailyEntityCounter.kills), 0),
                func.coalesce(func.sum(DailyEntityCounter.losses), 0),
                func.coalesce(func.sum(DailyEntityCounter.isk_destroyed), 0),
                func.coalesce(func.sum(DailyEntityCounter.isk_lost), 0),
                func.coalesce(func.sum(DailyEntityCounter.points), 0),
            ).where(*conditions)
        )
    ).one()
    return int(row[0]), int(row[1]), float(row[2]), float(row[3]), int(row[4])


async def entity_stats(
    session: AsyncSession,
    kind: EntityKind,
    entity_id: int,
    window: StatsWindow,
    at: date | None,
    now: datetime,
) -> EntityStats:
    """The entity's kills, losses, ISK, efficiency, solo kills and points in the window."""
    since, until = window_bounds(window, at, now)
    side = SIDES[kind]
    days = whole_days(window, at, now)
    counted = None
    if side.counter_kind is not None and days is not None:
        counted = await _counted(session, side.counter_kind, entity_id, days)
    kills_of = Killmail.killmail_id.in_(kill_ids(kind, entity_id, since, until))
    solo = func.coalesce(func.sum(case((Killmail.solo, 1), else_=0)), 0)
    if counted is not None:
        solo_kills = int(await session.scalar(select(solo).where(kills_of)) or 0)
        kills, losses, destroyed, lost, points = counted
    else:
        row = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Killmail.total_value), 0),
                    func.coalesce(func.sum(Killmail.points), 0),
                    solo,
                ).where(kills_of)
            )
        ).one()
        kills, destroyed, points, solo_kills = int(row[0]), float(row[1]), int(row[2]), int(row[3])
        losses, lost = 0, 0.0
        victim = loss_condition(kind, entity_id)
        if victim is not None:
            lost_row = (
                await session.execute(
                    select(func.count(), func.coalesce(func.sum(Killmail.total_value), 0)).where(
                        victim, *in_window(Killmail.killmail_time, since, until)
                    )
                )
            ).one()
            losses, lost = int(lost_row[0]), float(lost_row[1] or 0)
    return EntityStats(
        kills=kills,
        losses=losses,
        isk_destroyed=destroyed,
        isk_lost=lost,
        isk_efficiency=isk_efficiency(destroyed, lost),
        solo_kills=solo_kills,
        points=points,
    )
