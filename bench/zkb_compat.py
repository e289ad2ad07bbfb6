"""How fast a board serves zKillboard's shapes: a second board following its R2Z2, API pages.

    .venv/bin/python bench/zkb_compat.py                      # 2,000 simulator killmails
    .venv/bin/python bench/zkb_compat.py --killmails 5000 --pages 50

The first board (SQLite) holds simulator killmails and is served by uvicorn in this
process; a second board (SQLite) follows its `/r2z2/` with the R2Z2 follower, then the
zKillboard API client reads full 200-element pages. Figures taken while other work runs
on the machine are pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.serving import serve
from tests.zkb_compat.board import fill_from_sim

from killreport.api.app import create_app
from killreport.container import build
from killreport.db import migration
from killreport.esi.builder import open_http_session
from killreport.feeds.r2z2 import FeedConfig, R2Z2Follower
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator
from killreport.zkb.builder import build_zkb_api_client


def _settings(path: Path, **values: object) -> Settings:
    url = f"sqlite+aiosqlite:///{path}"
    migration.upgrade(url)
    return Settings(_env_file=None, database_url=url, data_dir=path.parent, **values)  # type: ignore[call-arg]


async def main(killmails: int, pages: int) -> None:
    """Fill, serve, follow, page; print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        async with run_simulator(SimConfig(seed=5, universe="small")) as sim:
            sim.publish_killmails(max(killmails - len(sim.killmail_ids()), 0))
            first = _settings(Path(tmp) / "first.sqlite3")
            async with build(first) as board:
                await fill_from_sim(board, sim)
                async with serve(create_app(board)) as url:
                    second = _settings(
                        Path(tmp) / "second.sqlite3",
                        r2z2_url=f"{url}/r2z2",
                        r2z2_min_interval_s=0.0,
                    )
                    async with build(second) as follower_board:
                        follower = R2Z2Follower(
                            follower_board.database,
                            follower_board.events,
                            None,
                            follower_board.r2z2,
                            FeedConfig(not_yet_wait_s=0.01),
                        )
                        head = await follower_board.r2z2.sequence()
                        started = time.perf_counter()
                        position = 1
                        while position <= head:
                            position, _wait_s = await follower.step(position)
                        follow_s = time.perf_counter() - started
                    print(
                        f"R2Z2 follow: {head} killmails in {follow_s:.2f} s "
                        f"= {head / follow_s:,.0f} killmails/s (fetch entry, parse, ingest)"
                    )
                    settings = Settings(
                        _env_file=None, zkb_api_url=f"{url}/api", zkb_api_min_interval_s=0.0
                    )  # type: ignore[call-arg]
                    async with open_http_session(settings) as session:
                        api = build_zkb_api_client(settings, session, None)
                        started = time.perf_counter()
                        elements = 0
                        for _ in range(pages):
                            elements += len(await api.fetcher.get_json(f"{url}/api/npc/0/"))
                        api_s = time.perf_counter() - started
                    print(
                        f"API pages: {pages} pages of {elements / pages:.0f} elements "
                        "(/api/npc/0/) "
                        f"in {api_s:.2f} s = {api_s / pages * 1000:.0f} ms per page"
                    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--killmails", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.killmails, arguments.pages))
