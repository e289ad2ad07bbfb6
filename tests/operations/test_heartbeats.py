"""Heartbeats: `killreport status` lists processes of several hosts; a killed one goes stale."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from killreport.db.engine import Database
from killreport.operations.heartbeat import Beat, TableHeartbeats, list_processes, view
from tests.conftest import make_settings
from tests.e2e.test_up import free_port

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
# Nothing listens here: no process of these tests may reach a real ESI or zKillboard.
DEAD_URL = "http://127.0.0.1:9"
INTERVAL_S = 1.0
# Short so the test runs in seconds, long enough that a live process on a loaded box
# is never late.
STALE_AFTER_S = 10.0


def _env(settings: dict[str, str], host: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")}
    return {
        **base,
        **settings,
        "KILLREPORT_PROCESS_HOST": host,
        "KILLREPORT_HEARTBEAT_INTERVAL_S": str(INTERVAL_S),
        "KILLREPORT_HEARTBEAT_STALE_AFTER_S": str(STALE_AFTER_S),
        "KILLREPORT_ESI_URL": DEAD_URL,
        "KILLREPORT_R2Z2_URL": DEAD_URL,
        "KILLREPORT_ZKB_API_URL": DEAD_URL,
        "KILLREPORT_SSO_URL": DEAD_URL,
        # Rich tracebacks of the jobs that fail on DEAD_URL cost seconds of CPU here.
        "KILLREPORT_LOG_JSON": "true",
    }


def _status(env: dict[str, str]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [KILLREPORT, "status", "--json"], env=env, capture_output=True, timeout=120, check=True
    )
    processes: list[dict[str, Any]] = orjson.loads(result.stdout)["processes"]
    return processes


def _wait_for(env: dict[str, str], done: Any, timeout_s: float) -> None:
    """Poll the heartbeats in-process (a `killreport` start costs seconds on a loaded box)."""
    settings = make_settings(
        database_url=env["KILLREPORT_DATABASE_URL"],
        redis_url=env.get("KILLREPORT_REDIS_URL"),
        heartbeat_stale_after_s=STALE_AFTER_S,
    )

    async def poll() -> None:
        database = Database.from_url(settings.database_url)
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                views = await list_processes(settings, database)
                if done([v.as_dict() for v in views]):
                    return
                await asyncio.sleep(0.3)
        finally:
            await database.dispose()

    asyncio.run(poll())


@pytest.fixture(params=("table", "redis"))
def deployment(request: pytest.FixtureRequest, postgres_url: str) -> dict[str, str]:
    """Heartbeats in the database table (no Redis), or as Redis keys (services)."""
    env = {"KILLREPORT_DATABASE_URL": postgres_url}
    if request.param == "redis":
        env["KILLREPORT_REDIS_URL"] = request.getfixturevalue("redis_url")
        env["KILLREPORT_BROKER_URL"] = request.getfixturevalue("broker_url")
    return env


@pytest.mark.e2e
def test_processes_on_two_hosts_are_listed_and_a_killed_one_turns_stale(
    deployment: dict[str, str], tmp_path: Path
) -> None:
    # given a worker on host-a, and a scheduler and an API on host-b
    commands = {
        ("worker", "host-a"): [KILLREPORT, "worker", "--all"],
        ("scheduler", "host-b"): [KILLREPORT, "scheduler"],
        ("api", "host-b"): [KILLREPORT, "api", "--port", str(free_port())],
    }
    processes = {
        key: subprocess.Popen(
            argv,
            env=_env(deployment, key[1]),
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for key, argv in commands.items()
    }
    status_env = _env(deployment, "host-c")
    try:
        # when `killreport status --json` is asked
        _wait_for(
            status_env,
            lambda ps: {(p["role"], p["host"]) for p in ps if not p["stale"]} >= set(commands),
            timeout_s=90,
        )
        listed = _status(status_env)
        # then every process is listed, live, with its host, pid, version and start time
        by_key = {(p["role"], p["host"]): p for p in listed}
        assert set(by_key) == set(commands)
        for key, process in processes.items():
            row = by_key[key]
            assert row["pid"] == process.pid
            assert row["stale"] is False, row
            assert row["version"]
            assert datetime.fromisoformat(row["started_at"]) <= datetime.fromisoformat(
                row["last_seen"]
            )
        assert "esi_alliance_info_queue" in by_key[("worker", "host-a")]["queues"]

        # when the worker is killed with SIGKILL
        killed_at = time.monotonic()
        processes[("worker", "host-a")].send_signal(signal.SIGKILL)
        processes[("worker", "host-a")].wait(timeout=10)
        _wait_for(
            status_env,
            lambda ps: any(p["role"] == "worker" and p["stale"] for p in ps),
            timeout_s=30,
        )
        # then it turns stale within 30 s while the others stay live
        assert time.monotonic() - killed_at < 30
        listed = _status(status_env)
        stale = {(p["role"], p["host"]): p["stale"] for p in listed}
        assert stale == {
            ("worker", "host-a"): True,
            ("scheduler", "host-b"): False,
            ("api", "host-b"): False,
        }

        # when the others stop cleanly
        for key in (("scheduler", "host-b"), ("api", "host-b")):
            processes[key].send_signal(signal.SIGTERM)
            assert processes[key].wait(timeout=60) == 0
        # then they take their heartbeats with them; the killed one is still shown stale
        assert [(p["role"], p["stale"]) for p in _status(status_env)] == [("worker", True)]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


async def test_the_table_keeps_one_row_per_process_and_forgets_old_ones(
    database: Database,
) -> None:
    # given a table store and two beats of one process and one of another, long dead
    store = TableHeartbeats(database)
    now = datetime.now(UTC)
    first = Beat("worker", "h1", 10, "1.0", now - timedelta(seconds=5), now - timedelta(seconds=5))
    again = Beat("worker", "h1", 10, "1.0", first.started_at, now, ("q1",), 2, 7)
    dead = Beat("feed", "h2", 11, "1.0", now - timedelta(hours=2), now - timedelta(hours=1))
    await store.write(dead, ttl_s=7200)
    await store.write(first, ttl_s=600)
    # when the process beats again with a TTL shorter than the dead one's age
    await store.write(again, ttl_s=600)
    # then one row per live process is left, with the newest beat's values
    assert await store.read() == [again]
    # and its view is live 10 s later and stale 40 s later with a 30 s threshold
    assert [v.stale for v in view([again], 30, now + timedelta(seconds=10))] == [False]
    assert [v.stale for v in view([again], 30, now + timedelta(seconds=40))] == [True]
