"""A worker process beside `sync all` on the embedded default: one ESI budget, one end.

The acceptance run (ten times each, two and four processes, the small universe at
50 req/s) is `python -m bench.embedded_budget`; this is one cheap run of it on the tiny
universe: one `killreport worker --all` process and `sync all` in the test process.
"""

from __future__ import annotations

from pathlib import Path

from killreport import container as container_module
from killreport.cli.sync import run_sync
from killreport.db.engine import Database
from killreport.settings import Settings
from killreport.sim import SimConfig, run_simulator
from tests.esi.embedded_fleet import (
    environment,
    esi_count,
    start_workers,
    stop_workers,
    stored_reachable,
)
from tests.universe.expected import reachable

CAP_RPS = 50


async def test_a_worker_process_and_sync_all_share_one_budget_and_finish_together(
    embedded_settings: Settings, tmp_path: Path
) -> None:
    # given the tiny simulated universe, an empty embedded database and one worker
    # process consuming every queue, both capped at 50 ESI requests per second
    async with run_simulator(SimConfig(seed=7, universe="tiny")) as sim:
        esi_url = sim.endpoints["esi"]
        url = embedded_settings.database_url
        wanted = reachable(sim.universe)
        database = Database.from_url(url)
        workers = await start_workers(1, environment(url, esi_url, CAP_RPS, tmp_path), database)
        try:
            settings = embedded_settings.model_copy(
                update={"esi_url": esi_url, "esi_max_rps": CAP_RPS}
            )
            # when `sync all` runs here with its own in-process workers
            async with container_module.build(settings) as container:
                await run_sync(container, "all", poll_s=0.1)
                stored = await stored_reachable(database, wanted)
        finally:
            await stop_workers(workers)
            await database.dispose()
        count = esi_count(sim)
    # then no second of the simulator's count went over the cap (two budgets of their
    # own would reach twice it), ESI never answered 420 or 429, and when `sync all`
    # returned everything reachable was stored, whichever process held the messages
    assert count.busiest_second <= CAP_RPS, count
    assert (count.status_420, count.status_429) == (0, 0)
    assert stored == wanted.size()
    assert wanted.size()[1] > 0 and count.requests > CAP_RPS * 4
