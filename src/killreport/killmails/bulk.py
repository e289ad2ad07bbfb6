"""A bulk load's schema steps: what it drops for the load, and everything it rebuilds after.

`killreport import --bulk` into an empty database drops the secondary indexes of
killmails and attackers and (PostgreSQL) the attacker and item primary keys, and writes
no daily counters per batch. At the end the counters are computed from the stored rows
in one statement, the keys added back and the indexes built: sorting once is cheaper
than checking and indexing row by row. A load cut short leaves something missing; the
next import finds that and does the same rebuild first, so nothing stays missing.
Killmail ids (their primary key) and sequences keep their unique checks throughout:
they are what tells new from duplicate.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Index, Table, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import AddConstraint, DropConstraint, PrimaryKeyConstraint

from killreport.db.tables import Attacker, Item, Killmail
from killreport.killmails.repository import lock_for_ingest
from killreport.killmails.rows import COUNTED_KINDS

logger = logging.getLogger(__name__)

_KILLMAILS: Table = Killmail.__table__  # type: ignore[assignment]
_ATTACKERS: Table = Attacker.__table__  # type: ignore[assignment]
_ITEMS: Table = Item.__table__  # type: ignore[assignment]


# Kept through a bulk load: each new batch's padding is looked up by victim and time.
KEPT_INDEXES = frozenset({"ix_killmails_victim_character"})


def secondary_indexes() -> list[Index]:
    """The killmail and attacker indexes a bulk load drops and builds again afterwards."""
    return [
        index
        for table in (_KILLMAILS, _ATTACKERS)
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if not index.unique and index.name not in KEPT_INDEXES
    ]


def dropped_keys() -> list[PrimaryKeyConstraint]:
    """The primary keys a PostgreSQL bulk load drops: the attackers' and the items'."""
    return [_ATTACKERS.primary_key, _ITEMS.primary_key]


async def is_empty(connection: AsyncConnection) -> bool:
    """True when no killmail is stored yet."""
    found = await connection.execute(select(Killmail.killmail_id).limit(1))
    return found.first() is None


async def drop_for_bulk(connection: AsyncConnection) -> None:
    """Drop the secondary indexes and (PostgreSQL) the attacker and item primary keys."""
    for index in secondary_indexes():
        await connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    if connection.dialect.name == "postgresql":
        for key in dropped_keys():
            await connection.execute(DropConstraint(key, if_exists=True))


async def drop_secondary_indexes(connection: AsyncConnection) -> None:
    """Drop the secondary indexes only (what a bulk load cut short may leave)."""
    for index in secondary_indexes():
        await connection.execute(text(f"DROP INDEX IF EXISTS {index.name}"))


def _missing(sync: Connection) -> tuple[list[Index], list[PrimaryKeyConstraint]]:
    inspector = inspect(sync)
    present = {
        index["name"]
        for table in (_KILLMAILS, _ATTACKERS)
        for index in inspector.get_indexes(table.name)
    }
    indexes = [index for index in secondary_indexes() if index.name not in present]
    keys = []
    if sync.dialect.name == "postgresql":
        keys = [
            key
            for key in dropped_keys()
            if not inspector.get_pk_constraint(key.table.name).get("constrained_columns")
        ]
    return indexes, keys


async def unfinished(connection: AsyncConnection) -> bool:
    """True when a bulk load left an index or a key missing (it was cut short)."""
    indexes, keys = await connection.run_sync(_missing)
    return bool(indexes or keys)


def _counter_sql(postgres: bool) -> str:
    day = "(k.killmail_time AT TIME ZONE 'UTC')::date" if postgres else "date(k.killmail_time)"
    parts = []
    for kind in COUNTED_KINDS:
        parts.append(
            f"SELECT '{kind}' AS entity_kind, k.victim_{kind}_id AS entity_id, {day} AS day, "
            "0 AS kills, 1 AS losses, 0 AS isk_destroyed, COALESCE(k.total_value, 0) AS isk_lost, "
            f"0 AS points FROM killmails k WHERE k.victim_{kind}_id IS NOT NULL"
        )
    for kind in COUNTED_KINDS:
        parts.append(
            f"SELECT '{kind}', a.{kind}_id, {day}, 1, 0, COALESCE(k.total_value, 0), 0, "
            f"COALESCE(k.points, 0) FROM (SELECT DISTINCT killmail_id, {kind}_id FROM attackers "
            f"WHERE {kind}_id IS NOT NULL) a JOIN killmails k ON k.killmail_id = a.killmail_id"
        )
    return (
        "INSERT INTO daily_entity_counters (entity_kind, entity_id, day, kills, losses, "
        "isk_destroyed, isk_lost, points) SELECT entity_kind, entity_id, day, SUM(kills), "
        "SUM(losses), ROUND(SUM(isk_destroyed), 2), ROUND(SUM(isk_lost), 2), SUM(points) "
        f"FROM ({' UNION ALL '.join(parts)}) parts GROUP BY entity_kind, entity_id, day"
    )


async def rebuild_counters(session: AsyncSession) -> None:
    """Compute every daily counter from the stored killmails (under the ingest lock)."""
    await lock_for_ingest(session)
    connection = await session.connection()
    await connection.exec_driver_sql("DELETE FROM daily_entity_counters")
    await connection.exec_driver_sql(_counter_sql(connection.dialect.name == "postgresql"))


async def restore(connection: AsyncConnection) -> bool:
    """Add back missing keys and build missing indexes; True when anything was missing.

    Counters are rebuilt first (by the caller, in its own transaction): a crash after
    that but before the indexes leaves them missing, so the rebuild simply runs again.
    """
    indexes, keys = await connection.run_sync(_missing)
    for key in keys:
        logger.info("bulk load: adding primary key %s back", key.name)
        await connection.execute(AddConstraint(key))

    def create(sync: Connection) -> None:
        for index in indexes:
            index.create(sync, checkfirst=True)

    await connection.run_sync(create)
    return bool(indexes or keys)
