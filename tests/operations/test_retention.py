"""Retention: the daily job deletes expired cache rows, gone consumers and old heartbeats only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from killreport.cli.status import collect
from killreport.container import build
from killreport.db.engine import Database
from killreport.db.tables import HttpCache, ProcessHeartbeat, QueueConsumer
from killreport.jobs.retention import prune
from tests.conftest import make_settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


async def test_prune_deletes_what_is_done_with_and_keeps_the_rest(database: Database) -> None:
    # given cache rows expired 40 days and 1 day ago, consumers and heartbeats seen
    # 2 days and 1 minute ago
    old, recent = NOW - timedelta(days=40), NOW - timedelta(days=1)
    seen = (("gone", NOW - timedelta(days=2)), ("live", NOW - timedelta(minutes=1)))
    async with database.transaction() as session:
        await session.execute(
            insert(HttpCache),
            [
                {"url": u, "expires_at": at, "fetched_at": at}
                for u, at in (("https://esi/old", old), ("https://esi/new", recent))
            ],
        )
        await session.execute(
            insert(QueueConsumer),
            [
                {"consumer_id": c, "queue": "q", "prefetch": 1, "seen_at_ms": _ms(at)}
                for c, at in (
                    ("gone", NOW - timedelta(days=2)),
                    ("live", NOW - timedelta(minutes=1)),
                )
            ],
        )
        beat = {"role": "worker", "host": "h", "version": "1", "queues": [], "in_flight": 0}
        await session.execute(
            insert(ProcessHeartbeat),
            [
                {**beat, "process_id": p, "pid": n, "started_at": at, "last_seen": at, "handled": 0}
                for n, (p, at) in enumerate(seen)
            ],
        )
    # when the retention job runs
    deleted = await prune(database, NOW)
    # then one row of each went, and the recent ones stayed
    assert deleted == {"http_cache": 1, "queue_consumers": 1, "process_heartbeats": 1}
    async with database.transaction() as session:
        assert (await session.execute(select(HttpCache.url))).scalars().all() == ["https://esi/new"]
        assert (await session.execute(select(QueueConsumer.consumer_id))).scalars().all() == [
            "live"
        ]
        count = await session.scalar(select(func.count()).select_from(ProcessHeartbeat))
        assert count == 1


async def test_status_shows_the_sizes_of_the_pruned_tables(database: Database) -> None:
    # given one heartbeat row on an empty deployment
    async with database.transaction() as session:
        await session.execute(
            insert(ProcessHeartbeat),
            [
                {
                    "process_id": "h:1:api",
                    "role": "api",
                    "host": "h",
                    "pid": 1,
                    "version": "1",
                    "started_at": NOW,
                    "last_seen": NOW,
                    "queues": [],
                    "in_flight": 0,
                    "handled": 0,
                }
            ],
        )
    settings = make_settings(database_url=database.engine.url.render_as_string(False))
    # when the status report is collected
    async with build(settings) as container:
        report = await collect(container)
    # then it counts each pruned table's rows (and bytes on PostgreSQL)
    sizes = report["table sizes"]
    assert {name: row["rows"] for name, row in sizes.items()} == {
        "http_cache": 0,
        "queue_messages": 0,
        "queue_consumers": 0,
        "process_heartbeats": 1,
    }
    assert all(("bytes" in row) == (not database.is_sqlite) for row in sizes.values())
    assert report["killmail feed"]["r2z2_paused"] is False
