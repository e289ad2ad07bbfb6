"""A worker process killed with SIGKILL mid-batch loses nothing and does nothing twice in effect."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from killreport.bus.contracts import EntityIdsMessage
from killreport.container import Container
from killreport.settings import Settings
from tests.bus.probe import create_probe_table, probe_count, probe_rows
from tests.conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 10_000
PREFETCH = 20


def worker_env(settings: Settings) -> dict[str, str]:
    """This environment without KILLREPORT_* variables, plus the test's settings as them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")}
    for name, value in settings.model_dump(exclude_none=True).items():
        raw = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        env[f"KILLREPORT_{name.upper()}"] = str(raw)
    env["KILLREPORT_LOG_LEVEL"] = "WARNING"
    return env


def start_worker(settings: Settings, queue: str) -> subprocess.Popen[bytes]:
    """`python -m tests.bus.probe` with the test's settings in KILLREPORT_* variables."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bus.probe", queue, str(PREFETCH)],
        cwd=ROOT,
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def wait_rows(container: Container, at_least: int, process: subprocess.Popen[bytes]) -> int:
    """Poll bus_probe until it has `at_least` rows; fail if the worker dies first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count = await probe_count(container)
        if count >= at_least:
            return count
        if process.poll() is not None:
            raise AssertionError(process.stderr.read().decode()[-3000:] if process.stderr else "")
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} messages handled in time")


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_sigkill_mid_batch_then_restart_handles_each_message_once(
    container: Container, settings: Settings, backend: str
) -> None:
    # given 10,000 messages waiting and a worker process upserting each into bus_probe
    await create_probe_table(container)
    queue = "probe_crash"
    await container.bus.publish_many(queue, (EntityIdsMessage(ids=[n]) for n in range(MESSAGES)))
    first = start_worker(settings, queue)
    try:
        # when it is killed with SIGKILL mid-batch
        handled_before_kill = await wait_rows(container, 1500, first)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert handled_before_kill < MESSAGES
    # and two new worker processes start on the same database (the killed one's leases
    # expire, the broker requeues its unacked messages)
    workers = [start_worker(settings, queue) for _ in range(2)]
    try:
        await wait_rows(container, MESSAGES, workers[0])
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            _, stderr = worker.communicate(timeout=30)
            assert worker.returncode == 0, stderr.decode()[-3000:]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    # then every message was handled and the database has each exactly once
    rows = await probe_rows(container)
    assert sorted(rows) == list(range(MESSAGES))
    stats = (await container.bus.queue_stats([queue]))[0]
    assert (stats.ready, stats.dead) == (0, 0)
    extra = sum(rows.values()) - MESSAGES
    if backend.startswith("embedded"):
        # the ack commits with the handler's transaction: nothing was even done twice
        assert extra == 0
    else:
        # RabbitMQ: only messages in flight at the kill (at most prefetch) ran again
        assert 0 <= extra <= PREFETCH
