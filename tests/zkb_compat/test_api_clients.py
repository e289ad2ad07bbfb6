"""Our own zKillboard clients read a served KillReport exactly as they read the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from killreport import container as container_module
from killreport.esi.builder import open_http_session
from killreport.jobs.zkb_history import sync_character
from killreport.settings import Settings
from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.zkb.builder import build_zkb_api_client
from killreport.zkb.models import ZkbApiKill
from tests.conftest import make_settings
from tests.zkb_compat.board import fill_from_sim, served_board, stored_bodies
from tests.zkb_compat.shapes import assert_api_element


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimConfig(seed=3, universe="tiny", zkb_api_hold_back_s=0, zkb_api_max_requests=10_000)
    async with run_simulator(config) as running:
        yield running


def _busiest(sim: Simulator) -> int:
    """The character with the most killmails among those with both kills and losses."""
    store = sim.state.store

    def lost(character_id: int) -> int:
        return sum((character_id, k) in store.losses for k in store.by_character[character_id])

    both = [c for c, ids in store.by_character.items() if 0 < lost(c) < len(ids)]
    return max(both, key=lambda c: (len(store.by_character[c]), c))


def _read(kills: list[ZkbApiKill]) -> list[tuple[int, str, Any]]:
    return [(k.killmail_id, k.zkb.hash, k.esi) for k in kills]


async def test_the_api_client_reads_a_board_as_it_reads_the_simulator(
    embedded_settings: Settings, sim: Simulator
) -> None:
    # given a served board holding the simulator's killmails, and the busiest character
    character_id = _busiest(sim)
    pages: dict[str, dict[str, Any]] = {}
    async with served_board(embedded_settings, filled=False) as served:
        await fill_from_sim(served.container, sim)
        for name, url in (("sim", sim.endpoints["zkb_api"]), ("board", f"{served.url}/api")):
            settings = make_settings(zkb_api_url=url, zkb_api_min_interval_s=0.0)
            async with open_http_session(settings) as session:
                api = build_zkb_api_client(settings, session, None)
                # when the project's client reads all, kills and losses of the character
                pages[name] = {
                    "all": [k async for page in api.character_pages(character_id) for k in page],
                    "kills": list(await api.character_page(character_id, 1, "kills")),
                    "losses": list(await api.character_page(character_id, 1, "losses")),
                    "page 2": list(await api.character_page(character_id, 2)),
                    "raw": await api.fetcher.get_json(api.character_url(character_id, 1)),
                }
        async with aiohttp.ClientSession(served.url) as http:
            async with http.get(f"/api/stats/characterID/{character_id}/") as response:
                stats = await response.json()
            # the system of the newest killmail has kills in the last 7 days
            system = sim.killmail(sim.killmail_ids()[-1]).solar_system_id
            async with http.get(f"/api/stats/solarSystemID/{system}/") as response:
                system_stats = await response.json()
            async with http.get(f"/api/solarSystemID/{system}/pastSeconds/604800/") as response:
                week_kills = await response.json()
    sim_read, board_read = pages["sim"], pages["board"]
    # then it reads the same killmails, in the same order, with the same hashes and bodies
    assert len(board_read["all"]) == len(sim.state.store.by_character[character_id]) > 1
    for side in ("all", "kills", "losses", "page 2"):
        assert _read(board_read[side]) == _read(sim_read[side]), side
    assert board_read["losses"] and board_read["kills"]
    # and every raw element is the ESI body plus zkb, in the real samples' shape
    for element in board_read["raw"]:
        assert_api_element(element)
        body = {k: v for k, v in element.items() if k != "zkb"}
        assert body == sim.killmail_body(element["killmail_id"])
        assert element["zkb"]["hash"] == sim.killmail(element["killmail_id"]).killmail_hash
    # and its stats count its kills and losses; a system's week has its most valuable kills
    assert stats["shipsDestroyed"] == len(board_read["kills"])
    assert stats["shipsLost"] == len(board_read["losses"])
    assert week_kills
    by_value = sorted(week_kills, key=lambda e: (-e["zkb"]["totalValue"], -e["killmail_id"]))
    assert system_stats["topIskKillIDs"] == [e["killmail_id"] for e in by_value][:6]
    assert system_stats["recent"]["last7Days"]["shipsDestroyed"] == len(week_kills)


async def test_the_history_worker_stores_from_a_board_what_it_stores_from_the_simulator(
    embedded_settings: Settings, sim: Simulator, sqlite_template: Path, tmp_path: Path
) -> None:
    # given a served board holding the simulator's killmails, and two empty boards
    character_id = _busiest(sim)
    copies: dict[str, dict[int, tuple[str, dict[str, Any]]]] = {}
    async with served_board(embedded_settings, filled=False) as served:
        await fill_from_sim(served.container, sim)
        for name, url in (("sim", sim.endpoints["zkb_api"]), ("board", f"{served.url}/api")):
            path = tmp_path / f"{name}.sqlite3"
            path.write_bytes(sqlite_template.read_bytes())
            settings = make_settings(
                database_url=f"sqlite+aiosqlite:///{path}",
                esi_url=sim.endpoints["esi"],
                zkb_api_url=url,
                zkb_api_min_interval_s=0.0,
                data_dir=tmp_path,
            )
            # when the history worker's job syncs the character from each
            async with container_module.build(settings) as container:
                summary = await sync_character(
                    container.database,
                    container.events,
                    container.zkb_api,
                    container.esi,
                    character_id,
                )
                assert not summary.failed and not summary.rejected
                copies[name] = await stored_bodies(container.database)
    # then both hold the same killmails: ids, hashes and ESI bodies
    assert len(copies["board"]) == len(sim.state.store.by_character[character_id])
    assert copies["board"] == copies["sim"]
