"""SIGKILL `killreport feed r2z2` at a random moment, restart it: same database as one clean run."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from killreport.sim import SimConfig, Simulator, run_simulator

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
NEW = 240
REPUBLISHED = 40
WAIT_S = 90.0


def _feed(url: str, sim: Simulator, first: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KILLREPORT_DATABASE_URL": url,
        "KILLREPORT_R2Z2_URL": sim.endpoints["r2z2"],
        "KILLREPORT_ESI_URL": sim.endpoints["esi"],
        "KILLREPORT_ZKB_API_URL": sim.endpoints["zkb_api"],
        "KILLREPORT_R2Z2_MIN_INTERVAL_S": "0",
        "KILLREPORT_LOG_LEVEL": "WARNING",
    }
    for name in ("KILLREPORT_BROKER_URL", "KILLREPORT_REDIS_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        [KILLREPORT, "feed", "r2z2", "--from-sequence", str(first)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(url.split("///", 1)[1], timeout=10)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def _count(url: str) -> int:
    rows = await asyncio.to_thread(_query, url, "SELECT count(*) FROM killmails")
    return int(rows[0][0])


async def _cursor(url: str) -> int | None:
    rows = await asyncio.to_thread(_query, url, "SELECT position FROM feed_cursors")
    return int(rows[0][0]) if rows else None


async def _until_count(url: str, feed: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while (count := await _count(url)) < at_least:
        assert feed.poll() is None, "the feed exited by itself"
        assert time.monotonic() < deadline, f"{count} of {at_least} killmails in time"
        await asyncio.sleep(0.02)


async def _until_cursor(url: str, feed: subprocess.Popen[bytes], position: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while (cursor := await _cursor(url)) != position:
        assert feed.poll() is None, "the feed exited by itself"
        assert time.monotonic() < deadline, f"cursor at {cursor}, not {position}, in time"
        await asyncio.sleep(0.02)


async def _stop(feed: subprocess.Popen[bytes]) -> None:
    feed.send_signal(signal.SIGTERM)
    try:
        # In a thread: the simulator in this event loop keeps serving meanwhile.
        await asyncio.to_thread(feed.wait, 20)
    except subprocess.TimeoutExpired:
        feed.kill()
        feed.wait()


def _state(url: str) -> dict[str, Any]:
    columns = [c[1] for c in _query(url, "PRAGMA table_info(killmails)")]
    skip = columns.index("ingested_at")
    killmails = _query(url, "SELECT * FROM killmails ORDER BY killmail_id")
    return {
        "killmails": [row[:skip] + row[skip + 1 :] for row in killmails],
        "counters": _query(
            url, "SELECT * FROM daily_entity_counters ORDER BY entity_kind, entity_id, day"
        ),
        "attackers": _query(url, "SELECT count(*) FROM attackers"),
        "items": _query(url, "SELECT count(*) FROM items"),
        "cursor": _query(url, "SELECT name, position FROM feed_cursors"),
    }


async def test_feed_killed_then_restarted_equals_an_uninterrupted_run(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    config = SimConfig(seed=11, universe="tiny", r2z2_max_rps=100_000)
    async with run_simulator(config) as sim:
        # given a feed of new killmails with republished ones, out of order, and two databases
        sequences = sim.publish_killmails(NEW, republish=REPUBLISHED, shuffle=True)
        first, last = min(sequences), max(sequences)
        other = tmp_path / "uninterrupted.sqlite3"
        other.write_bytes(sqlite_template.read_bytes())
        other_url = f"sqlite+aiosqlite:///{other}"
        # when one feed is SIGKILLed once a random number of killmails is stored (the
        # moment is found by polling, not by sleeping, so the kill lands mid-feed),
        # then restarted and run to the end
        victim = _feed(sqlite_url, sim, first)
        await _until_count(sqlite_url, victim, random.randint(1, NEW - 60))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = await _count(sqlite_url)
        restarted = _feed(sqlite_url, sim, first)
        await _until_cursor(sqlite_url, restarted, last + 1)
        await _stop(restarted)
        # and another feed runs once, uninterrupted
        clean = _feed(other_url, sim, first)
        await _until_cursor(other_url, clean, last + 1)
        await _stop(clean)
    # then killmails (sequences, values), counters, attackers, items and cursors are equal
    interrupted, uninterrupted = _state(sqlite_url), _state(other_url)
    assert 0 < killed_at < NEW, f"the kill did not land mid-feed: {killed_at} stored"
    assert len(uninterrupted["killmails"]) == NEW
    assert interrupted == uninterrupted
    assert uninterrupted["cursor"] == [("r2z2", last + 1)]
    # and the sequences have no gaps
    sequences_stored = _query(sqlite_url, "SELECT sequence FROM killmails ORDER BY sequence")
    assert [s for (s,) in sequences_stored] == list(range(1, NEW + 1))
