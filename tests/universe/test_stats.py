"""Snapshots (one row per entity per UTC day) and alliance counts from aggregate queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import Alliance, AllianceSnapshot, CorporationSnapshot, DailyEntityCounter
from killreport.stats.counts import update_alliance_counts
from killreport.stats.snapshots import snapshot_alliances, snapshot_corporations
from killreport.universe import repository
from killreport.universe.repository import Freshness
from killreport.universe.specs import spec_for

NOW = datetime(2026, 9, 6, 1, 0, tzinfo=UTC)


async def _given_two_alliances(database: Database) -> None:
    alliance, corporation = spec_for("alliance"), spec_for("corporation")
    corps = [
        corporation.row(98000001, {"name": "A1", "member_count": 10, "alliance_id": 99000001}),
        corporation.row(98000002, {"name": "A2", "member_count": 5, "alliance_id": 99000001}),
        corporation.row(98000003, {"name": "B1", "member_count": 7, "alliance_id": 99000002}),
        corporation.row(98000004, {"name": "Solo", "member_count": 1}),
    ]
    async with database.transaction() as session:
        await repository.upsert_entities(
            session,
            alliance,
            [alliance.row(99000001, {"name": "A"}), alliance.row(99000002, {"name": "B"})],
            [Freshness(NOW)] * 2,
        )
        await repository.upsert_entities(session, corporation, corps, [Freshness(NOW)] * 4)
        session.add_all(
            [
                DailyEntityCounter(
                    entity_kind="alliance",
                    entity_id=99000001,
                    day=date(2026, 9, 4),
                    kills=3,
                    losses=1,
                ),
                DailyEntityCounter(
                    entity_kind="alliance",
                    entity_id=99000001,
                    day=date(2026, 9, 5),
                    kills=2,
                    losses=0,
                ),
            ]
        )


async def test_alliance_counts_aggregate_corporations_members_kills(database: Database) -> None:
    # given two alliances with corporations and daily counters
    await _given_two_alliances(database)
    # when the counts are updated
    async with database.transaction() as session:
        updated = await update_alliance_counts(session, NOW)
    # then each alliance row carries its figures
    assert updated == 2
    async with database.transaction() as session:
        rows = {
            a.alliance_id: (a.corporation_count, a.member_count, a.kill_count, a.loss_count)
            for a in (await session.execute(select(Alliance))).scalars()
        }
    assert rows == {99000001: (2, 15, 5, 1), 99000002: (1, 7, 0, 0)}


async def test_snapshots_are_one_row_per_entity_per_utc_day(database: Database) -> None:
    # given two alliances and four corporations, snapshotted once
    await _given_two_alliances(database)
    async with database.transaction() as session:
        await snapshot_alliances(session, NOW)
        await snapshot_corporations(session, NOW)
    # when a corporation grows and the snapshot reruns later the same UTC day
    async with database.transaction() as session:
        await repository.upsert_entities(
            session,
            spec_for("corporation"),
            [
                spec_for("corporation").row(
                    98000001, {"name": "A1", "member_count": 20, "alliance_id": 99000001}
                )
            ],
            [Freshness(NOW)],
        )
        await snapshot_alliances(session, NOW + timedelta(hours=22))
        await snapshot_corporations(session, NOW + timedelta(hours=22))
    # then the day's rows are updated, not duplicated
    async with database.transaction() as session:
        alliances = (await session.execute(select(AllianceSnapshot))).scalars().all()
        corporations = (await session.execute(select(CorporationSnapshot))).scalars().all()
    assert {(s.alliance_id, s.day, s.corporation_count, s.member_count) for s in alliances} == {
        (99000001, date(2026, 9, 6), 2, 25),
        (99000002, date(2026, 9, 6), 1, 7),
    }
    assert len(corporations) == 4
    assert {s.corporation_id: s.member_count for s in corporations}[98000001] == 20
