"""A worker's ESI calls survive a cache database outage: the call goes without the cache."""

from __future__ import annotations

from killreport.sim import SimConfig, run_simulator
from tests.esi.simulated import esi_stack

# Nothing listens on port 1: every connection to this database is refused at once.
UNREACHABLE_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:1/killreport"


async def test_esi_answers_when_the_http_cache_database_is_unreachable() -> None:
    async with run_simulator(SimConfig(seed=3)) as sim:
        alliance_id = sim.universe.active_alliance_ids()[0]
        expected = sim.universe.alliances[alliance_id]
        # given an ESI client whose HTTP cache lives in a database nobody answers for
        async with esi_stack(sim, database_url=UNREACHABLE_DATABASE_URL) as stack:
            # when an alliance is asked for twice (a cache read, a store, a read again)
            first = await stack.client.alliance(alliance_id)
            second = await stack.client.alliance(alliance_id)
    # then ESI's answer comes back both times, as the simulator holds it
    assert first.value.name == second.value.name == expected.name
    assert first.value.ticker == expected.ticker
