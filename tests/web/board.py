"""A served KillReport on the simulator (`killreport up --sim`) for the browser tests.

One board per test module: SQLite, the small universe (it holds the real corpus), nothing
published until a test asks the simulator's admin API to publish (the real corpus
killmails by id, or generated ones).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.test_up import free_port

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
# Image URLs point here; the browser tests answer them with a placeholder (no network).
IMAGE_SERVER = "http://images.invalid"


@dataclass
class Board:
    """A running board: its URL, the simulator's URL and the database file."""

    url: str
    sim_url: str
    database: Path
    log: Path

    def publish(self, *, killmail_ids: list[int] | None = None, count: int = 0) -> list[int]:
        """Publish killmails on the simulated R2Z2; return their R2Z2 sequences."""
        body: dict[str, object] = {"count": count}
        if killmail_ids is not None:
            body["killmail_ids"] = killmail_ids
        request = urllib.request.Request(
            f"{self.sim_url}/_sim/publish",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return list(json.loads(response.read())["sequences"])

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        """Rows of a read-only query on the board's database."""
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return list(connection.execute(sql, args).fetchall())
        except sqlite3.OperationalError as exc:  # not migrated yet
            if "no such table" not in str(exc):
                raise
            return []
        finally:
            connection.close()

    def wait_for(self, sql: str, expected: int, timeout_s: float = 60) -> None:
        """Wait until a count query reaches `expected`."""
        deadline = time.monotonic() + timeout_s
        while True:
            rows = self.query(sql)
            if rows and int(str(rows[0][0])) >= expected:
                return
            if time.monotonic() > deadline:
                log = self.log.read_text()[-3000:]
                raise AssertionError(f"{sql!r} stayed at {rows} below {expected}: {log}")
            time.sleep(0.2)


def _preload(env: dict[str, str], workdir: Path, lines: list[dict[str, object]]) -> None:
    """Migrate and import killmails before the board starts (the import queues their names)."""
    path = workdir / "preload.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for command in (["db", "upgrade"], ["import", str(path), "--quiet"]):
        subprocess.run(
            [KILLREPORT, *command], env=env, check=True, capture_output=True, timeout=120
        )


@contextmanager
def running_board(workdir: Path, preload: list[dict[str, object]] = ()) -> Iterator[Board]:  # type: ignore[assignment]
    """Start `killreport up --sim` on the small universe (after importing `preload`, EVE Ref
    JSON lines); stop it afterwards."""
    database = workdir / "board.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")},
        "KILLREPORT_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "KILLREPORT_DATA_DIR": str(workdir),
        "KILLREPORT_LOG_LEVEL": "WARNING",
        "KILLREPORT_IMAGE_SERVER_URL": IMAGE_SERVER,
        # The real corpus names ~3,300 pilots; the simulator serves them faster than ESI.
        "KILLREPORT_ESI_MAX_RPS": "1000",
        "KILLREPORT_ESI_MAX_CONCURRENCY": "100",
    }
    port = free_port()
    # Logins come back to this board; sessions and stored tokens need a key.
    env["KILLREPORT_SSO_CALLBACK_URL"] = f"http://127.0.0.1:{port}/auth/callback"
    env["KILLREPORT_SECRET_KEY"] = "browser-test-secret-key-0123456789abcdef"
    if preload:
        _preload(env, workdir, list(preload))
    log = workdir / "board.log"
    errors = log.open("w")
    process = subprocess.Popen(
        [
            KILLREPORT,
            "up",
            "--sim",
            "--sim-universe",
            "small",
            "--sim-rate",
            "0",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        found = re.search(r"simulator at (http://\S+) ", banner)
        assert found, f"{banner!r}; log: {log.read_text()[-2000:]}"
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                assert process.poll() is None, f"killreport up exited: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, "the board did not start serving"
                time.sleep(0.2)
        yield Board(url, found.group(1), database, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        errors.close()
