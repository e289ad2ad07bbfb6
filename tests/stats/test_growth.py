"""Growth history and metrics from hand-made daily snapshots, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from killreport.db.engine import Database
from killreport.db.tables import AllianceSnapshot, CorporationSnapshot
from killreport.stats.entities import EntityKind
from killreport.stats.growth import growth_metrics, snapshots
from tests.stats.dataset import NOW

TODAY = date(2026, 12, 1)
ALLIANCE = 99000001
CORPORATION = 98000001

# day -> (members, corporations); 2026-11-24 and -29 are missing on purpose
ALLIANCE_DAYS = {
    TODAY: (1200, 12),
    TODAY - timedelta(days=1): (1150, 12),
    TODAY - timedelta(days=3): (1100, 11),
    TODAY - timedelta(days=8): (1000, 10),
    TODAY - timedelta(days=30): (800, 8),
    TODAY - timedelta(days=45): (400, 4),
}


async def _store(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(
            insert(AllianceSnapshot),
            [
                {
                    "alliance_id": ALLIANCE,
                    "day": day,
                    "member_count": members,
                    "corporation_count": corporations,
                    "taken_at": NOW,
                }
                for day, (members, corporations) in ALLIANCE_DAYS.items()
            ]
            + [
                {
                    "alliance_id": ALLIANCE + 1,
                    "day": TODAY,
                    "member_count": 5,
                    "corporation_count": 1,
                    "taken_at": NOW,
                }
            ],
        )
        await session.execute(
            insert(CorporationSnapshot),
            [
                {
                    "corporation_id": CORPORATION,
                    "day": TODAY - timedelta(days=2),
                    "member_count": 0,
                    "taken_at": NOW,
                },
                {
                    "corporation_id": CORPORATION,
                    "day": TODAY - timedelta(days=1),
                    "member_count": 10,
                    "taken_at": NOW,
                },
            ],
        )


async def test_history_is_the_last_days_oldest_first(database: Database) -> None:
    await _store(database)
    async with database.transaction() as session:
        week = await snapshots(session, EntityKind.ALLIANCE, ALLIANCE, 7, NOW)
        month = await snapshots(session, EntityKind.ALLIANCE, ALLIANCE, 31, NOW)
        corporation = await snapshots(session, EntityKind.CORPORATION, CORPORATION, 30, NOW)
    # the last 7 days are 11-25 .. 12-01: three snapshots, oldest first
    assert [(p.day, p.member_count, p.corporation_count) for p in week] == [
        (date(2026, 11, 28), 1100, 11),
        (date(2026, 11, 30), 1150, 12),
        (TODAY, 1200, 12),
    ]
    assert month[0].day == date(2026, 11, 1)
    assert [(p.member_count, p.corporation_count) for p in corporation] == [(0, None), (10, None)]


async def test_metrics_compare_with_the_newest_snapshot_at_least_n_days_older(
    database: Database,
) -> None:
    await _store(database)
    async with database.transaction() as session:
        alliance = await growth_metrics(session, EntityKind.ALLIANCE, ALLIANCE, NOW)
        corporation = await growth_metrics(session, EntityKind.CORPORATION, CORPORATION, NOW)
        newcomer = await growth_metrics(session, EntityKind.ALLIANCE, ALLIANCE + 1, NOW)
        unknown = await growth_metrics(session, EntityKind.ALLIANCE, 1, NOW)
    # 1 day: 1200 vs 1150; 7 days: no 11-24 snapshot, so 11-23's 1000; 30 days: 800
    assert (alliance.member_count, alliance.corporation_count) == (1200, 12)
    assert (alliance.member_delta_1d, alliance.member_delta_7d, alliance.member_delta_30d) == (
        50,
        200,
        400,
    )
    assert alliance.member_growth_1d_pct == pytest.approx(100 * 50 / 1150)
    assert alliance.member_growth_7d_pct == pytest.approx(20.0)
    assert alliance.member_growth_30d_pct == pytest.approx(50.0)
    # a corporation grown from 0 has a delta but no percentage; none older than 2 days
    assert (corporation.day, corporation.member_delta_1d, corporation.member_growth_1d_pct) == (
        TODAY - timedelta(days=1),
        10,
        None,
    )
    assert corporation.member_delta_7d is None
    # one snapshot only: size known, no change known; no snapshot: nothing known
    assert (newcomer.member_count, newcomer.member_delta_1d) == (5, None)
    assert unknown.member_count is None and unknown.day is None


async def test_other_kinds_have_no_snapshots(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="snapshots"):
            await snapshots(session, EntityKind.CHARACTER, 1, 7, NOW)
        with pytest.raises(ValueError, match="days"):
            await snapshots(session, EntityKind.ALLIANCE, 1, 0, NOW)
