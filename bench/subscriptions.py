"""Live subscriptions benchmark: 500 WebSocket subscribers, 50 killmails/s for 60 s.

Starts one `killreport api` process (PostgreSQL + Redis pub/sub, a fresh database of its
own), opens `--subscribers` WebSockets speaking graphql-transport-ws with one `newKillmail`
each (10 % unfiltered, the rest by victim alliance, attacker corporation, solar system,
region, minimum value or security space, drawn from the corpus), then ingests the 108
real killmails renumbered, one at a time at `--rate` per second for `--seconds`, through
the one ingest path (`ingest_batch`: commit, then `killmail.created` on Redis).

Prints delivered/expected (expected = the same filter as SQL over the stored killmails),
duplicates, out-of-order deliveries, commit-to-receipt latency p50/p99 (from the moment
`ingest_batch` returned, i.e. after the commit, to the client's receipt) and the API
process's CPU time and peak RSS (from /proc).

    .venv/bin/python bench/subscriptions.py [--subscribers 500] [--rate 50] [--seconds 60]

The machine is shared: figures taken while other work runs are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from sqlalchemy import select

from killreport.db import migration
from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.events.hub import RedisHub
from killreport.killmails import repository
from killreport.killmails.conditions import filter_conditions
from killreport.killmails.filters import KillmailFilter, ParticipantFilter, SecuritySpace
from killreport.killmails.parse import parse_envelope
from killreport.killmails.queries import latest_sequence
from killreport.killmails.service import ingest_batch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import PostgresDatabase, RedisDatabase  # noqa: E402
from tests.killmails.corpus import corpus, daily_prices, everef_line  # noqa: E402

ID_BASE = 300_000_000
QUERY = """
subscription Live($filter: KillmailFilter) {
  newKillmail(filter: $filter) {
    killmailId sequence killmailTime securitySpace
    solarSystemId
    victim { characterId corporationId allianceId shipTypeId }
    attackerCount
    values { total }
  }
}
"""


@dataclass
class Subscriber:
    """One WebSocket with one subscription, and what it received."""

    variables: dict[str, Any]
    domain: KillmailFilter
    sequences: list[int] = field(default_factory=list)
    arrived: dict[int, float] = field(default_factory=dict)
    closed: str | None = None
    first_sequence: int = 2


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def filters(count: int, rng: random.Random) -> list[tuple[dict[str, Any], KillmailFilter]]:
    """GraphQL filter variables and the same filter as the domain model, drawn from the corpus."""
    bodies = [row["esi"] for row in corpus()]
    alliances = sorted({b["victim"]["alliance_id"] for b in bodies if "alliance_id" in b["victim"]})
    corporations = sorted(
        {a["corporation_id"] for b in bodies for a in b["attackers"] if "corporation_id" in a}
    )
    systems = sorted({b["solar_system_id"] for b in bodies})
    out: list[tuple[dict[str, Any], KillmailFilter]] = []
    kinds = ["alliance", "corporation", "system", "region", "value", "space"]
    for n in range(count):
        if n % 10 == 0:
            out.append(({}, KillmailFilter()))
            continue
        kind = kinds[n % len(kinds)]
        if kind == "alliance":
            pick = rng.choice(alliances)
            out.append(
                (
                    {"victim": {"allianceIds": [str(pick)]}},
                    KillmailFilter(victim=ParticipantFilter(alliance_ids=(pick,))),
                )
            )
        elif kind == "corporation":
            pick = rng.choice(corporations)
            out.append(
                (
                    {"attacker": {"corporationIds": [str(pick)]}},
                    KillmailFilter(attacker=ParticipantFilter(corporation_ids=(pick,))),
                )
            )
        elif kind == "system":
            pick = rng.choice(systems)
            out.append(({"solarSystemIds": [str(pick)]}, KillmailFilter(solar_system_ids=(pick,))))
        elif kind == "region":
            pick = rng.choice(REGIONS)
            out.append(({"regionIds": [str(pick)]}, KillmailFilter(region_ids=(pick,))))
        elif kind == "value":
            pick = rng.choice([1e7, 1e8, 1e9, 1e10])
            out.append(({"minValue": pick}, KillmailFilter(min_value=pick)))
        else:
            space = rng.choice(list(SecuritySpace))
            out.append(({"securitySpace": [space.value]}, KillmailFilter(security_space=(space,))))
    return out


REGIONS: list[int] = []


async def prepare(url: str) -> None:
    """Prices of the corpus days, and the regions the corpus killmails are in."""
    database = Database.from_url(url)
    try:
        async with database.transaction() as session:
            await repository.store_prices(session, list(daily_prices()))
    finally:
        await database.dispose()
    from killreport.universe.static import load_static

    universe = load_static()
    REGIONS.extend(
        sorted(
            {
                r
                for row in corpus()
                if (r := universe.region_of_system(row["esi"]["solar_system_id"])) is not None
            }
        )
    )


async def subscribe(base: str, subscriber: Subscriber, ready: asyncio.Event) -> None:
    """One WebSocket: init, subscribe, record every killmail's arrival."""
    async with websockets.connect(
        f"ws://{base}/graphql", subprotocols=["graphql-transport-ws"], ping_interval=None
    ) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        payload = {"query": QUERY, "variables": {"filter": subscriber.variables or None}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        ready.set()
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send('{"type":"pong"}')
                elif message["type"] == "next":
                    data = message["payload"].get("data")
                    if data is None:
                        subscriber.closed = str(message["payload"].get("errors"))
                        return
                    sequence = data["newKillmail"]["sequence"]
                    if sequence < subscriber.first_sequence:
                        continue  # the warm-up killmail
                    subscriber.arrived.setdefault(sequence, time.time())
                    subscriber.sequences.append(sequence)
        except websockets.ConnectionClosed as exc:
            subscriber.closed = f"{exc.rcvd.code if exc.rcvd else None}"


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=1):
        pass


def _run_ingest(database_url: str, redis_url: str, args: argparse.Namespace) -> dict[int, float]:
    """Ingest in a process of its own (its CPU must not delay the clients' receipts)."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        result: dict[int, float] = pool.apply(
            ingest_process, (database_url, redis_url, args.rate, args.seconds, args.batch)
        )
    return result


def ingest_process(
    database_url: str, redis_url: str, rate: int, seconds: int, batch: int
) -> dict[int, float]:
    """`rate` killmails a second for `seconds`, `batch` per commit; sequence -> commit time."""
    return asyncio.run(_ingest(database_url, redis_url, rate, seconds, batch))


async def _ingest(
    database_url: str, redis_url: str, rate: int, seconds: int, batch: int
) -> dict[int, float]:
    database = Database.from_url(database_url)
    hub = RedisHub(redis_url)
    lines = [everef_line(row) for row in corpus()]
    committed: dict[int, float] = {}
    total = rate * seconds
    # Warm the static universe and the connection pool before the clock starts.
    from killreport.universe.static import load_static

    load_static()
    async with database.transaction() as session:
        await latest_sequence(session)
    started = time.perf_counter()
    late = 0
    for first in range(0, total, batch):
        due = started + first / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            late += 1
        bodies = [
            {**lines[n % len(lines)], "killmail_id": ID_BASE + n}
            for n in range(first, min(first + batch, total))
        ]
        parsed = [parse_envelope(body, source="bench") for body in bodies]
        result = await ingest_batch(database, hub, parsed, check_missing=False)
        now = time.time()
        for _killmail_id, sequence in result.created:
            committed[sequence] = now
    print(
        f"ingest: {len(committed)} killmails in {time.perf_counter() - started:.1f} s, "
        f"{late} of {total // batch} commits started late"
    )
    await hub.close()
    await database.dispose()
    return committed


def _metrics(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            text = response.read().decode()
    except OSError as exc:
        return f"(no /metrics: {exc})"
    return ", ".join(
        line
        for line in text.splitlines()
        if line.startswith(("killreport_live_catchups_total", "killreport_live_connections_cut"))
    )


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(args: argparse.Namespace) -> int:
    pg = PostgresDatabase.create()
    redis_db = RedisDatabase.claim()
    api: asyncio.subprocess.Process | None = None
    try:
        migration.upgrade(pg.url)
        await prepare(pg.url)
        port = _free_port()
        env = {
            **os.environ,
            "KILLREPORT_DATABASE_URL": pg.url,
            "KILLREPORT_REDIS_URL": redis_db.url,
            "KILLREPORT_LIVE_MAX_CONNECTIONS_PER_IP": str(args.subscribers + 10),
            "KILLREPORT_LOG_LEVEL": "WARNING",
        }
        api = await asyncio.create_subprocess_exec(
            str(ROOT / ".venv/bin/killreport"), "api", "--port", str(port), env=env
        )
        base = f"127.0.0.1:{port}"
        for attempt in range(600):
            try:
                await asyncio.to_thread(_get, f"http://{base}/healthz")
                break
            except OSError:
                if attempt == 599:
                    raise
                await asyncio.sleep(0.2)
        rng = random.Random(11)
        subscribers = [Subscriber(v, d) for v, d in filters(args.subscribers, rng)]
        readies = [asyncio.Event() for _ in subscribers]
        tasks = []
        for subscriber, ready in zip(subscribers, readies, strict=True):
            tasks.append(asyncio.create_task(subscribe(base, subscriber, ready)))
            if len(tasks) % 50 == 0:
                await asyncio.sleep(0.05)
        async with asyncio.timeout(300):
            for ready in readies:
                await ready.wait()
        await asyncio.sleep(1.0)  # every subscribe message reached the server
        print(f"{len(subscribers)} subscribers connected")

        database = Database.from_url(pg.url)
        # One killmail before the clock starts: every process has loaded what it caches.
        warm_hub = RedisHub(redis_db.url)
        warm = {**everef_line(corpus()[0]), "killmail_id": ID_BASE - 1}
        await ingest_batch(database, warm_hub, [parse_envelope(warm, source="bench")])
        await warm_hub.close()
        await asyncio.sleep(2.0)
        async with database.transaction() as session:
            first_sequence = await latest_sequence(session) + 1
        for subscriber in subscribers:
            subscriber.first_sequence = first_sequence
        cpu_before = _cpu_s(api.pid)
        clients_before = _cpu_s(os.getpid())
        started = time.perf_counter()
        committed = await asyncio.to_thread(_run_ingest, pg.url, redis_db.url, args)
        ingest_s = time.perf_counter() - started
        await asyncio.sleep(5.0)  # the last ones arrive
        cpu_s = _cpu_s(api.pid) - cpu_before
        clients_cpu_s = _cpu_s(os.getpid()) - clients_before
        metrics = await asyncio.to_thread(_metrics, f"http://{base}/metrics")
        peak_mb = _peak_rss_mb(api.pid)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

        async with database.transaction() as session:
            last_sequence = await latest_sequence(session)
            expected_of: list[set[int]] = []
            for subscriber in subscribers:
                # The filter as SQL (the `killmails` query's conditions), sequences only.
                statement = select(Killmail.sequence).where(
                    *filter_conditions(subscriber.domain),
                    Killmail.sequence >= first_sequence,
                )
                expected_of.append(set((await session.scalars(statement)).all()))
            stored = last_sequence - first_sequence + 1
        await database.dispose()

        expected = sum(len(e) for e in expected_of)
        delivered = sum(
            len(set(s.sequences) & e) for s, e in zip(subscribers, expected_of, strict=True)
        )
        extra = sum(
            len(set(s.sequences) - e) for s, e in zip(subscribers, expected_of, strict=True)
        )
        duplicates = sum(len(s.sequences) - len(set(s.sequences)) for s in subscribers)
        disorder = sum(s.sequences != sorted(s.sequences) for s in subscribers)
        closed = sum(s.closed is not None for s in subscribers)
        latencies = [
            (arrived - committed[seq]) * 1000
            for s in subscribers
            for seq, arrived in s.arrived.items()
            if seq in committed
        ]
        print(
            f"ingested {stored} killmails in {ingest_s:.1f} s "
            f"({stored / ingest_s:.1f}/s), sequences {first_sequence}..{last_sequence}"
        )
        print(
            f"delivered/expected: {delivered}/{expected} "
            f"({100 * delivered / max(expected, 1):.2f} %), unexpected {extra}, "
            f"duplicates {duplicates}, out of order {disorder}, closed early {closed}"
        )
        if latencies:
            print(
                f"commit-to-receipt: p50 {statistics.median(latencies):.1f} ms, "
                f"p99 {_percentile(latencies, 0.99):.1f} ms, "
                f"max {max(latencies):.1f} ms over {len(latencies)} deliveries"
            )
        print(
            f"API process: CPU {cpu_s:.1f} s over {ingest_s:.0f} s "
            f"({100 * cpu_s / ingest_s:.0f} % of one core), peak RSS {peak_mb:.0f} MB"
        )
        print(f"clients' process (all {len(subscribers)} WebSockets): CPU {clients_cpu_s:.1f} s")
        print("API live feed:", metrics)
        ok = delivered == expected and duplicates == 0 and extra == 0
        ok = ok and bool(latencies) and _percentile(latencies, 0.99) <= 250
        print("goal (100 %, 0 duplicates, p99 <= 250 ms):", "met" if ok else "NOT met")
        return 0 if ok else 1
    finally:
        if api is not None:
            api.terminate()
            try:
                await asyncio.wait_for(api.wait(), timeout=30)
            except TimeoutError:
                api.kill()
                await api.wait()
        redis_db.release()
        pg.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=5, help="killmails per commit")
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
