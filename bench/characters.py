"""The monthly character refresh of 93,000 stored characters at a 50 req/s ESI budget.

Prints wall time, ESI requests (by route and status), the refresher's peak memory and
whether the database then holds the simulator's corporation, alliance and name for
every character. The seed needed 93,000 requests, ~31 minutes and ~2 GB; the goal
(issue 16) with every character's details 35 days old and 1 % of characters moved or
renamed: under 2 % of 93,000 requests, under 2 minutes, under 200 MB.
Run: `.venv/bin/python bench/characters.py [--changed 0.0045]`.

The figures are the refresher's own: the `large` simulator runs as a separate process
(`killreport sim serve`), and a child process stores the 93,000 characters with their
alliances and corporations as a monthly refresh finds them (details fetched 35 days ago,
expired 34 days ago), so this process only ever holds what `sync characters` (the bulk
affiliation and name refresh, then the detail fetches it queues) holds. `--changed`
moves and renames that share of each entity kind in the simulator first
(`/_sim/advance`, days=0); 0.45 % of each kind changes about 1.4 % of characters
(movers, renamed, and members of corporations that changed alliance). The check reads
the simulator's truth through its own bulk routes after the figures are taken.
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
    93,000 player characters as ESI shows them, their details 35 days old."""
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
    # As on the 1st of a month: fetched 35 days ago, expired (a day's cache) since.
    fresh = Freshness(now - timedelta(days=35), now - timedelta(days=34))
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


async def _differences(url: str, esi_url: str) -> tuple[int, int]:
    """Stored characters whose corporation, alliance or name differ from the simulator's
    (read through its bulk routes), and how many were compared."""
    from sqlalchemy import select

    from killreport.db.tables import Character

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, esi_url=esi_url, esi_max_rps=400
    )
    async with container_module.build(settings) as container:
        async with container.database.reading() as session:
            stored = {
                row[0]: (row[1], row[2], row[3])
                for row in await session.execute(
                    select(
                        Character.character_id,
                        Character.corporation_id,
                        Character.alliance_id,
                        Character.name,
                    )
                )
            }
        ids = sorted(stored)
        truth: dict[int, list[Any]] = {}
        for start in range(0, len(ids), 1000):
            batch = ids[start : start + 1000]
            for a in await container.esi.affiliations(batch):
                truth[a.character_id] = [a.corporation_id, a.alliance_id, None]
            for n in await container.esi.names(batch):
                truth.setdefault(n.id, [None, None, None])[2] = n.name
    differing = sum(1 for i, row in stored.items() if tuple(truth.get(i, ())) != row)
    return differing, len(stored)


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
                # days=0: only affiliations and names move (details are old already).
                changes = _admin(root, "advance", {"days": 0, "change_fraction": changed})
                print("simulator changes:", changes)
            _admin(root, "stats/reset", {})
            report, elapsed, before_mb, peak_mb = asyncio.run(_refresh(url, f"{root}/esi"))
            stats = _admin(root, "stats")
            differing, compared = asyncio.run(_differences(url, f"{root}/esi"))
        finally:
            simulator.terminate()
            simulator.wait(timeout=30)
    process_peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    requests = sum(stats["requests_by_status"].values())
    refresh = report.steps[0][1]
    changed = refresh.changed + refresh.renamed
    print(
        f"characters changed in the simulator: affiliation {refresh.changed}, name "
        f"{refresh.renamed} ({changed / max(1, refresh.checked):.2%} of {refresh.checked})"
    )
    print(f"steps: {report.steps}")
    print(f"messages handled: {report.handled}")
    print(f"wall time: {elapsed:.1f} s (goal < 120 s)")
    print(f"ESI requests: {requests} {stats['requests_by_route']} {stats['requests_by_status']}")
    print(f"requests against the seed's {CHARACTERS}: {requests / CHARACTERS:.2%} (goal < 2 %)")
    print(
        f"database vs simulator (corporation, alliance, name): {differing} of {compared} "
        f"characters differ"
    )
    print(
        f"memory: RSS {before_mb:.0f} MB before the refresh, peak {peak_mb:.0f} MB during it "
        f"(+{peak_mb - before_mb:.0f} MB); bench process peak {process_peak_mb:.0f} MB "
        "(simulator and seeding run in other processes)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changed", type=float, default=0.0045, help="share of entities changed")
    parser.add_argument("--seed-into", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into:
        asyncio.run(_seed(args.seed_into))
    else:
        main(args.changed)
    sys.exit(0)
