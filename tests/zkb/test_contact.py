"""Real zKillboard hosts are never contacted without the operator's contact in the User-Agent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport import __version__
from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.zkb.builder import build_r2z2_client, build_zkb_api_client
from killreport.zkb.errors import ZkbContactMissing
from tests.esi.loopback import loopback_session, on_host
from tests.esi.simulated import sim_settings

CONTACT = "https://killreport.test/contact"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimConfig(seed=12, zkb_api_hold_back_s=0, zkb_api_max_requests=1000)
    async with run_simulator(config) as running:
        yield running


async def test_real_zkillboard_hosts_without_a_contact_are_refused_before_sending(
    sim: Simulator,
) -> None:
    # given R2Z2 and the API at their real host names (leading to the simulator), no contact
    settings = sim_settings(
        sim,
        r2z2_url=on_host(sim.endpoints["r2z2"], "r2z2.zkillboard.com"),
        zkb_api_url=on_host(sim.endpoints["zkb_api"], "zkillboard.com"),
        user_agent_contact="",
    )
    async with loopback_session() as wire:
        r2z2 = build_r2z2_client(settings, wire.session, None)
        api = build_zkb_api_client(settings, wire.session, None)
        # when the feed and the API are asked
        with pytest.raises(ZkbContactMissing) as refused_r2z2:
            await r2z2.sequence()
        with pytest.raises(ZkbContactMissing) as refused_api:
            await api.character_page(90000001)
    # then both raise the typed error naming the variable, and nothing was looked up or sent
    assert "KILLREPORT_USER_AGENT_CONTACT" in str(refused_r2z2.value)
    assert "zkillboard.com" in str(refused_api.value)
    assert (wire.resolver.lookups, wire.sent) == ([], [])
    assert sim.stats()["requests_total"] == 0


async def test_with_a_contact_r2z2_is_asked_with_it_in_the_user_agent(sim: Simulator) -> None:
    # given R2Z2 at its real host name and a contact
    sim.publish_killmails(1)
    settings = sim_settings(
        sim,
        r2z2_url=on_host(sim.endpoints["r2z2"], "r2z2.zkillboard.com"),
        user_agent_contact=CONTACT,
        r2z2_min_interval_s=0.0,
    )
    async with loopback_session() as wire:
        # when the sequence is read
        sequence = await build_r2z2_client(settings, wire.session, None).sequence()
    # then one request went out, carrying the contact
    assert sequence >= 0
    assert wire.resolver.lookups == ["r2z2.zkillboard.com"]
    assert [headers["User-Agent"] for _, headers in wire.sent] == [
        f"KillReport/{__version__} (+{CONTACT})"
    ]
