"""The API benchmark's databases: the real corpus renumbered over 90 days, built once, kept.

Killmails: the 103 corpus killmails with at most 100 attackers (as the simulator's
generator, so the 982-attacker fight does not own the indexes) are valued and derived
once by ingest's own `prepare`; the bench then renumbers their rows (ids, times spread
evenly over the 90 days before the build) and stores them through ingest's own
`ingest_prepared` (COPY on PostgreSQL, executemany on SQLite, the daily counters, dense
sequences), without the secondary indexes until the end, as `killreport import --bulk`.
Entities: the simulator's `large` universe (which holds every entity the corpus names)
and the static snapshot's types, groups, categories and map, so every name resolves.

A finished build leaves a `bench-api-built` row in `feed_cursors` holding its size and
end time; a database with that row is reused as it is.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Table, insert, select, text
from tests.killmails.corpus import corpus, daily_prices, everef_line

from killreport.db import migration
from killreport.db.engine import Database
from killreport.db.tables import (
    Alliance,
    Category,
    Character,
    Constellation,
    Corporation,
    FeedCursor,
    Group,
    Region,
    SolarSystem,
    Type,
)
from killreport.killmails.parse import parse_envelope
from killreport.killmails.repository import (
    copy_statement,
    create_secondary_indexes,
    drop_secondary_indexes,
    insert_statement,
    sqlite_time,
    store_prices,
)
from killreport.killmails.rows import Facts, PreparedBatch, count, prepare
from killreport.killmails.service import ingest_prepared
from killreport.killmails.valuation import PriceBook
from killreport.sim.generator import build_universe
from killreport.sim.killmails import MAX_TEMPLATE_ATTACKERS
from killreport.universe.static import load_static

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
POSTGRES_ADMIN = os.environ.get("KILLREPORT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
MARKER = "bench-api-built"
SPAN = timedelta(days=90)
BATCH = 2000
ID_BASE = 300_000_000
UNIVERSE_SEED = 1


@dataclass(frozen=True)
class Template:
    """One corpus killmail's storage rows, as ingest prepares them."""

    killmail: tuple[Any, ...]
    attackers: list[tuple[Any, ...]]
    items: list[tuple[Any, ...]]
    facts: Facts


@dataclass(frozen=True)
class Built:
    """A benchmark database and what it holds."""

    url: str
    size: int
    end: datetime
    build_s: float | None  # None when reused


def templates(sqlite: bool) -> list[Template]:
    """The usable corpus killmails, prepared for storage by ingest's `prepare`."""
    book = PriceBook()
    for type_id, day, price, _adjusted in daily_prices():
        book.add(type_id, day, price)
    universe = load_static()
    result = []
    for row in corpus():
        if len(row["esi"]["attackers"]) > MAX_TEMPLATE_ATTACKERS:
            continue
        parsed = parse_envelope(everef_line(row), source="bench")
        batch = prepare([parsed], book, universe, sqlite=sqlite)
        result.append(Template(batch.killmails[0], batch.attackers, batch.items, batch.facts[0]))
    return result


def template_index(templates_: list[Template], killmail_id: int) -> int:
    """Where a corpus killmail sits among the templates."""
    return next(i for i, t in enumerate(templates_) if t.facts.killmail_id == killmail_id)


def killmail_id_of(n: int) -> int:
    """The id of the n-th benchmark killmail."""
    return ID_BASE + n


def renumbered(
    templates_: list[Template], start: int, stop: int, size: int, end: datetime, sqlite: bool
) -> PreparedBatch:
    """Killmails start..stop of `size`, times rising evenly to `end`, as a prepared batch."""
    batch = PreparedBatch(sqlite=sqlite)
    step_s = SPAN.total_seconds() / size
    for n in range(start, stop):
        template = templates_[n % len(templates_)]
        killmail_id = killmail_id_of(n)
        moment = (end - timedelta(seconds=step_s * (size - n))).replace(microsecond=0)
        stored: Any = sqlite_time(moment) if sqlite else moment
        row = list(template.killmail)
        row[0], row[2] = killmail_id, stored
        batch.killmails.append(tuple(row))
        batch.attackers.extend((killmail_id, a[1], stored, *a[3:]) for a in template.attackers)
        batch.attacker_ends.append(len(batch.attackers))
        batch.items.extend((killmail_id, *i[1:]) for i in template.items)
        batch.item_ends.append(len(batch.items))
        facts = replace(template.facts, killmail_id=killmail_id, killmail_time=moment)
        batch.facts.append(facts)
        count(batch.counters, facts)
    return batch


async def _write_entities(connection: Any, table: str, rows: list[dict[str, Any]]) -> None:
    """Entity rows by COPY (PostgreSQL) or one executemany (SQLite), as ingest writes."""
    columns = list(rows[0])
    values = [tuple(row[c] for c in columns) for row in rows]
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql(insert_statement(table, columns), values)
        return
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    async with driver.cursor() as cursor, cursor.copy(copy_statement(table, columns)) as copy:
        for row in values:
            await copy.write_row(row)


def entity_rows(end: datetime) -> dict[Any, list[dict[str, Any]]]:
    """Rows of the `large` universe's entities and of the static snapshot, by table."""
    universe, _store = build_universe(UNIVERSE_SEED, "large", end.timestamp())
    members: dict[int, int] = {}
    corporations_of: dict[int, int] = {}
    for corporation in universe.corporations.values():
        if corporation.alliance_id is not None:
            members[corporation.alliance_id] = (
                members.get(corporation.alliance_id, 0) + corporation.member_count
            )
            corporations_of[corporation.alliance_id] = (
                corporations_of.get(corporation.alliance_id, 0) + 1
            )
    static = load_static()
    return {
        Alliance: [
            {
                "alliance_id": a.alliance_id,
                "name": a.name,
                "ticker": a.ticker,
                "executor_corporation_id": a.executor_corporation_id,
                "creator_id": a.creator_id,
                "creator_corporation_id": a.creator_corporation_id,
                "member_count": members.get(a.alliance_id, 0),
                "corporation_count": corporations_of.get(a.alliance_id, 0),
            }
            for a in universe.alliances.values()
        ],
        Corporation: [
            {
                "corporation_id": c.corporation_id,
                "name": c.name,
                "ticker": c.ticker,
                "alliance_id": c.alliance_id,
                "ceo_id": c.ceo_id,
                "creator_id": c.creator_id,
                "member_count": c.member_count,
                "faction_id": c.faction_id,
            }
            for c in universe.corporations.values()
        ],
        Character: [
            {
                "character_id": c.character_id,
                "name": c.name,
                "corporation_id": c.corporation_id,
                "alliance_id": universe.alliance_of(c.corporation_id),
                "security_status": c.security_status,
            }
            for c in universe.characters.values()
        ],
        Type: [
            {"type_id": t.type_id, "name": t.name, "group_id": t.group_id}
            for t in static.types.values()
        ],
        Group: [
            {"group_id": g.group_id, "name": g.name, "category_id": g.category_id}
            for g in static.groups.values()
        ],
        Category: [
            {"category_id": c.category_id, "name": c.name} for c in static.categories.values()
        ],
        SolarSystem: [
            {
                "system_id": s.system_id,
                "name": s.name,
                "constellation_id": s.constellation_id,
                "security_status": s.security_status,
            }
            for s in static.systems.values()
        ],
        Constellation: [
            {"constellation_id": c.constellation_id, "name": c.name, "region_id": c.region_id}
            for c in static.constellations.values()
        ],
        Region: [{"region_id": r.region_id, "name": r.name} for r in static.regions.values()],
    }


async def _built(database: Database) -> tuple[int, datetime] | None:
    async with database.transaction() as session:
        row = (
            await session.execute(
                select(FeedCursor.position, FeedCursor.updated_at).where(FeedCursor.name == MARKER)
            )
        ).first()
    return None if row is None else (int(row[0]), row[1])


async def _build(database: Database, size: int, end: datetime) -> None:
    sqlite = database.is_sqlite
    started = time.perf_counter()
    async with database.transaction() as session:
        await store_prices(session, list(daily_prices()))
        connection = await session.connection()
        for table, rows in entity_rows(end).items():
            await _write_entities(connection, table.__tablename__, rows)
    print(f"  entities stored in {time.perf_counter() - started:,.0f} s", flush=True)
    async with database.connection() as connection:
        await drop_secondary_indexes(connection)
    prepared = templates(sqlite)
    loaded = time.perf_counter()
    for start in range(0, size, BATCH):
        stop = min(start + BATCH, size)
        batch = renumbered(prepared, start, stop, size, end, sqlite)
        await ingest_prepared(database, None, batch, check_missing=False)
        if (stop // BATCH) % max(1, size // BATCH // 10) == 0 or stop == size:
            rate = stop / (time.perf_counter() - loaded)
            print(f"  {stop:,} killmails stored ({rate:,.0f}/s)", flush=True)
    indexed = time.perf_counter()
    async with database.connection() as connection:
        await create_secondary_indexes(connection)
        await connection.execute(text("ANALYZE"))
    print(f"  secondary indexes built in {time.perf_counter() - indexed:,.0f} s", flush=True)
    async with database.transaction() as session:
        table = FeedCursor.__table__
        assert isinstance(table, Table)
        await session.execute(insert(table).values(name=MARKER, position=size, updated_at=end))


def _postgres_url(name: str) -> str:
    return f"{POSTGRES_ADMIN.replace('postgresql://', 'postgresql+psycopg://')}/{name}"


async def ensure(backend: str, size: int) -> Built:
    """The benchmark database of this backend and size: reused when built, else built now."""
    if backend == "postgres":
        name = f"killreport_bench_api_{size}"
        with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as admin:
            if (
                admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                is None
            ):
                admin.execute(f'CREATE DATABASE "{name}"')
        url = _postgres_url(name)
    else:
        WORK.mkdir(parents=True, exist_ok=True)
        url = f"sqlite+aiosqlite:///{WORK / f'api_{size}.sqlite3'}"
    migration.upgrade(url)
    database = Database.from_url(url)
    try:
        found = await _built(database)
        if found is not None and found[0] == size:
            return Built(url, size, found[1], None)
        async with database.transaction() as session:
            if await session.scalar(text("SELECT count(*) FROM killmails")):
                raise SystemExit(f"{url} holds killmails but no finished build: drop it first")
        end = datetime.now(UTC).replace(microsecond=0)
        print(f"building {size:,} killmails on {backend} ({url})", flush=True)
        started = time.perf_counter()
        await _build(database, size, end)
        elapsed = time.perf_counter() - started
        print(f"built in {elapsed:,.0f} s ({size / elapsed:,.0f} killmails/s overall)", flush=True)
        return Built(url, size, end, elapsed)
    finally:
        await database.dispose()


if __name__ == "__main__":
    import sys

    print(asyncio.run(ensure(sys.argv[1], int(sys.argv[2]))))
