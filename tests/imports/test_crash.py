"""SIGKILL an import at a random moment, run it again: the database equals an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.killmails.corpus import corpus, everef_line

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
COUNT = 1500
WAIT_S = 120.0


def _archive(path: Path) -> None:
    lines = [everef_line(row) for row in corpus()]
    with path.open("w") as out:
        for n in range(COUNT):
            out.write(json.dumps({**lines[n % len(lines)], "killmail_id": 300_000_000 + n}) + "\n")


def _import(url: str, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KILLREPORT_DATABASE_URL": url, "KILLREPORT_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [KILLREPORT, "import", str(path), "--quiet", "--batch-size", "100"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _count(url: str) -> int:
    connection = sqlite3.connect(url.split("///", 1)[1], timeout=10)
    try:
        return int(connection.execute("SELECT count(*) FROM killmails").fetchone()[0])
    finally:
        connection.close()


def _until_count(url: str, process: subprocess.Popen[bytes], at_least: int) -> None:
    """Return once `at_least` killmails are stored; the import must still be running."""
    deadline = time.monotonic() + WAIT_S
    while (count := _count(url)) < at_least:
        assert process.poll() is None, f"the import exited with {count} killmails stored"
        assert time.monotonic() < deadline, f"{count} of {at_least} killmails in time"
        time.sleep(0.005)


def _state(url: str) -> tuple[list[tuple], list[tuple], int, int]:
    connection = sqlite3.connect(url.split("///", 1)[1])
    killmails = connection.execute("SELECT * FROM killmails ORDER BY killmail_id").fetchall()
    columns = [c[1] for c in connection.execute("PRAGMA table_info(killmails)")]
    skip = columns.index("ingested_at")
    killmails = [row[:skip] + row[skip + 1 :] for row in killmails]
    counters = connection.execute(
        "SELECT * FROM daily_entity_counters ORDER BY entity_kind, entity_id, day"
    ).fetchall()
    attackers = connection.execute("SELECT count(*) FROM attackers").fetchone()[0]
    items = connection.execute("SELECT count(*) FROM items").fetchone()[0]
    connection.close()
    return killmails, counters, attackers, items


def test_import_killed_then_rerun_equals_an_uninterrupted_run(
    sqlite_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    # given an archive and two empty databases
    archive = tmp_path / "archive.jsonl"
    _archive(archive)
    other = tmp_path / "uninterrupted.sqlite3"
    other.write_bytes(sqlite_template.read_bytes())
    other_url = f"sqlite+aiosqlite:///{other}"
    # when one import is SIGKILLed once a random number of killmails (at most half) is
    # stored, and run again to the end
    victim = _import(sqlite_url, archive)
    _until_count(sqlite_url, victim, random.randint(1, COUNT // 2))
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    killed_at = _count(sqlite_url)
    assert _import(sqlite_url, archive).wait(timeout=240) == 0
    assert _import(other_url, archive).wait(timeout=240) == 0
    # then killmails (with sequences and values), counters, attackers and items are equal
    interrupted, uninterrupted = _state(sqlite_url), _state(other_url)
    assert 0 < killed_at < COUNT, "the kill did not land mid-import"
    assert len(uninterrupted[0]) == COUNT
    assert interrupted == uninterrupted
