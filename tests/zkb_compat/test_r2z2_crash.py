"""SIGKILL a second board's `killreport feed r2z2` reading our R2Z2, restart it: same killmails."""

from __future__ import annotations

import os
import random
import signal
import subprocess
from pathlib import Path

from killreport.db.engine import Database
from killreport.settings import Settings
from tests.feeds.test_crash import KILLREPORT, _count, _cursor, _stop, _until_count, _until_cursor
from tests.killmails.corpus import corpus
from tests.zkb_compat.board import served_board, stored_bodies


def _feed(database_url: str, r2z2_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KILLREPORT_DATABASE_URL": database_url,
        "KILLREPORT_R2Z2_URL": r2z2_url,
        "KILLREPORT_R2Z2_MIN_INTERVAL_S": "0",
        "KILLREPORT_LOG_LEVEL": "WARNING",
    }
    for name in ("KILLREPORT_BROKER_URL", "KILLREPORT_REDIS_URL"):
        env.pop(name, None)
    return subprocess.Popen(
        [KILLREPORT, "feed", "r2z2", "--from-sequence", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def test_second_board_killed_mid_feed_resumes_to_the_same_killmails(
    embedded_settings: Settings, sqlite_template: Path, tmp_path: Path
) -> None:
    total = len(corpus())
    # given a board holding the 108 real killmails, served, and an empty second board
    async with served_board(embedded_settings) as first:
        second = tmp_path / "second.sqlite3"
        second.write_bytes(sqlite_template.read_bytes())
        second_url = f"sqlite+aiosqlite:///{second}"
        r2z2_url = f"{first.url}/r2z2"
        # when the second board's feed is SIGKILLed once some killmails are stored
        victim = _feed(second_url, r2z2_url)
        await _until_count(second_url, victim, random.randint(1, total - 58))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = await _count(second_url)
        cursor_at_kill = await _cursor(second_url)
        # and restarted, and run until its cursor is past our head
        restarted = _feed(second_url, r2z2_url)
        await _until_cursor(second_url, restarted, total + 1)
        await _stop(restarted)
        original = await stored_bodies(first.container.database)
    database = Database.from_url(second_url)
    try:
        copied = await stored_bodies(database)
    finally:
        await database.dispose()
    # then the kill landed mid-feed, and the second board holds exactly our killmails:
    # ids, hashes, ESI bodies; none lost, none twice
    assert 0 < killed_at < total, f"the kill did not land mid-feed: {killed_at} stored"
    assert cursor_at_kill == killed_at + 1
    assert len(original) == total
    assert copied == original
    assert await _count(second_url) == total
