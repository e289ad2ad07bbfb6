"""Refresh 93,000 stored characters against the simulator at a 50 req/s ESI budget.

Prints wall time, ESI requests (by route and status) and the refresher's peak memory.
The seed needed 93,000 requests, ~31 minutes and ~2 GB; the goal is < 2 minutes,
< 930 requests when nothing changed, < 200 MB.
Run: `.venv/bin/python bench/characters.py [--changed 0.01]`.

The figures are the refresher's own: the `large` simulator runs as a separate process
(`killreport sim serve`), and a child process stores the 93,000 characters with their
alliances and corporations as a previous sync left them (details fetched, not expired),
so this process only ever holds what `sync characters` (the affiliation refresh, then
the detail fetches it queues) holds. `--changed` moves that share of each entity kind
in the simulator first (`/_sim/advance`, days=0), which changes the affiliation of about
twice that share of characters (movers plus members of corporations that changed alliance).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from killreport import container as container_module
from killreport.cli.sync import run_sync
from killreport.db import migration
from killreport.settings import Settings

CHARACTERS = 93_000
SEED = 3
READY_TIMEOUT_S = 300.0


def _rss_mb(field: str) -> float:
    """A memory figure of this process from /proc (VmRSS now, VmHWM the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM, so the peak below is the refresh's.
    Path("/proc/self/clear_refs").write_text("5")


async def _seed(url: str) -> None:
    """Child process: store the simulator's alliances, player corporations and first
    93,000 player characters as ESI shows them, fresh (as a previous sync left them)."""
    from killreport.db.engine import Database
    from killreport.sim.esi_bodies import alliance_body, character_body, corporation_body
    from killreport.sim.generator import build_universe
    from killreport.universe import repository
    from killreport.universe.repository import Freshness
    from killreport.universe.specs import spec_for

    universe, _ = build_universe(SEED, "large", time.time())
    players = [c for c in universe.characters.values() if not c.npc][:CHARACTERS]
    bodies: dict[str, list[tuple[int, dict[str, Any]]]] = {
        "alliance": [
            (a.alliance_id, alliance_body(a)) for a in universe.alliances.values() if not a.closed
        ],
        "corporation": [
            (c.corporation_id, corporation_body(c, new_shape=False))
            for c in universe.corporations.values()
            if not c.npc and not c.closed
        ],
        "character": [
            (
                c.character_id,
                character_body(c, universe.alliance_of(c.corporation_id), new_shape=False),
            )
            for c in players
        ],
    }
    now = datetime.now(UTC)
    fresh = Freshness(now, now + timedelta(hours=23))
    database = Database.from_url(url)
    try:
        for kind, entities in bodies.items():
            spec = spec_for(kind)
            rows = [spec.row(entity_id, body) for entity_id, body in entities]
            async with database.transaction() as session:
                await repository.upsert_entities(session, spec, rows, [fresh] * len(rows))
            print(f"stored {kind}: {len(rows)}")
    finally:
        await database.dispose()


def _admin(root: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the simulator's admin API (`/_sim/...`): GET, or POST with a JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{root}/_sim/{path}", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def _start_simulator() -> tuple[subprocess.Popen[str], str]:
    """`killreport sim serve --universe large` on a free port; return it and its root URL."""
    command = [
        str(Path(sys.executable).with_name("killreport")),
        "sim",
        "serve",
        "--universe",
        "large",
        "--seed",
        str(SEED),
        "--port",
        "0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"simulator exited with {process.wait()}")
        if line.startswith("{"):
            esi = str(json.loads(line)["esi"])
            return process, esi.removesuffix("/esi")
        print(line.rstrip())
    process.terminate()
    raise RuntimeError("simulator not ready in time")


async def _refresh(url: str, esi_url: str) -> tuple[Any, float, float, float]:
    """`sync characters`' affiliation step in this process: report, wall time, RSS, peak."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, esi_url=esi_url, esi_max_rps=50
    )
    async with container_module.build(settings) as container:
        before_mb = _rss_mb("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        report = await run_sync(container, "characters", poll_s=0.2, only=("queue characters",))
        elapsed = time.perf_counter() - started
        peak_mb = _rss_mb("VmHWM")
    return report, elapsed, before_mb, peak_mb


def main(changed: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        migration.upgrade(url)
        simulator, root = _start_simulator()
        try:
            subprocess.run([sys.executable, __file__, "--seed-into", url], check=True)
            if changed > 0:
                # days=0: the stored details stay unexpired; only affiliations move.
                changes = _admin(root, "advance", {"days": 0, "change_fraction": changed})
                print("simulator changes:", changes)
            _admin(root, "stats/reset", {})
            report, elapsed, before_mb, peak_mb = asyncio.run(_refresh(url, f"{root}/esi"))
            stats = _admin(root, "stats")
        finally:
            simulator.terminate()
            simulator.wait(timeout=30)
    process_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    requests = sum(stats["requests_by_status"].values())
    print(f"steps: {report.steps}")
    print(f"messages handled: {report.handled}")
    print(f"wall time: {elapsed:.1f} s")
    print(f"ESI requests: {requests} {stats['requests_by_route']} {stats['requests_by_status']}")
    print(
        f"memory: RSS {before_mb:.0f} MB before the refresh, peak {peak_mb:.0f} MB during it "
        f"(+{peak_mb - before_mb:.0f} MB); bench process peak {process_peak_mb:.0f} MB "
        "(simulator and seeding run in other processes)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changed", type=float, default=0.0, help="share of entities changed")
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into:
        asyncio.run(_seed(args.seed_into))
    else:
        main(args.changed)
    sys.exit(0)
