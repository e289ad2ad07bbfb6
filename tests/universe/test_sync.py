"""`sync all` on the `tiny` universe, both deployments: from an empty database every
entity ESI lets a sync reach is stored right; a day later, with 1% of the universe
changed, the changes are stored and the unchanged rest costs 304s or nothing.

`tiny` (20 generated alliances, 200 corporations and 2,000 characters; 20, 131 and 131
reachable) keeps this contract test within the suite's time budget: `small` (368, 950
and 950 reachable, with the real killmails' entities) took 68 s on SQLite and 276 s on
PostgreSQL + RabbitMQ on the loaded 2-core machine. Medium's full check, including
every killmail participant, is `bench/sync_medium.py`.

ESI cannot list characters, nor corporations outside alliances, so "every entity" is
`tests.universe.expected.reachable`: every open alliance (`GET /alliances`); every
corporation that is a member, executor or creator of one, or that a stored character
belongs to; every character that is the CEO or creator of a stored corporation or the
creator of a stored alliance; and, transitively, the alliances those name. Characters
seen only in killmails come from ingestion (`scan entities`); `bench/sync_medium.py`
covers them by importing the simulator's killmails first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport.cli.sync import run_sync
from killreport.container import Container
from killreport.sim.config import SimConfig
from killreport.sim.server import Simulator, run_simulator
from tests.universe.expected import differences, reachable


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=7, universe="tiny")) as simulator:
        yield simulator


async def test_sync_all_stores_the_universe_then_only_its_changes(
    container: Container, sim: Simulator
) -> None:
    # given an empty database and the tiny simulated universe
    wanted = reachable(sim.universe)
    assert wanted.size() == (20, 131, 131)
    # when `sync all` runs
    first = await run_sync(container, "all", poll_s=0.1)
    # then exactly the reachable alliances, corporations and characters are stored right
    assert first.handled
    assert await differences(container.database, sim.universe, wanted) == []
    # given a day passes and 1% of the universe changes
    changes = sim.advance(days=1, change_fraction=0.01)
    assert changes["characters_moved"] > 0 and changes["alliances_closed"] > 0
    sim.reset_stats()
    # when `sync all` runs again
    await run_sync(container, "all", poll_s=0.1)
    # then those changes are stored: everything reachable now is current, entities stored
    # before are current too, and closed alliances are marked deleted
    wanted = reachable(sim.universe)
    assert await differences(container.database, sim.universe, wanted, exact=False) == []
    # and the unchanged rest cost conditional requests answered 304
    by_status = {int(k): v for k, v in sim.stats()["requests_by_status"].items()}
    assert by_status.get(304, 0) > 0
    assert by_status.get(200, 0) < by_status[304]
