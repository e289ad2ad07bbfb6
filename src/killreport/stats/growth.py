"""Growth of alliances and corporations from their daily snapshots: history and deltas.

A delta over N days compares the newest snapshot with the newest one at least N days
older; with no such snapshot the delta is unknown (None), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.tables import AllianceSnapshot, CorporationSnapshot
from killreport.stats.entities import EntityKind

GROWTH_PERIODS_D = (1, 7, 30)
MAX_HISTORY_DAYS = 3660
# How far back a delta's baseline may be looked for beyond its period.
BASELINE_SLACK_D = 30


@dataclass(frozen=True, slots=True)
class SnapshotPoint:
    """An entity's size on one UTC day (corporation_count is None for corporations)."""

    day: date
    member_count: int | None
    corporation_count: int | None


@dataclass(frozen=True, slots=True)
class GrowthMetrics:
    """Members now and their change over 1, 7 and 30 days, in members and in percent."""

    day: date | None
    member_count: int | None
    corporation_count: int | None
    member_delta_1d: int | None
    member_delta_7d: int | None
    member_delta_30d: int | None
    member_growth_1d_pct: float | None
    member_growth_7d_pct: float | None
    member_growth_30d_pct: float | None


def _statement(kind: EntityKind, entity_id: int, first_day: date, last_day: date) -> Any:
    if kind is EntityKind.ALLIANCE:
        return (
            select(
                AllianceSnapshot.day,
                AllianceSnapshot.member_count,
                AllianceSnapshot.corporation_count,
            )
            .where(
                AllianceSnapshot.alliance_id == entity_id,
                AllianceSnapshot.day >= first_day,
                AllianceSnapshot.day <= last_day,
            )
            .order_by(AllianceSnapshot.day)
        )
    if kind is EntityKind.CORPORATION:
        return (
            select(
                CorporationSnapshot.day,
                CorporationSnapshot.member_count,
                literal(None).label("corporation_count"),
            )
            .where(
                CorporationSnapshot.corporation_id == entity_id,
                CorporationSnapshot.day >= first_day,
                CorporationSnapshot.day <= last_day,
            )
            .order_by(CorporationSnapshot.day)
        )
    raise ValueError(f"only alliances and corporations have snapshots, not {kind}")


async def _points(
    session: AsyncSession, kind: EntityKind, entity_id: int, first_day: date, last_day: date
) -> list[SnapshotPoint]:
    rows: Any = await session.execute(_statement(kind, entity_id, first_day, last_day))
    return [
        SnapshotPoint(
            day=day,
            member_count=None if members is None else int(members),
            corporation_count=None if corporations is None else int(corporations),
        )
        for day, members, corporations in rows
    ]


async def snapshots(
    session: AsyncSession, kind: EntityKind, entity_id: int, days: int, now: datetime
) -> list[SnapshotPoint]:
    """The entity's snapshots of the last `days` UTC days (today included), oldest first."""
    if not 1 <= days <= MAX_HISTORY_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_HISTORY_DAYS}, got {days}")
    today = now.astimezone(UTC).date()
    return await _points(session, kind, entity_id, today - timedelta(days=days - 1), today)


def _delta(
    points: list[SnapshotPoint], latest: SnapshotPoint, period_d: int
) -> tuple[int | None, float | None]:
    cutoff = latest.day - timedelta(days=period_d)
    base = next((p for p in reversed(points) if p.day <= cutoff), None)
    if base is None or base.member_count is None or latest.member_count is None:
        return None, None
    delta = latest.member_count - base.member_count
    growth = None if base.member_count == 0 else 100.0 * delta / base.member_count
    return delta, growth


async def growth_metrics(
    session: AsyncSession, kind: EntityKind, entity_id: int, now: datetime
) -> GrowthMetrics:
    """Members from the newest snapshot up to today and their 1, 7 and 30-day changes."""
    today = now.astimezone(UTC).date()
    oldest = today - timedelta(days=max(GROWTH_PERIODS_D) + BASELINE_SLACK_D)
    points = await _points(session, kind, entity_id, oldest, today)
    if not points:
        return GrowthMetrics(None, None, None, None, None, None, None, None, None)
    latest = points[-1]
    changes = {period: _delta(points, latest, period) for period in GROWTH_PERIODS_D}
    return GrowthMetrics(
        day=latest.day,
        member_count=latest.member_count,
        corporation_count=latest.corporation_count,
        member_delta_1d=changes[1][0],
        member_delta_7d=changes[7][0],
        member_delta_30d=changes[30][0],
        member_growth_1d_pct=changes[1][1],
        member_growth_7d_pct=changes[7][1],
        member_growth_30d_pct=changes[30][1],
    )
