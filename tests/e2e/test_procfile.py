"""deploy/Procfile under honcho against PostgreSQL, RabbitMQ, Redis and the simulator."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from killreport.operations.heartbeat import RedisHeartbeats
from killreport.sim import SimConfig, run_simulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HONCHO = str(Path(sys.executable).with_name("honcho"))
KILLMAILS = 3
WAIT_S = 120.0
# Every role but `release` (honcho stops all processes when one exits; it runs first).
ROLES = ("api", "feed", "scheduler", "info-workers", "zkillboard")


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [HONCHO, "-f", str(ROOT / "deploy" / "Procfile"), "-d", str(ROOT), "start", *ROLES],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


async def test_procfile_roles_store_a_published_killmail_and_fetch_its_entities(
    postgres_url: str, broker_url: str, redis_url: str, tmp_path: Path
) -> None:
    plain_url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    async with run_simulator(SimConfig(seed=5, universe="tiny", r2z2_max_rps=100_000)) as sim:
        # given killmails published on the simulated R2Z2, the feed's cursor at the first
        sequences = sim.publish_killmails(KILLMAILS)
        with psycopg.connect(plain_url) as conn:
            conn.execute(
                "INSERT INTO feed_cursors (name, position, updated_at) VALUES ('r2z2', %s, %s)",
                (min(sequences), datetime.now(UTC)),
            )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")},
            "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
            "KILLREPORT_DATABASE_URL": postgres_url,
            "KILLREPORT_BROKER_URL": broker_url,
            "KILLREPORT_REDIS_URL": redis_url,
            "KILLREPORT_ESI_URL": sim.endpoints["esi"],
            "KILLREPORT_R2Z2_URL": sim.endpoints["r2z2"],
            "KILLREPORT_ZKB_API_URL": sim.endpoints["zkb_api"],
            "KILLREPORT_SSO_URL": sim.endpoints["sso"],
            "KILLREPORT_R2Z2_MIN_INTERVAL_S": "0",
            "KILLREPORT_LOG_JSON": "true",
            "KILLREPORT_DATA_DIR": str(tmp_path),
        }
        # when the Procfile's roles run under honcho
        log = tmp_path / "honcho.log"
        honcho = _start(env, log)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + WAIT_S
            named: list[tuple[object, ...]] = []
            stored: list[tuple[object, ...]] = []
            while loop.time() < deadline and honcho.poll() is None:
                stored = await asyncio.to_thread(
                    _query, plain_url, "SELECT victim_character_id FROM killmails"
                )
                named = await asyncio.to_thread(
                    _query,
                    plain_url,
                    "SELECT c.name FROM killmails k JOIN characters c "
                    "ON c.character_id = k.victim_character_id WHERE c.name IS NOT NULL",
                )
                if len(stored) == KILLMAILS and named:
                    break
                await asyncio.sleep(0.5)
            heartbeats = RedisHeartbeats(redis_url)
            try:
                beating = sorted(beat.role for beat in await heartbeats.read())
            finally:
                await heartbeats.close()
        finally:
            # honcho passes SIGTERM on to every process and waits for them.
            honcho.send_signal(signal.SIGTERM)
            await asyncio.to_thread(honcho.wait, 60)
    # then every published killmail was stored and a victim it names was fetched from ESI
    assert len(stored) == KILLMAILS
    assert named, "no victim character was fetched"
    # and each role's process was beating its heartbeat (Redis keys in this deployment)
    assert beating == sorted(["api", "feed", "scheduler", "worker", "worker"])
    # and every process stopped on SIGTERM within honcho's wait, none cancelled mid-work
    # (honcho reports rc=-15: the signal also ends the `sh -c` it starts each command in)
    output = log.read_text()
    stopped = re.findall(r"\| (\S+)\.1 stopped \(rc=", output)
    assert sorted(stopped) == sorted(ROLES), output[-3000:]
    assert "did not stop within" not in output
    assert "Traceback" not in output, output[-3000:]
