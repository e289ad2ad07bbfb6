"""A database filled at revision 0001 upgrades to head and keeps every row (both dialects).

Real killmails are imported and entities stored while the schema is at 0001; after the
upgrade every table holds the same rows, and the new folded-name columns are filled
for the rows that were there before.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, inspect, select, text

from killreport.db import migration
from killreport.db.engine import Database, sync_url
from killreport.db.tables import Alliance, Character, Corporation
from killreport.universe.search import SearchKind, search
from tests.harness import PostgresDatabase
from tests.stats.dataset import load as load_corpus
from tests.stats.dataset import store_static


@pytest.fixture(params=("sqlite", "postgresql"))
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'at-0001.sqlite3'}"
        return
    database = PostgresDatabase.create()
    try:
        yield database.url
    finally:
        database.drop()


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            return {
                t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
            }
    finally:
        engine.dispose()


async def test_filled_at_0001_upgrades_to_head_keeping_every_row(empty_url: str) -> None:
    # given a database at 0001 with the 108 real killmails imported and entities stored
    migration.upgrade(empty_url, "0001")
    database = Database.from_url(empty_url)
    try:
        await load_corpus(database)
        await store_static(database)
        async with database.transaction() as session:
            await session.execute(
                insert(Character),
                [{"character_id": 2_112_000_001, "name": "ÄrgerLich Pilot"}],
            )
            await session.execute(
                insert(Corporation),
                [{"corporation_id": 98000001, "name": "Core", "ticker": "CoRe"}],
            )
            await session.execute(insert(Alliance), [{"alliance_id": 99000001, "name": None}])
    finally:
        await database.dispose()
    before = _row_counts(empty_url)
    assert before["killmails"] == 108 and before["attackers"] > 108 and before["items"] > 0
    assert before["daily_entity_counters"] > 0 and before["types"] > 0
    # when it is upgraded to head
    migration.upgrade(empty_url)
    # then it is at head and every table has the rows it had
    assert migration.current_revision(empty_url) == migration.head_revision()
    after = _row_counts(empty_url)
    assert {t: after[t] for t in before} == before
    # and the rows stored before the upgrade have folded names, found by search
    database = Database.from_url(empty_url)
    try:
        async with database.transaction() as session:
            folded = (
                await session.execute(
                    select(Corporation.name_folded, Corporation.ticker_folded).where(
                        Corporation.corporation_id == 98000001
                    )
                )
            ).one()
            assert tuple(folded) == ("core", "core")
            assert (
                await session.scalar(
                    select(Alliance.name_folded).where(Alliance.alliance_id == 99000001)
                )
                is None
            )
            found = await search(session, "RIFTER", [SearchKind.ITEM_TYPE], first=1)
            assert [hit.id for hit in found] == [587]
            pilot = await search(session, "pilot", [SearchKind.CHARACTER])
            assert [hit.name for hit in pilot] == ["ÄrgerLich Pilot"]
    finally:
        await database.dispose()
