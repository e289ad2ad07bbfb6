"""Fixtures: a small simulator with quick rate-limit windows, and a player character."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from killreport.sim import SimConfig, Simulator, run_simulator

# Real bucket sizes with 2-second windows: a 2,500-killmail walk needs 3 windows.
QUICK_LIMITS = {"char-killmail": (30, 2.0), "corp-killmail": (30, 2.0), "killmail": (3600, 2.0)}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fresh small simulator (seed 7) with quick windows."""
    async with run_simulator(SimConfig(seed=7, universe="small", rate_limits=QUICK_LIMITS)) as s:
        yield s


@pytest.fixture
def pilot(sim: Simulator) -> int:
    """A player character who is no Director (so the corporation route is refused)."""
    universe = sim.universe
    return next(
        c.character_id
        for c in universe.characters.values()
        if not c.npc and c.character_id not in universe.directors
    )
