"""The import pipeline's shortcuts change nothing: bulk mode, prepared batches, fast parsing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from killreport.db.engine import Database
from killreport.jobs.imports import import_paths
from killreport.killmails import bulk as bulk_load
from killreport.killmails import repository
from killreport.killmails.parse import KillmailRejected, parse_envelope
from killreport.killmails.rows import prepare
from killreport.killmails.service import ingest_batch, ingest_prepared, price_keys, unique
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus, daily_prices, everef_line

# Columns that legitimately differ between two runs: when a row was stored.
VOLATILE = {"ingested_at"}
TABLES = {
    "killmails": "killmail_id",
    "attackers": "killmail_id, position",
    "items": "killmail_id, position",
    "daily_entity_counters": "entity_kind, entity_id, day",
}


async def _contents(database: Database, *, with_sequence: bool = True) -> dict[str, Any]:
    contents: dict[str, Any] = {}
    async with database.connection() as connection:
        for table, order in TABLES.items():
            result = await connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
            skip = VOLATILE if with_sequence else VOLATILE | {"sequence"}
            columns = list(result.keys())
            keys = [k for k in columns if k not in skip]
            contents[table] = [tuple(row._mapping[k] for k in keys) for row in result]
    return contents


async def _with_prices(url: str) -> Database:
    database = Database.from_url(url)
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    return database


def _corpus_file(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(everef_line(r)) + "\n" for r in corpus()))
    return path


async def test_bulk_import_equals_normal_import_and_rebuilds_every_index(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given the corpus file and two empty databases of the same schema
    path = _corpus_file(tmp_path)
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_url.split("///", 1)[1], other)
    normal = await _with_prices(sqlite_url)
    bulk = await _with_prices(f"sqlite+aiosqlite:///{other}")
    # when one is imported normally and the other in bulk mode, in small batches
    first = await import_paths(normal, None, None, [path], batch_size=25)
    second = await import_paths(bulk, None, None, [path], batch_size=25, bulk=True)
    # then both stored the same rows, sequences and counters
    assert first.new == second.new == len(corpus())
    assert await _contents(normal) == await _contents(bulk)
    # and bulk mode built its dropped indexes again
    async with bulk.connection() as connection:
        names = await connection.run_sync(
            lambda sync: {
                index["name"]
                for table in ("killmails", "attackers")
                for index in inspect(sync).get_indexes(table)
            }
        )
    assert {index.name for index in bulk_load.secondary_indexes()} <= names
    await normal.dispose()
    await bulk.dispose()


async def test_an_import_rebuilds_indexes_a_crashed_bulk_import_left_dropped(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given a database whose secondary indexes a killed bulk import left dropped
    database = await _with_prices(sqlite_url)
    async with database.connection() as connection:
        await bulk_load.drop_secondary_indexes(connection)
    # when any import runs (here one that finds the database no longer empty)
    await import_paths(database, None, None, [_corpus_file(tmp_path)], batch_size=50)
    await import_paths(database, None, None, [_corpus_file(tmp_path)], bulk=True)
    # then every index is back
    async with database.connection() as connection:
        names = await connection.run_sync(
            lambda sync: {index["name"] for index in inspect(sync).get_indexes("killmails")}
        )
    assert {"ix_killmails_time", "ix_killmails_total_value"} <= names
    await database.dispose()


async def test_prepared_batch_with_some_already_stored_counts_only_the_new_ones(
    sqlite_url: str, tmp_path: Path
) -> None:
    # given 40 killmails stored through the live path in one database, all 108 in another
    killmails = [parse_envelope(everef_line(r), source="test") for r in corpus()]
    other = tmp_path / "other.sqlite3"
    shutil.copyfile(sqlite_url.split("///", 1)[1], other)
    partial = await _with_prices(sqlite_url)
    whole = await _with_prices(f"sqlite+aiosqlite:///{other}")
    await ingest_batch(partial, None, killmails[:40])
    await ingest_batch(whole, None, killmails)
    # when all 108 come as a batch prepared outside the transaction (as the import's reader does)
    batch, again = unique(killmails)
    type_ids, days = price_keys(batch)
    async with partial.transaction() as session:
        book = await repository.load_prices(session, type_ids, days)
    prepared = prepare(batch, book, load_static(), sqlite=True)
    result = await ingest_prepared(partial, None, prepared, duplicates=again)
    # then the 40 are duplicates, the rest new, and rows and counters equal a one-go ingest
    assert len(result.duplicates) == 40
    assert len(result.created) == len(corpus()) - 40
    assert await _contents(partial, with_sequence=False) == await _contents(
        whole, with_sequence=False
    )
    await partial.dispose()
    await whole.dispose()


def test_fast_parse_equals_the_checked_parse_and_keeps_rejection_reasons() -> None:
    # given every corpus killmail, and one with an integer security status
    from killreport.killmails import parse

    for row in corpus():
        esi = row["esi"]
        items = esi["victim"].get("items", [])
        # then the fast item path gives exactly what the field-by-field path gives
        assert parse._fast_items(items, 1) == parse._checked_items(items, "victim.items", 1)
    line = everef_line(corpus()[0])
    line["attackers"][0]["security_status"] = -10
    assert parse_envelope(line, source="t").attackers[0].security_status == -10.0
    # when an attacker deep in the list is malformed
    bad = everef_line(corpus()[0])
    bad["attackers"] = [*bad["attackers"], {"damage_done": "9", "final_blow": False}]
    index = len(bad["attackers"]) - 1
    with pytest.raises(KillmailRejected) as caught:
        parse_envelope(bad, source="t")
    # then the reason names it exactly as before
    assert caught.value.reason == (
        f"wrong type for attackers[{index}].damage_done: expected integer, got str"
    )


async def test_the_import_pipeline_stores_what_the_live_path_stores(
    database: Database, tmp_path: Path
) -> None:
    # given the corpus file, prices, and 40 of its killmails stored by the live path
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    killmails = [parse_envelope(everef_line(r), source="import") for r in corpus()]
    await ingest_batch(database, None, killmails[:40])
    # when the whole file is imported (preparer processes; COPY text on PostgreSQL) in one
    # batch, as the live path stores it: prices are read per batch, for the batch's days
    summary = await import_paths(database, None, None, [_corpus_file(tmp_path)], batch_size=200)
    imported = await _contents(database, with_sequence=False)
    # then the 40 are duplicates, and the rows, values and counters equal the live path's
    assert (summary.new, summary.duplicate) == (len(corpus()) - 40, 40)
    async with database.transaction() as session:
        for table in TABLES:
            await session.execute(text(f"DELETE FROM {table}"))
    await ingest_batch(database, None, killmails)
    assert imported == await _contents(database, with_sequence=False)


async def _clear(database: Database) -> None:
    async with database.transaction() as session:
        for table in TABLES:
            await session.execute(text(f"DELETE FROM {table}"))


async def test_bulk_import_equals_a_normal_import_on_each_backend(
    database: Database, tmp_path: Path
) -> None:
    # given the corpus file and prices in an empty database
    path = _corpus_file(tmp_path)
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    # when it is imported in bulk (no counters per batch, keys and indexes dropped) ...
    bulk = await import_paths(database, None, None, [path], batch_size=25, bulk=True)
    loaded = await _contents(database)
    async with database.connection() as connection:
        left = await bulk_load.unfinished(connection)
    # ... and, emptied again, normally
    await _clear(database)
    normal = await import_paths(database, None, None, [path], batch_size=25)
    # then both stored the same rows, sequences and counters, and nothing stays dropped
    assert bulk.new == normal.new == len(corpus())
    assert loaded == await _contents(database)
    assert not left


async def test_a_bulk_load_cut_short_is_finished_by_the_next_import(
    database: Database, tmp_path: Path
) -> None:
    # given a stored corpus, then what a bulk load killed mid-way leaves: keys and
    # indexes dropped, no counters
    path = _corpus_file(tmp_path)
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    await import_paths(database, None, None, [path], batch_size=50)
    expected = await _contents(database)
    async with database.connection() as connection:
        await bulk_load.drop_for_bulk(connection)
        await connection.execute(text("DELETE FROM daily_entity_counters"))
    # when any import runs next (here the same file: every killmail a duplicate)
    again = await import_paths(database, None, None, [path])
    # then the counters are computed from the rows, and keys and indexes are back
    assert again.duplicate == len(corpus())
    assert await _contents(database) == expected
    async with database.connection() as connection:
        assert not await bulk_load.unfinished(connection)
