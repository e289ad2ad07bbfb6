"""Entity writes: upserts update changed fields, 404 keeps the row, membership clears leavers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from killreport.db.engine import Database
from killreport.db.tables import AllianceCorporation, Character, Corporation
from killreport.universe import repository
from killreport.universe.repository import Affiliation, Freshness
from killreport.universe.specs import EntityKind, spec_for

NOW = datetime(2026, 9, 6, 12, 0, tzinfo=UTC)
CORP = spec_for("corporation")


def _corp(corporation_id: int, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": f"Corp {corporation_id}",
        "ticker": "C",
        "member_count": 10,
        "ceo_id": 2112000001,
        "alliance_id": 99000001,
        "tax_rate": 0.1,
    }
    body.update(changes)
    return CORP.row(corporation_id, body)


async def test_upsert_updates_changed_fields_and_404_keeps_the_row(database: Database) -> None:
    # given a stored corporation
    async with database.transaction() as session:
        await repository.upsert_entities(
            session, CORP, [_corp(98000001)], [Freshness(NOW, NOW + timedelta(hours=1), '"a"')]
        )
    # when ESI later returns new values for it
    later = NOW + timedelta(hours=2)
    async with database.transaction() as session:
        await repository.upsert_entities(
            session,
            CORP,
            [_corp(98000001, name="Renamed", member_count=11, alliance_id=None)],
            [Freshness(later, later + timedelta(hours=1), '"b"')],
        )
    # then the changed fields are stored (the seed's `update: {}` kept the old ones)
    async with database.transaction() as session:
        row = await session.get(Corporation, 98000001)
        assert row is not None
        assert (row.name, row.member_count, row.alliance_id) == ("Renamed", 11, None)
        assert (row.etag, row.fetched_at, row.expires_at) == (
            '"b"',
            later,
            later + timedelta(hours=1),
        )
    # when ESI answers 404 for it and for an id never stored
    async with database.transaction() as session:
        await repository.mark_deleted(session, CORP, [98000001, 98000002], later)
    # then the row keeps its data and is marked deleted; the unknown id gets a tombstone
    async with database.transaction() as session:
        row = await session.get(Corporation, 98000001)
        assert row is not None
        assert (row.name, row.deleted_at) == ("Renamed", later)
        assert await repository.unknown_ids(
            session, EntityKind.CORPORATION, [98000002, 98000003]
        ) == {98000003}


async def test_alliance_membership_clears_corporations_that_left(database: Database) -> None:
    # given an alliance whose stored corporations are 1 and 2
    async with database.transaction() as session:
        fresh = Freshness(NOW)
        await repository.upsert_entities(
            session,
            CORP,
            [_corp(98000001), _corp(98000002), _corp(98000003, alliance_id=None)],
            [fresh, fresh, fresh],
        )
        await repository.replace_alliance_members(session, 99000001, [98000001, 98000002], NOW)
    # when ESI lists corporations 1 and 3 as its members
    async with database.transaction() as session:
        change = await repository.replace_alliance_members(
            session, 99000001, [98000001, 98000003, 98000004], NOW
        )
    # then 2 left (its alliance_id is cleared) and 3 and 4 joined
    assert change.departed == {98000002}
    assert change.joined == {98000003, 98000004}
    async with database.transaction() as session:
        result = await session.execute(select(Corporation.corporation_id, Corporation.alliance_id))
        alliances = {int(cid): aid for cid, aid in result.all()}
        members = set(
            (
                await session.execute(
                    select(AllianceCorporation.corporation_id).where(
                        AllianceCorporation.alliance_id == 99000001
                    )
                )
            ).scalars()
        )
    assert alliances == {98000001: 99000001, 98000002: None, 98000003: 99000001}
    assert members == {98000001, 98000003, 98000004}


async def test_affiliations_report_changes_and_expired_details(database: Database) -> None:
    # given two stored characters, one with details expired
    spec = spec_for("character")
    rows = [
        spec.row(2112000001, {"name": "A", "corporation_id": 98000001, "alliance_id": 99000001}),
        spec.row(2112000002, {"name": "B", "corporation_id": 98000002}),
    ]
    async with database.transaction() as session:
        await repository.upsert_entities(
            session,
            spec,
            rows,
            [Freshness(NOW, NOW + timedelta(days=1)), Freshness(NOW, NOW - timedelta(seconds=1))],
        )
    # when affiliation says A moved to another corporation and B stayed
    async with database.transaction() as session:
        changed = await repository.apply_affiliations(
            session,
            [Affiliation(2112000001, 98000009, None), Affiliation(2112000002, 98000002, None)],
            NOW,
        )
        expired = await repository.expired_ids(session, spec, [2112000001, 2112000002], NOW)
        missing = await repository.missing_character_corporations(session)
    # then A's change is reported and stored, B is expired, both corporations are missing
    assert changed == {2112000001}
    assert expired == {2112000002}
    assert missing == [98000002, 98000009]
    async with database.transaction() as session:
        a = await session.get(Character, 2112000001)
        assert a is not None
        assert (a.corporation_id, a.alliance_id, a.affiliation_checked_at) == (98000009, None, NOW)
        counts = await repository.count_by_kind(session)
    assert counts[EntityKind.CHARACTER] == 2
    assert counts[EntityKind.ALLIANCE] == 0
