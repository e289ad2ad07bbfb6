"""A migrated database on both dialects, and a container wired to the `sim` fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from killreport import container as container_module
from killreport.container import Container
from killreport.settings import Settings
from killreport.sim.server import Simulator


@pytest.fixture
async def container(settings: Settings, sim: Simulator) -> AsyncIterator[Container]:
    """The deployment's container against the module's `sim`, with a generous ESI budget
    (the simulator on loopback is the only server)."""
    configured = settings.model_copy(
        update={"esi_url": sim.endpoints["esi"], "esi_max_rps": 400, "esi_max_concurrency": 40}
    )
    async with container_module.build(configured) as built:
        # ESI's Expires headers are in simulated time: the client's cache reads that clock.
        built.esi.transport.clock = lambda: datetime.fromtimestamp(sim.state.clock.now(), UTC)
        yield built
