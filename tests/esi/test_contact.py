"""Real CCP hosts are never contacted without the operator's contact in the User-Agent."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport import __version__
from killreport.esi.builder import build_budget
from killreport.esi.client import EsiClient
from killreport.esi.errors import EsiContactMissing
from killreport.esi.transport import EsiTransport, TransportConfig
from killreport.settings import Settings
from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.user_agent import needs_contact
from tests.esi.loopback import Wire, loopback_session, on_host
from tests.esi.simulated import sim_settings

CONTACT = "ops@killreport.test"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with run_simulator(SimConfig(seed=4)) as running:
        yield running


def _client(settings: Settings, wire: Wire) -> EsiClient:
    budget = build_budget(settings, None)
    return EsiClient(EsiTransport(wire.session, budget, TransportConfig.from_settings(settings)))


async def test_the_real_esi_host_without_a_contact_is_refused_before_anything_is_sent(
    sim: Simulator,
) -> None:
    # given ESI at its real host name (leading to the simulator) and no contact set
    esi_url = on_host(sim.endpoints["esi"], "esi.evetech.net")
    settings = sim_settings(sim, esi_url=esi_url, user_agent_contact="")
    character_id = sorted(sim.universe.characters)[0]
    async with loopback_session() as wire:
        # when a character is asked for
        with pytest.raises(EsiContactMissing) as refused:
            await _client(settings, wire).character(character_id)
    # then the typed error names the variable, and no lookup nor request happened
    assert "KILLREPORT_USER_AGENT_CONTACT" in str(refused.value)
    assert "esi.evetech.net" in str(refused.value)
    assert (wire.resolver.lookups, wire.sent) == ([], [])
    assert sim.stats()["requests_total"] == 0


async def test_with_a_contact_the_real_host_is_asked_with_it_in_the_user_agent(
    sim: Simulator,
) -> None:
    # given the same real host name and a contact
    esi_url = on_host(sim.endpoints["esi"], "esi.evetech.net")
    settings = sim_settings(sim, esi_url=esi_url, user_agent_contact=CONTACT)
    character_id = sorted(sim.universe.characters)[0]
    async with loopback_session() as wire:
        # when a character is asked for
        character = await _client(settings, wire).character(character_id)
    # then one request went out, carrying the contact
    assert character.value.name == sim.universe.characters[character_id].name
    assert wire.resolver.lookups == ["esi.evetech.net"]
    assert [headers["User-Agent"] for _, headers in wire.sent] == [
        f"KillReport/{__version__} (+{CONTACT})"
    ]


@pytest.mark.parametrize(
    ("url", "needed"),
    [
        ("https://esi.evetech.net/characters/1/", True),
        ("https://login.eveonline.com/v2/oauth/token", True),
        ("https://zkillboard.com/api/characterID/1/", True),
        ("https://r2z2.zkillboard.com/ephemeral/sequence.json", True),
        ("https://ESI.EVETECH.NET./status/", True),
        ("http://127.0.0.1:8080/esi/status/", False),
        ("http://localhost:8080/r2z2/ephemeral/1.json", False),
        ("https://notzkillboard.com/api/", False),
        ("https://esi.evetech.net.example.org/", False),
    ],
)
def test_the_contact_is_needed_by_host_name_alone(url: str, needed: bool) -> None:
    assert needs_contact(url) is needed
