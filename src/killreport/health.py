"""Readiness probes: each named dependency answers or says why not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Probe = Callable[[], Awaitable[None]]

PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one probe: ok, or the reason it failed."""

    name: str
    ok: bool
    detail: str


async def run_probe(name: str, probe: Probe, *, timeout_s: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Run one probe with a timeout; never raises."""
    try:
        await asyncio.wait_for(probe(), timeout=timeout_s)
    except TimeoutError:
        return ProbeResult(name, False, f"no answer within {timeout_s:g} s")
    except Exception as exc:  # noqa: BLE001  (a probe reports any failure as not ready)
        return ProbeResult(name, False, f"{type(exc).__name__}: {exc}".strip()[:300])
    return ProbeResult(name, True, "ok")


async def run_probes(probes: Mapping[str, Probe]) -> list[ProbeResult]:
    """Run every probe concurrently."""
    return list(await asyncio.gather(*(run_probe(n, p) for n, p in probes.items())))
