"""`killreport up` as a real process: migrates, serves /readyz, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import psycopg
import pytest

from tests.harness import PostgresDatabase

pytestmark = pytest.mark.e2e

KILLREPORT = str(Path(sys.executable).with_name("killreport"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> dict:
    """Poll /readyz until it answers; fail if the process dies first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"process exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                return orjson.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("never became ready")


def run_up(env: dict[str, str], cwd: Path) -> tuple[dict, int]:
    port = free_port()
    process = subprocess.Popen(
        [KILLREPORT, "up", "--port", str(port)],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = wait_ready(f"http://127.0.0.1:{port}", process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    return body, process.returncode


def test_up_on_a_fresh_directory_uses_sqlite_and_is_ready(tmp_path: Path) -> None:
    # given an empty directory and no KILLREPORT_ settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")}
    # when `killreport up` runs there and is stopped with SIGTERM
    body, _ = run_up(env, tmp_path)
    # then it was ready on the database alone and left a migrated SQLite file behind
    assert body == {"status": "ready", "checks": {"database": {"ok": True, "detail": "ok"}}}
    assert (tmp_path / "var" / "killreport.sqlite3").stat().st_size > 0


def test_up_with_a_postgres_url_uses_postgres(tmp_path: Path) -> None:
    # given an empty PostgreSQL database named in KILLREPORT_DATABASE_URL
    database = PostgresDatabase.create()
    try:
        # when `killreport up` runs
        body, _ = run_up({"KILLREPORT_DATABASE_URL": database.url}, tmp_path)
        # then it is ready, it migrated PostgreSQL, and it made no SQLite file
        assert body["status"] == "ready"
        with psycopg.connect(database.plain_url) as conn:
            version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        assert version is not None
        assert not (tmp_path / "var").exists()
    finally:
        database.drop()
