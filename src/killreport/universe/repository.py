"""Reads and writes of entity rows; every write is an upsert that updates changed fields.

Functions take the caller's session and never commit: the handler, job or CLI command
that called them owns the transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.db.dialect import insert_ignore, upsert
from killreport.db.tables import AllianceCorporation, Character, Corporation
from killreport.universe.specs import ENTITY_SPECS, EntityKind, EntitySpec, is_player_corporation

logger = logging.getLogger(__name__)

# Rows per statement: well under SQLite's bound-parameter limit for the widest table.
WRITE_CHUNK = 500
# Ids per IN (...) list.
READ_CHUNK = 1000

FRESHNESS_COLUMNS = ("fetched_at", "expires_at", "etag", "last_modified", "deleted_at")


@dataclass(frozen=True, slots=True)
class Freshness:
    """What ESI said about a response: when it was fetched, when it expires, its validators."""

    fetched_at: datetime
    expires_at: datetime | None = None
    etag: str | None = None
    last_modified: datetime | None = None


@dataclass(frozen=True, slots=True)
class Affiliation:
    """One line of POST /characters/affiliation."""

    character_id: int
    corporation_id: int
    alliance_id: int | None = None
    faction_id: int | None = None


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _table(spec: EntitySpec) -> Table:
    table = spec.table.__table__
    assert isinstance(table, Table)
    return table


async def _scalar_ids(session: AsyncSession, query: Any) -> list[int]:
    values: Sequence[Any] = (await session.execute(query)).scalars().all()
    return [int(value) for value in values if value is not None]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def stored_rows(
    session: AsyncSession, spec: EntitySpec, ids: Iterable[int]
) -> dict[int, dict[str, Any]]:
    """The stored columns (and deleted_at) of those ids that exist, by id."""
    table = _table(spec)
    id_col = table.c[spec.id_column]
    columns = [id_col, *(table.c[name] for name in spec.columns), table.c.deleted_at]
    found: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(sorted(set(ids)), READ_CHUNK):
        result = await session.execute(select(*columns).where(id_col.in_(chunk)))
        for row in result.mappings():
            found[int(row[spec.id_column])] = dict(row)
    return found


async def unknown_ids(session: AsyncSession, kind: EntityKind, ids: Iterable[int]) -> set[int]:
    """The ids of `kind` not stored at all (deleted ones count as known)."""
    spec = ENTITY_SPECS[kind]
    wanted = set(ids)
    if not wanted:
        return set()
    id_col = _table(spec).c[spec.id_column]
    known: set[int] = set()
    for chunk in _chunks(sorted(wanted), READ_CHUNK):
        known.update(await _scalar_ids(session, select(id_col).where(id_col.in_(chunk))))
    return wanted - known


async def upsert_entities(
    session: AsyncSession,
    spec: EntitySpec,
    rows: Sequence[Mapping[str, Any]],
    freshness: Sequence[Freshness],
) -> None:
    """Insert or update entities: every stored field and the freshness columns are written."""
    if not rows:
        return
    table = _table(spec)
    values = [
        {
            **row,
            "fetched_at": fresh.fetched_at,
            "expires_at": fresh.expires_at,
            "etag": fresh.etag,
            "last_modified": fresh.last_modified,
            "deleted_at": None,
        }
        for row, fresh in zip(rows, freshness, strict=True)
    ]
    stmt = upsert(
        _dialect(session),
        table,
        key=[spec.id_column],
        update=[*spec.columns, *FRESHNESS_COLUMNS],
    )
    for chunk in _chunks(values, WRITE_CHUNK):
        await session.execute(stmt, list(chunk))


async def touch_unchanged(
    session: AsyncSession, spec: EntitySpec, ids: Sequence[int], freshness: Sequence[Freshness]
) -> None:
    """Record that ESI confirmed these entities unchanged (304 or still cached): new expiry."""
    if not ids:
        return
    table = _table(spec)
    stmt = (
        update(table)
        .where(table.c[spec.id_column] == bindparam("b_id"))
        .values(
            fetched_at=bindparam("b_fetched_at"),
            expires_at=bindparam("b_expires_at"),
            etag=func.coalesce(bindparam("b_etag"), table.c.etag),
        )
    )
    params = [
        {
            "b_id": entity_id,
            "b_fetched_at": fresh.fetched_at,
            "b_expires_at": fresh.expires_at,
            "b_etag": fresh.etag,
        }
        for entity_id, fresh in zip(ids, freshness, strict=True)
    ]
    for chunk in _chunks(params, WRITE_CHUNK):
        await session.execute(stmt, list(chunk), execution_options={"synchronize_session": False})


async def mark_deleted(
    session: AsyncSession, spec: EntitySpec, ids: Iterable[int], at: datetime
) -> None:
    """ESI answered 404: mark the entities deleted (closed), keeping every stored field."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    table = _table(spec)
    id_col = table.c[spec.id_column]
    # An id never stored gets a tombstone, so discovery stops queueing it.
    await session.execute(
        insert_ignore(_dialect(session), table),
        [{spec.id_column: entity_id, "fetched_at": at, "deleted_at": at} for entity_id in wanted],
    )
    for chunk in _chunks(wanted, READ_CHUNK):
        await session.execute(
            update(table)
            .where(id_col.in_(chunk), table.c.deleted_at.is_(None))
            .values(deleted_at=at, fetched_at=at)
        )


async def next_ids(
    session: AsyncSession,
    spec: EntitySpec,
    *,
    after: int,
    limit: int,
    include_deleted: bool = False,
) -> list[int]:
    """Up to `limit` stored ids above `after`, ascending (keyset pagination, bounded memory)."""
    table = _table(spec)
    id_col = table.c[spec.id_column]
    query = select(id_col).where(id_col > after).order_by(id_col).limit(limit)
    if not include_deleted:
        query = query.where(table.c.deleted_at.is_(None))
    return await _scalar_ids(session, query)


async def expired_ids(
    session: AsyncSession, spec: EntitySpec, ids: Iterable[int], now: datetime
) -> set[int]:
    """Those ids whose stored details expired (or were never fetched) as of `now`."""
    table = _table(spec)
    id_col = table.c[spec.id_column]
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ids)), READ_CHUNK):
        query = select(id_col).where(
            id_col.in_(chunk),
            (table.c.expires_at.is_(None)) | (table.c.expires_at <= now),
        )
        found.update(await _scalar_ids(session, query))
    return found


async def apply_affiliations(
    session: AsyncSession, affiliations: Sequence[Affiliation], checked_at: datetime
) -> set[int]:
    """Store characters' current corporation/alliance/faction; return the ids that changed."""
    if not affiliations:
        return set()
    table = _table(ENTITY_SPECS[EntityKind.CHARACTER])
    current: dict[int, tuple[int | None, int | None, int | None]] = {}
    ids = [a.character_id for a in affiliations]
    for chunk in _chunks(sorted(ids), READ_CHUNK):
        result = await session.execute(
            select(
                Character.character_id,
                Character.corporation_id,
                Character.alliance_id,
                Character.faction_id,
            ).where(Character.character_id.in_(chunk))
        )
        for row in result:
            current[int(row[0])] = (row[1], row[2], row[3])
    changed = {
        a.character_id
        for a in affiliations
        if a.character_id in current
        and current[a.character_id] != (a.corporation_id, a.alliance_id, a.faction_id)
    }
    stmt = (
        update(table)
        .where(table.c.character_id == bindparam("b_id"))
        .values(
            corporation_id=bindparam("b_corporation_id"),
            alliance_id=bindparam("b_alliance_id"),
            faction_id=bindparam("b_faction_id"),
            affiliation_checked_at=bindparam("b_checked_at"),
        )
    )
    params = [
        {
            "b_id": a.character_id,
            "b_corporation_id": a.corporation_id,
            "b_alliance_id": a.alliance_id,
            "b_faction_id": a.faction_id,
            "b_checked_at": checked_at,
        }
        for a in affiliations
        if a.character_id in current
    ]
    for chunk in _chunks(params, WRITE_CHUNK):
        await session.execute(stmt, list(chunk), execution_options={"synchronize_session": False})
    return changed


async def apply_character_names(session: AsyncSession, names: Mapping[int, str]) -> set[int]:
    """Store stored characters' current names (POST /universe/names); return the renamed."""
    if not names:
        return set()
    current: dict[int, str | None] = {}
    for chunk in _chunks(sorted(names), READ_CHUNK):
        result = await session.execute(
            select(Character.character_id, Character.name).where(Character.character_id.in_(chunk))
        )
        current.update((int(row[0]), row[1]) for row in result)
    renamed = {i for i, name in names.items() if i in current and current[i] != name}
    table = _table(ENTITY_SPECS[EntityKind.CHARACTER])
    stmt = (
        update(table)
        .where(table.c.character_id == bindparam("b_id"))
        .values(name=bindparam("b_name"))
    )
    params = [{"b_id": i, "b_name": names[i]} for i in sorted(renamed)]
    for chunk in _chunks(params, WRITE_CHUNK):
        await session.execute(stmt, list(chunk), execution_options={"synchronize_session": False})
    return renamed


async def oldest_expired_ids(
    session: AsyncSession, spec: EntitySpec, now: datetime, limit: int
) -> list[int]:
    """Up to `limit` live stored ids whose details expired, the longest-fetched first."""
    if limit <= 0:
        return []
    table = _table(spec)
    id_col = table.c[spec.id_column]
    query = (
        select(id_col)
        .where(
            table.c.deleted_at.is_(None),
            (table.c.expires_at.is_(None)) | (table.c.expires_at <= now),
        )
        .order_by(table.c.fetched_at.asc().nulls_first(), id_col)
        .limit(limit)
    )
    return await _scalar_ids(session, query)


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """What storing an alliance's member list changed."""

    joined: set[int]
    departed: set[int]


async def replace_alliance_members(
    session: AsyncSession, alliance_id: int, corporation_ids: Iterable[int], seen_at: datetime
) -> MembershipChange:
    """Store an alliance's current corporations; clear `alliance_id` of those that left."""
    members = set(corporation_ids)
    stored = set(
        (
            await session.execute(
                select(AllianceCorporation.corporation_id).where(
                    AllianceCorporation.alliance_id == alliance_id
                )
            )
        ).scalars()
    )
    # Corporations may also claim the alliance from their own (older) detail fetch.
    claimed = set(
        (
            await session.execute(
                select(Corporation.corporation_id).where(Corporation.alliance_id == alliance_id)
            )
        ).scalars()
    )
    departed = (stored | claimed) - members
    joined = members - stored
    if departed:
        gone = sorted(departed)
        await session.execute(
            delete(AllianceCorporation).where(
                AllianceCorporation.alliance_id == alliance_id,
                AllianceCorporation.corporation_id.in_(gone),
            )
        )
        await session.execute(
            update(Corporation)
            .where(Corporation.corporation_id.in_(gone), Corporation.alliance_id == alliance_id)
            .values(alliance_id=None)
        )
    if members:
        table = AllianceCorporation.__table__
        assert isinstance(table, Table)
        await session.execute(
            upsert(
                _dialect(session), table, key=["alliance_id", "corporation_id"], update=["seen_at"]
            ),
            [
                {"alliance_id": alliance_id, "corporation_id": cid, "seen_at": seen_at}
                for cid in sorted(members)
            ],
        )
        # A member corporation stored before it joined shows its new alliance at once.
        await session.execute(
            update(Corporation)
            .where(
                Corporation.corporation_id.in_(sorted(members)),
                (Corporation.alliance_id.is_(None)) | (Corporation.alliance_id != alliance_id),
            )
            .values(alliance_id=alliance_id)
        )
    return MembershipChange(joined=joined, departed=departed)


async def missing_character_corporations(session: AsyncSession) -> list[int]:
    """Player corporations that stored characters belong to but that are not stored."""
    query = (
        select(Character.corporation_id)
        .where(
            Character.corporation_id.is_not(None),
            ~select(Corporation.corporation_id)
            .where(Corporation.corporation_id == Character.corporation_id)
            .exists(),
        )
        .distinct()
    )
    ids = (await session.execute(query)).scalars()
    return sorted(int(cid) for cid in ids if cid is not None and is_player_corporation(int(cid)))


async def count_by_kind(session: AsyncSession) -> dict[EntityKind, int]:
    """How many entities of each kind are stored (deleted ones included)."""
    counts: dict[EntityKind, int] = {}
    for kind, spec in ENTITY_SPECS.items():
        table = _table(spec)
        counts[kind] = int(
            (await session.execute(select(func.count()).select_from(table))).scalar_one()
        )
    return counts
