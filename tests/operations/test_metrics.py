"""`--metrics-port`: worker, feed and scheduler serve Prometheus text; counters move with work."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator
from tests.api.served import served
from tests.e2e.test_up import free_port

KILLREPORT = str(Path(sys.executable).with_name("killreport"))
KILLMAILS = 20
WAIT_S = 120.0

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def _scrape(session: aiohttp.ClientSession, port: int) -> Samples | None:
    """Every sample of the process's /metrics, parsed by prometheus_client; None if not up."""
    try:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    except aiohttp.ClientConnectionError:
        return None
    return _parse(text)


def _parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, lab), v in samples.items() if n == name and wanted <= lab)


async def _until(
    session: aiohttp.ClientSession, port: int, done: Callable[[Samples], bool]
) -> Samples:
    deadline = time.monotonic() + WAIT_S
    last: Samples | None = None
    while time.monotonic() < deadline:
        last = await _scrape(session, port)
        if last is not None and done(last):
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"metrics on {port} never got there; last scrape: {last}")


def _start(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [KILLREPORT, *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.e2e
async def test_every_role_serves_metrics_that_move_with_work(sqlite_url: str) -> None:
    config = SimConfig(seed=11, universe="tiny", r2z2_max_rps=100_000)
    async with run_simulator(config) as sim:
        # given killmails published on R2Z2 and a feed, a worker and a scheduler on metrics ports
        sequences = sim.publish_killmails(KILLMAILS)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")},
            "KILLREPORT_DATABASE_URL": sqlite_url,
            "KILLREPORT_R2Z2_URL": sim.endpoints["r2z2"],
            "KILLREPORT_ESI_URL": sim.endpoints["esi"],
            "KILLREPORT_ZKB_API_URL": sim.endpoints["zkb_api"],
            "KILLREPORT_SSO_URL": sim.endpoints["sso"],
            "KILLREPORT_R2Z2_MIN_INTERVAL_S": "0",
            "KILLREPORT_HEARTBEAT_INTERVAL_S": "1",
            "KILLREPORT_LOG_LEVEL": "WARNING",
            "KILLREPORT_LOG_JSON": "true",
        }
        ports = {"feed": free_port(), "worker": free_port(), "scheduler": free_port()}
        argv = {
            "feed": ["feed", "r2z2", "--from-sequence", str(min(sequences))],
            "worker": ["worker", "--all"],
            "scheduler": ["scheduler"],
        }
        processes = {
            role: _start([*argv[role], "--metrics-port", str(port)], env)
            for role, port in ports.items()
        }
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                # when the feed has read them and the worker has synced the entities they name
                feed = await _until(
                    session,
                    ports["feed"],
                    lambda s: _total(s, "killreport_killmails_ingested_total", outcome="created")
                    >= KILLMAILS,
                )
                worker = await _until(
                    session,
                    ports["worker"],
                    lambda s: _total(s, "killreport_messages_processed_total") > 0,
                )
                scheduler = await _scrape(session, ports["scheduler"])
        finally:
            for process in processes.values():
                process.send_signal(signal.SIGTERM)
            # Waited for off the loop: the simulator serves their last requests on it.
            codes = {role: await asyncio.to_thread(p.wait, 60) for role, p in processes.items()}
    # then every role's metrics parsed, and the counters moved with the work each did
    assert codes == {"feed": 0, "worker": 0, "scheduler": 0}
    assert scheduler is not None
    assert (
        _total(feed, "killreport_killmails_ingested_total", source="r2z2", outcome="created")
        == KILLMAILS
    )
    assert _total(feed, "killreport_feed_lag_entries") == 0
    assert _total(worker, "killreport_handler_seconds_count") >= _total(
        worker, "killreport_messages_processed_total"
    )
    assert _total(worker, "killreport_esi_requests_total", status="200") > 0
    assert _total(worker, "killreport_esi_error_limit_remaining") > 0
    # and each serves the queue gauges
    for samples in (feed, worker, scheduler):
        assert any(name == "killreport_queue_messages_ready" for name, _ in samples)
        assert any(name == "killreport_queue_dead_letters" for name, _ in samples)


async def test_the_api_metrics_time_graphql_operations(embedded_settings: Settings) -> None:
    async with served(embedded_settings, with_corpus=False) as api:
        # given the API's metrics before
        async with api.http.get(f"{api.url}/metrics") as response:
            before = _parse(await response.text())
        # when two queries run
        for _ in range(2):
            await api.data("query { workerStatus { queueName messageCount } }")
        async with api.http.get(f"{api.url}/metrics") as response:
            after = _parse(await response.text())
    # then the GraphQL histogram counted both under the query type, and the text parsed
    name = "killreport_graphql_operation_seconds_count"
    assert (
        _total(after, name, operation_type="query") - _total(before, name, operation_type="query")
        == 2
    )
