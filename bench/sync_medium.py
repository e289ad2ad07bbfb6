"""`sync all` on the `medium` simulated universe, from an empty database, on both deployments.

Usage: .venv/bin/python -m bench.sync_medium [--backend embedded|services|both] [--rps 400]

Two phases per deployment, each timed and compared with the simulator's data
(tests/universe/expected.py: the same ids, every field as the simulator has it):

1. `sync all` alone: everything ESI lets a sync reach from `GET /alliances`.
2. The way a real deployment meets everyone else: the simulator's killmails are imported
   (`killreport import` of their ESI bodies as JSON Lines), `scan entities` queues every
   participant the database lacks, the entity queues are followed to empty and `sync all`
   runs again. Then every alliance, corporation and character named in a killmail, or
   reachable from one, must be stored right.

ESI cannot list characters, so a character must be named by a reachable entity or be in
a killmail to be discovered; the simulator generates every character into at least one
killmail, so the check also fails when any player character is left out. The sim on
loopback is the only server, so the ESI budget is raised (--rps). Figures taken while
other engineers share the machine's two cores are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import orjson
from tests.conftest import make_settings
from tests.harness import PostgresDatabase, RabbitVhost, RedisDatabase
from tests.universe.expected import Reachable, differences, killmail_participants, reachable

from killreport import container as container_module
from killreport.cli.sync import run_sync
from killreport.container import Container
from killreport.db import migration
from killreport.jobs.imports import import_paths
from killreport.jobs.scan import scan_entities
from killreport.settings import Settings
from killreport.sim.config import SimConfig
from killreport.sim.server import Simulator, run_simulator

SEED = 7


@contextmanager
def deployment(backend: str, tmp: Path) -> Iterator[Settings]:
    """Settings of an empty deployment: SQLite + embedded queue, or PostgreSQL + RabbitMQ +
    Redis (a database, vhost and Redis db of its own, removed afterwards)."""
    if backend == "embedded":
        url = f"sqlite+aiosqlite:///{tmp / 'sync.sqlite3'}"
        migration.upgrade(url)
        yield make_settings(database_url=url, data_dir=tmp)
        return
    database, vhost, redis = PostgresDatabase.create(), RabbitVhost.create(), RedisDatabase.claim()
    try:
        migration.upgrade(database.url)
        yield make_settings(
            database_url=database.url, broker_url=vhost.url, redis_url=redis.url, data_dir=tmp
        )
    finally:
        database.drop()
        vhost.delete()
        redis.release()


@asynccontextmanager
async def wired(settings: Settings, sim: Simulator, rps: int) -> AsyncIterator[Container]:
    """A container against the simulator, its clock the simulator's (ESI Expires)."""
    configured = settings.model_copy(
        update={"esi_url": sim.endpoints["esi"], "esi_max_rps": rps, "esi_max_concurrency": 40}
    )
    async with container_module.build(configured) as container:
        container.esi.transport.clock = lambda: datetime.fromtimestamp(sim.state.clock.now(), UTC)
        yield container


def write_killmails(sim: Simulator, path: Path) -> int:
    """The simulator's killmails as JSON Lines of ESI bodies with their hash."""
    ids = sim.killmail_ids()
    with path.open("wb") as out:
        for killmail_id in ids:
            body = {**sim.killmail_body(killmail_id)}
            body["killmail_hash"] = sim.killmail(killmail_id).killmail_hash
            out.write(orjson.dumps(body) + b"\n")
    return len(ids)


async def check(label: str, container: Container, sim: Simulator, wanted: Reachable) -> bool:
    """Compare the stored entities with the simulator's; print pass/fail and examples."""
    problems = await differences(container.database, sim.universe, wanted)
    alliances, corporations, characters = wanted.size()
    verdict = "PASS" if not problems else f"FAIL ({len(problems)} differences)"
    print(
        f"  {label}: {verdict}: {alliances} alliances, {corporations} corporations, "
        f"{characters} characters expected"
    )
    for problem in problems[:10]:
        print(f"    {problem}")
    return not problems


async def run(backend: str, rps: int) -> bool:
    """Both phases on one deployment; True when both compare equal."""
    print(f"{backend}:")
    with tempfile.TemporaryDirectory() as tmp_name, deployment(backend, Path(tmp_name)) as base:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        async with run_simulator(SimConfig(seed=SEED, universe="medium")) as sim:
            print(f"  simulator ready in {time.perf_counter() - started:.1f} s")
            async with wired(base, sim, rps) as container:
                started = time.perf_counter()
                await run_sync(container, "all", poll_s=0.1)
                elapsed = time.perf_counter() - started
                requests = sum(sim.stats()["requests_by_status"].values())
                print(f"  sync all: {elapsed:.1f} s, {requests} ESI requests")
                ok = await check("sync all", container, sim, reachable(sim.universe))

                archive = tmp / "killmails.jsonl"
                count = write_killmails(sim, archive)
                sim.reset_stats()
                started = time.perf_counter()
                summary = await import_paths(
                    container.database,
                    container.events,
                    container.bus,
                    [archive],
                    check_missing=False,
                )
                imported_s = time.perf_counter() - started
                scanned = await scan_entities(container.database, container.bus)
                await run_sync(
                    container, "characters", poll_s=0.1, only=("queue character-corporations",)
                )
                await run_sync(container, "all", poll_s=0.1)
                elapsed = time.perf_counter() - started
                requests = sum(sim.stats()["requests_by_status"].values())
                print(
                    f"  import {count} killmails ({summary.new} new, {imported_s:.1f} s), "
                    f"scan entities {scanned}, queues followed to empty, sync all: "
                    f"{elapsed:.1f} s, {requests} ESI requests"
                )
                bodies = (sim.killmail_body(i) for i in sim.killmail_ids())
                named = killmail_participants(bodies)
                wanted = reachable(
                    sim.universe,
                    alliances=named.alliances,
                    corporations=named.corporations,
                    characters=named.characters,
                )
                ok = await check("killmails + scan + sync all", container, sim, wanted) and ok
                players = {c.character_id for c in sim.universe.characters.values() if not c.npc}
                hidden = len(players - wanted.characters)
                print(
                    f"  player characters in the universe: {len(players)}; named nowhere ESI "
                    f"or a killmail shows (cannot be discovered): {hidden}"
                )
                ok = ok and hidden == 0
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("embedded", "services", "both"), default="both")
    parser.add_argument("--rps", type=int, default=400, help="ESI budget (requests per second)")
    args = parser.parse_args()
    backends = ("embedded", "services") if args.backend == "both" else (args.backend,)
    results = {backend: asyncio.run(run(backend, args.rps)) for backend in backends}
    print("result:", ", ".join(f"{b} {'PASS' if ok else 'FAIL'}" for b, ok in results.items()))
    raise SystemExit(0 if all(results.values()) else 1)


if __name__ == "__main__":
    main()
