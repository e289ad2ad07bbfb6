"""Restart Redis while killmails are ingested: no subscriber misses one.

The test runs a Redis of its own on a free port (never the shared one on 6379), and
polls the database only once a minute, so what fills the gap is the feed noticing the
lost subscription or the jump in announced sequences, not the poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import redis

from killreport.settings import Settings
from tests.killmails.corpus import corpus
from tests.live.served import QUERY, live_api, parsed, until
from tests.live.wsclient import LEGACY_WS, GraphQLSocket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """redis-server on a port of this test's own, stopped and started at will."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                subprocess.run(["sleep", "0.05"], check=True)
        finally:
            client.close()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Stop it (clients see their connections drop)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def own_redis(directory: Path) -> Iterator[OwnRedis]:
    """A started Redis of our own, stopped at the end."""
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_restarting_redis_while_ingesting_loses_no_killmail(
    services_settings: Settings, tmp_path: Path
) -> None:
    rows = corpus()
    with own_redis(tmp_path) as server:
        async with (
            live_api(services_settings, redis_url=server.url, live_poll_interval_s=60.0) as api,
            GraphQLSocket.connect(api.url) as modern,
            GraphQLSocket.connect(api.url, protocol=LEGACY_WS) as legacy,
        ):
            # given two subscribers on a deployment whose events go through this Redis
            everything = await modern.subscribe(QUERY)
            allied = await legacy.subscribe(
                QUERY, {"filter": {"victim": {"allianceIds": [str(_alliance(rows))]}}}
            )
            await until(lambda: api.engine.feed.subscriptions >= 2)
            # when Redis stops while killmails are ingested, and comes back
            await api.ingest(parsed(0, 30))
            await everything.wait_for(30)
            server.stop()
            await api.ingest(parsed(30, 60))
            await api.ingest(parsed(60, 70))
            await asyncio.sleep(0.5)
            server.start()
            await asyncio.sleep(1.5)
            for start in range(70, len(rows), 10):
                await api.ingest(parsed(start, start + 10))
            await everything.wait_for(len(rows), timeout_s=20)
            await asyncio.sleep(0.3)
    # then each got every killmail meant for it, once, in order
    sequences = [r["newKillmail"]["sequence"] for r in everything.results]
    assert sequences == list(range(1, len(rows) + 1))
    allied_ids = [r["newKillmail"]["killmailId"] for r in allied.results]
    alliance = _alliance(rows)
    assert allied_ids == [
        r["killmail_id"] for r in rows if r["esi"]["victim"].get("alliance_id") == alliance
    ]


def _alliance(rows: tuple[dict, ...]) -> int:
    from collections import Counter

    alliances = [r["esi"]["victim"].get("alliance_id") for r in rows]
    return Counter(a for a in alliances if a).most_common(1)[0][0]
