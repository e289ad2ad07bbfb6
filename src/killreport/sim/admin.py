"""`/_sim/...`: counters, endpoints, universe counts and run-time knobs over HTTP."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from killreport.sim import r2z2
from killreport.sim.lifecycle import advance_universe
from killreport.sim.state import SimState

_FAULT_FIELDS = ("latency_ms", "error_rate", "timeout_rate", "reset_rate", "timeout_s")


def reset_limits(state: SimState) -> None:
    """Refill buckets and forget error windows and request rates."""
    state.errors.reset()
    state.buckets.reset()
    state.r2z2_rate.reset()
    state.zkb_rate.reset()


def apply_faults(state: SimState, body: dict[str, Any]) -> None:
    """Set fault knobs from a JSON object; `force` maps status -> seconds, `clear` drops them."""
    faults = state.faults
    for name in _FAULT_FIELDS:
        if name in body:
            setattr(faults, name, float(body[name]))
    if body.get("clear"):
        faults.forced_until.clear()
    for status, seconds in dict(body.get("force", {})).items():
        if int(status) not in (420, 429, 503):
            raise web.HTTPBadRequest(text="force accepts 420, 429 or 503")
        faults.forced_until[int(status)] = time.monotonic() + float(seconds)


def routes(state: SimState) -> list[web.RouteDef]:
    """Admin routes (never counted in the request statistics)."""

    async def stats(_: web.Request) -> web.Response:
        return web.json_response(state.stats.snapshot())

    async def stats_reset(_: web.Request) -> web.Response:
        state.stats.reset()
        return web.json_response({"ok": True})

    async def endpoints(_: web.Request) -> web.Response:
        return web.json_response({k: v for k, v in state.endpoints.items() if k != "root"})

    async def universe(_: web.Request) -> web.Response:
        counts = state.universe.counts()
        counts["killmails"] = len(state.store.records)
        counts["published"] = len(state.feed.published)
        return web.json_response(counts)

    async def faults_get(_: web.Request) -> web.Response:
        return web.json_response(state.faults.as_dict())

    async def faults_set(request: web.Request) -> web.Response:
        apply_faults(state, await request.json())
        return web.json_response(state.faults.as_dict())

    async def limits_reset(_: web.Request) -> web.Response:
        reset_limits(state)
        return web.json_response({"ok": True})

    async def advance(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        changes = advance_universe(
            state, int(body.get("days", 1)), float(body.get("change_fraction", 0.01))
        )
        return web.json_response(changes)

    async def publish(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else {}
        if "rate_per_s" in body:
            state.feed.rate_per_s = float(body["rate_per_s"])
        sequences = r2z2.publish(
            state,
            int(body.get("count", 0)),
            republish=int(body.get("republish", 0)),
            shuffle=bool(body.get("shuffle", False)),
            killmail_ids=body.get("killmail_ids"),
        )
        return web.json_response({"sequences": sequences, "rate_per_s": state.feed.rate_per_s})

    return [
        web.get("/_sim/stats", stats),
        web.post("/_sim/stats/reset", stats_reset),
        web.get("/_sim/endpoints", endpoints),
        web.get("/_sim/universe", universe),
        web.get("/_sim/faults", faults_get),
        web.post("/_sim/faults", faults_set),
        web.post("/_sim/limits/reset", limits_reset),
        web.post("/_sim/advance", advance),
        web.post("/_sim/publish", publish),
    ]
