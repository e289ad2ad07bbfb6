"""The live feed without WebSockets: polling for other processes' kills, resume, limits.

Engine logic, so on SQLite only; both deployments are covered over real WebSockets in
test_subscriptions.py and test_redis_restart.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from killreport.api.live.connection import LiveCloseCode, LiveConnection
from killreport.api.live.errors import ConnectionClosed, ReplayTooLarge
from killreport.api.live.feed import LiveFeed
from killreport.api.live.source import DatabaseKillmails, plain
from killreport.db.engine import Database
from killreport.events.hub import InProcessHub
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from tests.killmails.corpus import corpus, everef_line

POLL_S = 0.1


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    """An empty migrated SQLite database (the engine's logic is the same on both)."""
    db = Database.from_url(sqlite_url)
    try:
        yield db
    finally:
        await db.dispose()


def _killmails(start: int, stop: int) -> list:
    return [parse_envelope(everef_line(r), source="test") for r in corpus()[start:stop]]


class Closes:
    """Records how connections were closed."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    async def __call__(self, code: int, reason: str) -> None:
        self.calls.append((code, reason))


def _connection(buffer_size: int = 1000) -> tuple[LiveConnection, Closes]:
    closes = Closes()
    return LiveConnection(client="127.0.0.1", buffer_size=buffer_size, close=closes), closes


async def _collect(stream, count: int, timeout_s: float = 10.0) -> list[KillmailDetail]:
    got: list[KillmailDetail] = []
    async with asyncio.timeout(timeout_s):
        async for item in stream:
            got.append(item)
            if len(got) == count:
                break
    return got


def _feed(database: Database, events: InProcessHub | None, scan_max: int = 10_000) -> LiveFeed:
    source = DatabaseKillmails(database, plain)
    return LiveFeed(source, events, poll_interval_s=POLL_S, replay_scan_max=scan_max)


async def test_kills_committed_by_another_process_arrive_by_polling(database: Database) -> None:
    # given a feed with no events hub at all (another process ingests, no Redis)
    async with _feed(database, None).running() as feed:
        connection, _ = _connection()
        stream = feed.subscribe(connection, lambda _item: True)
        receiving = asyncio.create_task(_collect(stream, 12))
        await asyncio.sleep(0)
        # when killmails are ingested without publishing any event
        await ingest_batch(database, None, _killmails(0, 5))
        await ingest_batch(database, None, _killmails(5, 12))
        got = await receiving
    # then every one arrives, once, in sequence order
    assert [k.sequence for k in got] == list(range(1, 13))


async def test_a_jump_in_announced_sequences_is_filled_from_the_database(
    database: Database,
) -> None:
    # given a feed on an in-process hub whose poll is too slow to matter
    hub = InProcessHub()
    source = DatabaseKillmails(database, plain)
    feed = LiveFeed(source, hub, poll_interval_s=60.0, replay_scan_max=1000)
    async with feed.running():
        connection, _ = _connection()
        receiving = asyncio.create_task(_collect(feed.subscribe(connection, lambda _i: True), 9))
        await asyncio.sleep(0)
        # when three batches are stored but only the last one's events are published
        await ingest_batch(database, None, _killmails(0, 3))
        await ingest_batch(database, None, _killmails(3, 6))
        await ingest_batch(database, hub, _killmails(6, 9))
        got = await receiving
    # then the missing six come from the database before the announced three
    assert [k.sequence for k in got] == list(range(1, 10))


async def test_resume_replays_then_goes_live_without_gap_or_duplicate(database: Database) -> None:
    # given 20 stored killmails and a feed following them
    hub = InProcessHub()
    await ingest_batch(database, hub, _killmails(0, 20))
    victims_in_alliance = lambda k: k.victim_alliance_id is not None  # noqa: E731
    async with _feed(database, hub).running() as feed:
        # when a client resumes after sequence 7 while more are ingested
        connection, _ = _connection()
        stream = feed.subscribe(connection, victims_in_alliance, after_sequence=7)
        first = await stream.__anext__()
        ingesting = asyncio.create_task(ingest_batch(database, hub, _killmails(20, 40)))
        expected = [i + 1 for i, r in enumerate(corpus()[:40]) if i + 1 > 7 and _in_alliance(r)]
        rest = await _collect(stream, len(expected) - 1)
        await ingesting
    # then it gets exactly the matching killmails after 7, stored then live, in order, once
    assert [first.sequence, *(k.sequence for k in rest)] == expected


def _in_alliance(row: dict) -> bool:
    return row["esi"]["victim"].get("alliance_id") is not None


async def test_resume_too_far_back_is_refused(database: Database) -> None:
    # given 30 stored killmails and a feed that replays at most 10 back
    await ingest_batch(database, None, _killmails(0, 30))
    async with _feed(database, None, scan_max=10).running() as feed:
        connection, _ = _connection()
        # when a client asks for everything after sequence 5
        stream = feed.subscribe(connection, lambda _i: True, after_sequence=5)
        # then it is told to page with the killmails query
        with pytest.raises(ReplayTooLarge, match="page with the killmails query"):
            await stream.__anext__()


async def test_a_connection_that_reads_nothing_is_closed_and_others_still_get_all(
    database: Database,
) -> None:
    # given two subscribers, one that never reads (buffer of 5) and one that does
    hub = InProcessHub()
    async with _feed(database, hub).running() as feed:
        slow, slow_closes = _connection(buffer_size=5)
        slow_stream = feed.subscribe(slow, lambda _i: True)
        fast, _ = _connection()
        receiving = asyncio.create_task(_collect(feed.subscribe(fast, lambda _i: True), 30))
        await asyncio.sleep(0)
        slow_first = asyncio.create_task(slow_stream.__anext__())
        await asyncio.sleep(0)
        # when 30 killmails are ingested
        await ingest_batch(database, hub, _killmails(0, 30))
        got = await receiving
        await asyncio.sleep(0.05)
    # then the slow connection is closed with the overflow code, the fast one has all 30
    assert [k.sequence for k in got] == list(range(1, 31))
    assert slow.closed
    assert [code for code, _ in slow_closes.calls] == [LiveCloseCode.BUFFER_OVERFLOW]
    assert "afterSequence" in slow_closes.calls[0][1]
    # and its stream, having taken the first, ends instead of sending more after the close
    assert (await slow_first).sequence == 1
    with pytest.raises(ConnectionClosed):
        await slow_stream.__anext__()
