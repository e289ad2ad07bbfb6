"""Pages benchmark: `/`, a killmail page and an alliance page vs the GraphQL queries for them.

    .venv/bin/python -m bench.pages [--size 1000000] [--clients 32] [--requests 320]
                                    [--seconds 15]

Uses the PostgreSQL database of `bench/api.py` (built once and kept by
`bench/api_dataset.py`; building 1,000,000 killmails takes long the first time), serves it
with `killreport api` in its own process, and runs each page with `--clients` concurrent
clients over HTTP, then the GraphQL query of the same data (`bench/api_queries.py`) at the
same concurrency. Prints p50, p99 and requests/s of both and the p99 ratio, and the bytes
of HTML, CSS and script `/` loads. The machine is shared: figures are pessimistic when
other work runs.
"""

from __future__ import annotations

import argparse
import asyncio
import re

import aiohttp
from bench.api import GOONS, Figures, drive, graphql, parameters, serve
from bench.api_dataset import ensure
from bench.api_queries import QUERIES

# (page, its path from the parameters, the GraphQL query of the same data)
PAGES = (
    ("/", lambda p: "/", "front page"),
    ("killmail page", lambda p: f"/kill/{p['killmail']}/", "killmail with fitting"),
    ("alliance page", lambda p: f"/alliance/{GOONS}/", "alliance stats + 3 tops 7d"),
)
HTML = {"Accept": "text/html"}


async def page_weight(session: aiohttp.ClientSession, base: str) -> tuple[int, int]:
    """Bytes of `/` and of every stylesheet and script it loads."""
    async with session.get(base + "/", headers=HTML) as response:
        html = await response.read()
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', html)
    total = 0
    for asset in assets:
        async with session.get(base + asset.decode()) as response:
            total += len(await response.read())
    return len(html), total


def line(name: str, figures: Figures) -> str:
    """One result line."""
    return (
        f"{name:<28} p50 {figures.p50_ms:7.1f} ms p99 {figures.p99_ms:7.1f} ms "
        f"{figures.per_s:7.1f}/s (n={figures.count})"
    )


async def run(args: argparse.Namespace) -> None:
    """Build or reuse the database, serve it, time the pages and their queries."""
    built = await ensure("postgres", args.size)
    params = parameters(built)
    print(f"== postgres: {args.size:,} killmails ending {built.end:%Y-%m-%d %H:%M} UTC ==")
    process, url = await serve(built.url)
    base = url.removesuffix("/graphql")
    queries = {query.name: query for query in QUERIES}
    connector = aiohttp.TCPConnector(limit=args.clients)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            html_bytes, asset_bytes = await page_weight(session, base)
            print(
                f"/ weighs {html_bytes / 1024:.1f} KB of HTML + {asset_bytes / 1024:.1f} KB of "
                f"CSS and script = {(html_bytes + asset_bytes) / 1024:.1f} KB"
            )
            for name, path_of, query_name in PAGES:
                path = path_of(params)
                query = queries[query_name]
                variables = query.variables(params)
                async with session.get(base + path, headers=HTML) as response:
                    assert response.status == 200, (path, response.status)

                async def page(_slot: int, p: str = path) -> None:
                    async with session.get(base + p, headers=HTML) as answer:
                        await answer.read()

                async def query_call(
                    _slot: int, q: str = query.document, v: dict = variables
                ) -> None:  # type: ignore[type-arg]
                    await graphql(session, url, q, v)

                await page(0)
                await query_call(0)
                page_figures = await drive(page, args.clients, args.requests, args.seconds)
                query_figures = await drive(query_call, args.clients, args.requests, args.seconds)
                print(line(f"{name} {path}", page_figures))
                print(line(f"  GraphQL {query_name}", query_figures))
                print(f"  page p99 / GraphQL p99: {page_figures.p99_ms / query_figures.p99_ms:.2f}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="PostgreSQL killmails")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=320, help="per page and side")
    parser.add_argument("--seconds", type=float, default=15.0, help="per page and side")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
