"""Killmail storage: the ingest lock, bulk writes (COPY / executemany), prices, bulk indexes.

Bulk rows bypass the ORM: PostgreSQL gets one COPY per table per batch, SQLite one
executemany per table. Values are written in each dialect's storage form, the same
form SQLAlchemy's column types read back. The ESI rebuild lives in `rebuild` (re-exported).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from killreport.db.dialect import insert_for
from killreport.db.tables import (
    Attacker,
    Item,
    Killmail,
    MarketPrice,
)
from killreport.killmails.derive import UNPILOTED_PAD_KEY, pad_key
from killreport.killmails.models import MissingEntities
from killreport.killmails.prices import load_price_book
from killreport.killmails.rebuild import esi_body as esi_body
from killreport.killmails.rebuild import load_killmail as load_killmail
from killreport.killmails.rows import LABELS_AT, REFERENCED_KIND_NAMES
from killreport.killmails.rows import sqlite_time as sqlite_time
from killreport.killmails.valuation import PriceBook
from killreport.universe.specs import ENTITY_SPECS
from killreport.universe.specs import EntityKind as UniverseKind

# Any number that no other advisory lock in the code uses: "KR" ingest.
INGEST_LOCK_KEY = 0x4B52_0001
ID_CHUNK = 5000

KILLMAIL_COLUMNS = tuple(c.name for c in Killmail.__table__.columns)
assert KILLMAIL_COLUMNS.index("labels") == LABELS_AT
# Prepared killmail rows stop before these two: they are given when the batch is stored.
assert KILLMAIL_COLUMNS[-2:] == ("sequence", "ingested_at")
ATTACKER_COLUMNS = tuple(c.name for c in Attacker.__table__.columns)
ITEM_COLUMNS = tuple(c.name for c in Item.__table__.columns)


@dataclass(frozen=True, slots=True)
class EntityKind:
    """An entity table a killmail can reference, for the missing-entity check."""

    name: str
    table: Table
    key: str


# The entity kinds a killmail references, named and stored as universe.specs says.
REFERENCED_KINDS = (
    UniverseKind.CHARACTER,
    UniverseKind.CORPORATION,
    UniverseKind.ALLIANCE,
    UniverseKind.TYPE,
    UniverseKind.SOLAR_SYSTEM,
)
ENTITY_KINDS = tuple(
    EntityKind(
        kind.value,
        ENTITY_SPECS[kind].table.__table__,  # type: ignore[arg-type]
        ENTITY_SPECS[kind].id_column,
    )
    for kind in REFERENCED_KINDS
)
assert tuple(kind.name for kind in ENTITY_KINDS) == REFERENCED_KIND_NAMES


def _dialect(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


def _chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


async def lock_for_ingest(session: AsyncSession) -> None:
    """Serialize ingesting transactions, so sequences stay dense and duplicates are seen.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: a no-op write takes the
    database's write lock now, before the reads that decide what is new.
    """
    if _dialect(session) == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
    else:
        await session.execute(text("UPDATE feed_cursors SET position = position WHERE 1 = 0"))


async def stored_among(
    session: AsyncSession, table: str, column: str, ids: Iterable[int]
) -> set[int]:
    """Which of these ids `table.column` holds: one query with one parameter, any count.

    PostgreSQL takes the ids as an array, SQLite as JSON text; thousands of bound
    parameters would cost more to compile than the lookup itself.
    """
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        statement = f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)"
        parameter: Any = wanted
    else:
        statement = (
            f"SELECT {column} FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))"
        )
        parameter = json.dumps(wanted)
    result = await connection.exec_driver_sql(statement, (parameter,))
    return {row[0] for row in result}


async def existing_ids(session: AsyncSession, killmail_ids: Sequence[int]) -> set[int]:
    """Which of these killmail ids are stored already."""
    return await stored_among(session, "killmails", "killmail_id", killmail_ids)


async def last_sequence(session: AsyncSession) -> int:
    """The highest sequence given so far (0 on an empty database)."""
    value = await session.scalar(select(func.max(Killmail.sequence)))
    return int(value or 0)


async def load_prices(
    session: AsyncSession, type_ids: Iterable[int], days: Iterable[date]
) -> PriceBook:
    """Prices of these types around these days (plus the nearest day for types without one)."""
    connection = await session.connection()
    sqlite = connection.dialect.name == "sqlite"
    wanted, day_list = sorted(set(type_ids)), sorted(set(days))

    def load(sync: Connection) -> PriceBook:
        def fetch(statement: str, parameters: tuple[Any, ...]) -> list[Any]:
            return list(sync.exec_driver_sql(statement, parameters).all())

        return load_price_book(fetch, sqlite=sqlite, type_ids=wanted, days=day_list)

    return await connection.run_sync(load)


async def store_prices(
    session: AsyncSession, rows: Sequence[tuple[int, date, float | None, float | None]]
) -> None:
    """Upsert daily market prices (type_id, day, average, adjusted)."""
    if not rows:
        return
    table = MarketPrice.__table__
    stmt = insert_for(_dialect(session), table)  # type: ignore[arg-type]
    stmt = stmt.on_conflict_do_update(
        index_elements=["type_id", "day"],
        set_={
            "average_price": stmt.excluded.average_price,
            "adjusted_price": stmt.excluded.adjusted_price,
        },
    )
    await session.execute(
        stmt,
        [
            {"type_id": t, "day": d, "average_price": avg, "adjusted_price": adj}
            for t, d, avg, adj in rows
        ],
    )


def copy_statement(table: str, columns: Sequence[str]) -> str:
    """The COPY ... FROM STDIN statement bulk rows are written with (text format)."""
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def insert_statement(table: str, columns: Sequence[str]) -> str:
    """The SQLite INSERT bulk rows are written with, one executemany per table."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


async def _copy(
    connection: AsyncConnection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if not rows:
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    # The copy's formatter (psycopg's C extension, far faster than Python-built text) fills
    # a buffer row by row; only full buffers are awaited, not one coroutine per row.
    async with driver.cursor() as cursor, cursor.copy(copy_statement(table, columns)) as copy:
        write_row = copy.formatter.write_row
        for row in rows:
            if data := write_row(row):
                await copy.write(data)


# Prepared COPY text has a killmail's sequence and time of storing first (given last).
KILLMAIL_TEXT_COLUMNS = (*KILLMAIL_COLUMNS[-2:], *KILLMAIL_COLUMNS[:-2])


async def write_text(session: AsyncSession, text: tuple[bytes, bytes, bytes]) -> None:
    """Write killmail, attacker and item rows given as COPY text (PostgreSQL only)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    tables = (
        ("killmails", KILLMAIL_TEXT_COLUMNS),
        ("attackers", ATTACKER_COLUMNS),
        ("items", ITEM_COLUMNS),
    )
    async with driver.cursor() as cursor:
        for (table, columns), data in zip(tables, text, strict=True):
            if data:
                async with cursor.copy(copy_statement(table, columns)) as copy:
                    await copy.write(data)


async def write_rows(
    session: AsyncSession,
    killmails: list[tuple[Any, ...]],
    attackers: list[tuple[Any, ...]],
    items: list[tuple[Any, ...]],
) -> None:
    """Insert new killmail, attacker and item rows (storage form, known not to exist)."""
    connection = await session.connection()
    tables = (
        ("killmails", KILLMAIL_COLUMNS, killmails),
        ("attackers", ATTACKER_COLUMNS, attackers),
        ("items", ITEM_COLUMNS, items),
    )
    if connection.dialect.name == "postgresql":
        for table, columns, rows in tables:
            await _copy(connection, table, columns, rows)
        return
    for table, columns, rows in tables:
        if rows:
            await connection.exec_driver_sql(insert_statement(table, columns), rows)


COUNTER_COLUMNS = (
    "entity_kind", "entity_id", "day", "kills", "losses", "isk_destroyed", "isk_lost", "points"
)  # fmt: skip
COUNTER_ARRAY_TYPES = (
    "varchar",
    "bigint",
    "date",
    "integer",
    "integer",
    "numeric",
    "numeric",
    "bigint",
)
_COUNTER_UPSERT = (
    "INSERT INTO daily_entity_counters ({columns}) {source} "
    "ON CONFLICT (entity_kind, entity_id, day) DO UPDATE SET "
    "kills = daily_entity_counters.kills + excluded.kills, "
    "losses = daily_entity_counters.losses + excluded.losses, "
    "isk_destroyed = daily_entity_counters.isk_destroyed + excluded.isk_destroyed, "
    "isk_lost = daily_entity_counters.isk_lost + excluded.isk_lost, "
    "points = daily_entity_counters.points + excluded.points"
)


async def add_counters(
    session: AsyncSession, rows: dict[tuple[str, int, date], list[float]]
) -> None:
    """Add kills, losses, ISK and points to daily per-entity counters, in key order."""
    if not rows:
        return
    connection = await session.connection()
    sqlite = connection.dialect.name == "sqlite"
    # Key order: concurrent ingesters touch shared counter rows in the same order.
    values = [
        (
            kind,
            entity_id,
            day.isoformat() if sqlite else day,
            int(v[0]),
            int(v[1]),
            round(v[2], 2),
            round(v[3], 2),
            int(v[4]),
        )
        for (kind, entity_id, day), v in sorted(rows.items())
    ]
    columns = ", ".join(COUNTER_COLUMNS)
    if sqlite:
        marks = ", ".join("?" for _ in COUNTER_COLUMNS)
        await connection.exec_driver_sql(
            _COUNTER_UPSERT.format(columns=columns, source=f"VALUES ({marks})"), values
        )
        return
    # PostgreSQL: the whole batch as one statement over arrays (unnest keeps their order).
    arrays = ", ".join(f"%s::{kind}[]" for kind in COUNTER_ARRAY_TYPES)
    source = f"SELECT * FROM unnest({arrays})"
    await connection.exec_driver_sql(
        _COUNTER_UPSERT.format(columns=columns, source=source),
        tuple(list(column) for column in zip(*values, strict=True)),
    )


async def missing_entities(
    session: AsyncSession, referenced: dict[str, set[int]]
) -> MissingEntities:
    """Which referenced ids each entity table lacks."""
    missing: dict[str, frozenset[int]] = {}
    for kind in ENTITY_KINDS:
        wanted = sorted(i for i in referenced.get(kind.name, ()) if i > 0)
        if not wanted:
            continue
        found = await stored_among(session, kind.table.name, kind.key, wanted)
        absent = frozenset(wanted) - found
        if absent:
            missing[kind.name] = absent
    return MissingEntities(missing)


async def stored_pad_keys(
    session: AsyncSession,
    victim_ids: Sequence[int],
    low: datetime,
    high: datetime,
    ship_groups: Sequence[int],
) -> Counter[str]:
    """How often each pad key occurs among stored player kills of these victims in
    [low, high), plus (when `ship_groups` is given) up to two unpiloted ship kills."""
    found: Counter[str] = Counter()
    if victim_ids:
        place = func.coalesce(Killmail.location_id, Killmail.solar_system_id)
        columns = (
            Killmail.victim_character_id,
            Killmail.final_blow_character_id,
            Killmail.victim_ship_type_id,
            Killmail.victim_ship_group_id,
            place,
            Killmail.killmail_time,
        )
        # Grouped: a victim killed again and again at one moment is one row with its count.
        rows = await session.execute(
            select(*columns, func.count())
            .where(
                Killmail.victim_character_id.in_(sorted(set(victim_ids))),
                Killmail.killmail_time >= low,
                Killmail.killmail_time < high,
                Killmail.npc.is_(False),
            )
            .group_by(*columns)
        )
        for victim, final_blow, ship, group, where, when, times in rows:
            key = pad_key(
                victim_character_id=victim,
                final_blow_character_id=final_blow,
                ship_type_id=ship,
                ship_group_id=group,
                place_id=where,
                epoch_s=int(when.timestamp()),
            )
            found[key] += int(times)
    if ship_groups:
        unpiloted = await session.execute(
            select(Killmail.killmail_id)
            .where(
                Killmail.victim_character_id.is_(None),
                Killmail.npc.is_(False),
                Killmail.victim_ship_group_id.in_(list(ship_groups)),
            )
            .limit(2)
        )
        found[UNPILOTED_PAD_KEY] = len(unpiloted.all())
    return found
