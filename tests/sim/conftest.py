"""Fixtures: one small simulator per test module (built once; the universe is read-only)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from killreport.sim import SimConfig, Simulator, run_simulator

USER_AGENT = "KillReport-tests/0.1 (+tests@example.invalid)"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A fresh small simulator (seed 7) with default limits."""
    async with run_simulator(SimConfig(seed=7, universe="small")) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client with a descriptive User-Agent."""
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as session:
        yield session
