"""API benchmark: the GraphQL query mix over HTTP vs the same queries as hand-written SQL.

    .venv/bin/python -m bench.api [--size 1000000] [--backend both|postgres|sqlite]
                                  [--clients 32] [--requests 320] [--seconds 20]

Databases (built once and kept, see `bench/api_dataset.py`): PostgreSQL with `--size`
killmails (`killreport_bench_api_<size>`), SQLite with a tenth of them
(`var/bench/api_<size/10>.sqlite3`). For each backend it serves the API with
`killreport api` in its own process and runs every query of the mix with `--clients`
concurrent clients over HTTP, then the same query as hand-written SQL (the rows the page
needs, names included) at the same concurrency; each side stops after `--requests`
requests or `--seconds`. Page 200 starts after the cursor the API's own `encode_cursor`
makes for the 4,975th row (`--walk` walks the 199 pages over HTTP instead). Before
timing, each query's GraphQL answer is checked to hold the same rows as its SQL. Prints
p50, p99 and requests/s per query, the p99 ratio, page 200 against page 1, and the API
process's peak RSS. The machine is shared: figures are pessimistic when other work runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import psycopg
from bench.api_dataset import ROOT, Built, ensure, killmail_id_of, template_index, templates
from bench.api_queries import (
    ALLIANCE_KILLS,
    DEEP_PAGE,
    PAGE,
    QUERIES,
    Query,
    graphql_rows,
    sql_rows,
)
from bench.ingest import RssSampler

from killreport.killmails.filters import KillmailOrder
from killreport.killmails.queries import encode_cursor
from killreport.killmails.repository import sqlite_time

GOONS = 1354830081
JITA = 30000142
# The corpus killmail with the most item lines inside containers.
FITTED_TEMPLATE = 69047522


@dataclass(frozen=True)
class Figures:
    """Latencies of one side of one query."""

    p50_ms: float
    p99_ms: float
    per_s: float
    count: int


def figures(latencies_s: list[float], elapsed_s: float) -> Figures:
    """p50, p99 and throughput of a run."""
    ordered = sorted(latencies_s)

    def at(share: float) -> float:
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return Figures(at(0.50), at(0.99), len(ordered) / elapsed_s, len(ordered))


async def drive(
    call: Callable[[int], Awaitable[None]], clients: int, requests: int, seconds: float
) -> Figures:
    """Run `call(client)` from `clients` concurrent clients until enough requests or time."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    issued = 0

    async def client(slot: int) -> None:
        nonlocal issued
        while issued < requests and time.perf_counter() < deadline:
            issued += 1
            begun = time.perf_counter()
            await call(slot)
            latencies.append(time.perf_counter() - begun)

    await asyncio.gather(*(client(slot) for slot in range(clients)))
    return figures(latencies, time.perf_counter() - started)


class RawPostgres:
    """One psycopg connection per client; a request runs the query's statements in order."""

    def __init__(self, url: str, clients: int) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.clients = clients
        self.connections: list[psycopg.AsyncConnection[Any]] = []

    async def open(self, clients: int | None = None) -> None:
        """Connect every client (or as many as asked); only while the SQL side runs, so the
        served API and the other users of a shared server keep their connections."""
        for _ in range(len(self.connections), clients or self.clients):
            connection = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            self.connections.append(connection)

    async def run(self, slot: int, statements: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
        """Every statement's rows."""
        results = []
        async with self.connections[slot].cursor() as cursor:
            for statement, params in statements:
                await cursor.execute(statement, params)
                results.append(await cursor.fetchall())
        return results

    async def close(self) -> None:
        """Disconnect."""
        for connection in self.connections:
            await connection.close()
        self.connections = []


_NAMED = re.compile(r"%\((\w+)\)s")


class RawSqlite:
    """One sqlite3 connection per client, each on a thread of its own."""

    def __init__(self, url: str, clients: int) -> None:
        self.path = url.split("///", 1)[1]
        self.pool = ThreadPoolExecutor(max_workers=clients)
        self.connections = [
            sqlite3.connect(self.path, check_same_thread=False) for _ in range(clients)
        ]

    async def open(self, clients: int | None = None) -> None:
        """Nothing to do: connected already."""

    def _run(self, slot: int, statements: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
        connection = self.connections[slot]
        results = []
        for statement, params in statements:
            converted = {
                k: sqlite_time(v) if isinstance(v, datetime) else v for k, v in params.items()
            }
            rows = connection.execute(_NAMED.sub(r":\1", statement), converted).fetchall()
            results.append(rows)
        return results

    async def run(self, slot: int, statements: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
        """Every statement's rows."""
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, self._run, slot, statements
        )

    async def close(self) -> None:
        """Disconnect."""
        for connection in self.connections:
            connection.close()
        self.pool.shutdown()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve(url: str) -> tuple[subprocess.Popen[bytes], str]:
    """`killreport api` on a free port against the database; its process and GraphQL URL."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KILLREPORT_")},
        "KILLREPORT_DATABASE_URL": url,
        "KILLREPORT_LOG_LEVEL": "WARNING",
        # One client address makes every request here: the per-IP limit would throttle it.
        "KILLREPORT_API_RATE_LIMIT_PER_S": "1000000",
        "KILLREPORT_API_RATE_LIMIT_BURST": "10000000",
        "KILLREPORT_GRAPHQL_IDE": "false",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (started once, before any timing)
        [str(ROOT / ".venv" / "bin" / "killreport"), "api", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            try:
                async with session.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return process, f"{base}/graphql"
            except aiohttp.ClientError:
                pass
            if process.poll() is not None:
                raise SystemExit(f"killreport api exited with {process.returncode}")
            await asyncio.sleep(0.1)
    process.kill()
    raise SystemExit("killreport api did not answer /healthz within 60 s")


async def graphql(
    session: aiohttp.ClientSession, url: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """POST a query; its data, or SystemExit naming the errors."""
    async with session.post(url, json={"query": document, "variables": variables}) as response:
        body = await response.json()
    if response.status != 200 or body.get("errors"):
        raise SystemExit(f"GraphQL answered {response.status}: {body.get('errors')}")
    return dict(body["data"])


async def deep_cursor(
    session: aiohttp.ClientSession, url: str, query: Query, variables: dict[str, Any], page: int
) -> str:
    """The cursor that the deep page starts after, walked page by page through the API."""
    after = None
    for _ in range(page - 1):
        data = await graphql(session, url, query.document, {**variables, "after": after})
        connection = data["killmails"]
        assert connection["pageInfo"]["hasNextPage"], f"fewer than {page} pages"
        after = connection["pageInfo"]["endCursor"]
    assert after is not None
    return after


def cursor_after(moment: datetime | str, killmail_id: int) -> str:
    """The API's own cursor for the row the deep page starts after (no 199-page walk)."""
    if isinstance(moment, str):  # SQLite's stored text, naive UTC
        moment = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    row: Any = SimpleNamespace(killmail_time=moment, killmail_id=killmail_id, total_value=None)
    return encode_cursor(KillmailOrder.TIME_DESC, row)


def parameters(built: Built) -> dict[str, Any]:
    """What the queries ask about: the alliance, the system, the killmail, the windows."""
    prepared = templates(sqlite=False)
    # the last killmail built from the fitted template
    index = template_index(prepared, FITTED_TEMPLATE)
    last = index + ((built.size - 1 - index) // len(prepared)) * len(prepared)
    end_day = built.end.date()
    monday = end_day - timedelta(days=end_day.weekday())
    return {
        "alliance": GOONS,
        "system": JITA,
        "killmail": killmail_id_of(last),
        "since_7d": datetime.now(built.end.tzinfo) - timedelta(days=7),
        "week_start": monday,
        "week_end": monday + timedelta(days=7),
        "week_at": end_day.isoformat(),
        "search": "goon",
    }


async def bench_backend(backend: str, size: int, args: argparse.Namespace) -> None:
    """Build or reuse the database, serve it, run the mix both ways, print the figures."""
    built = await ensure(backend, size)
    params = parameters(built)
    print(f"\n== {backend}: {size:,} killmails ending {built.end:%Y-%m-%d %H:%M} UTC ==")
    raw: RawPostgres | RawSqlite = (
        RawPostgres(built.url, args.clients)
        if backend == "postgres"
        else RawSqlite(built.url, args.clients)
    )
    await raw.open(1)
    process, url = await serve(built.url)
    sampler = RssSampler(process.pid)
    sampler.start()
    connector = aiohttp.TCPConnector(limit=args.clients)
    results: dict[str, tuple[Figures, Figures]] = {}
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            for query in QUERIES:
                if args.only and not any(part in query.name for part in args.only.split(",")):
                    continue
                # LAST_7_DAYS ends at the API's now: take the SQL side's "now" just before
                params["since_7d"] = datetime.now(UTC) - timedelta(days=7)
                variables = query.variables(params)
                statements_params = dict(params)
                if query.name == "alliance kills p200":
                    kills = (await raw.run(0, [(ALLIANCE_KILLS, params)]))[0][0][0]
                    params["deep_page"] = min(DEEP_PAGE, int(kills) // PAGE)
                    print(f"(deep page: {params['deep_page']} of {int(kills) / PAGE:,.0f})")
                    position = await raw.run(0, query.position(params))
                    statements_params["t"], statements_params["id"] = position[0][0]
                    if args.walk:
                        variables["after"] = await deep_cursor(
                            session, url, query, variables, params["deep_page"]
                        )
                    else:
                        variables["after"] = cursor_after(*position[0][0])
                statements = query.statements(statements_params, backend)
                data = await graphql(session, url, query.document, variables)
                answer = graphql_rows(query, data)
                expected = sql_rows(query, await raw.run(0, statements))
                if answer != expected:
                    raise SystemExit(f"{query.name}: GraphQL {answer!r} != SQL {expected!r}")

                async def over_http(_slot: int, q: Query = query, v: Any = variables) -> None:
                    await graphql(session, url, q.document, v)

                async def over_sql(slot: int, s: Any = statements) -> None:
                    await raw.run(slot, s)

                api = await drive(over_http, args.clients, args.requests, args.seconds)
                await raw.open()
                sql = await drive(over_sql, args.clients, args.requests, args.seconds)
                if isinstance(raw, RawPostgres):
                    await raw.close()
                    await raw.open(1)
                results[query.name] = (api, sql)
                print(
                    f"{query.name:<26} API p50 {api.p50_ms:7.1f} ms p99 {api.p99_ms:7.1f} ms "
                    f"{api.per_s:7.1f}/s | SQL p50 {sql.p50_ms:7.1f} ms p99 {sql.p99_ms:7.1f} ms "
                    f"{sql.per_s:7.1f}/s | p99 ratio {api.p99_ms / sql.p99_ms:5.2f} "
                    f"(n={api.count}/{sql.count})",
                    flush=True,
                )
    finally:
        sampler.done.set()
        sampler.join()
        process.terminate()
        process.wait(timeout=30)
        await raw.close()
    peak_mb = sampler.peaks_kb.get(process.pid, 0) / 1024
    if "alliance kills p1" in results and "alliance kills p200" in results:
        first, deep = results["alliance kills p1"][0], results["alliance kills p200"][0]
        print(f"page {params['deep_page']} / page 1, API p99: {deep.p99_ms / first.p99_ms:.2f}")
    print(f"API process peak RSS: {peak_mb:,.0f} MB")


def main() -> None:
    """Parse arguments and run each backend."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="PostgreSQL killmails")
    parser.add_argument("--backend", choices=("both", "postgres", "sqlite"), default="both")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=320, help="per query and side")
    parser.add_argument("--seconds", type=float, default=20.0, help="per query and side")
    parser.add_argument("--only", default="", help="comma-separated parts of query names")
    parser.add_argument(
        "--walk", action="store_true", help="reach page 200 by walking every page over HTTP"
    )
    args = parser.parse_args()
    if args.backend in ("both", "postgres"):
        asyncio.run(bench_backend("postgres", args.size, args))
    if args.backend in ("both", "sqlite"):
        asyncio.run(bench_backend("sqlite", max(1, args.size // 10), args))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
