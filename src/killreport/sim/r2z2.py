"""zKillboard's R2Z2 firehose: `sequence.json` (lagging), `{n}.json`, daily history."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from killreport.sim.killmails import KillmailRecord, generate_killmails
from killreport.sim.state import SimState
from killreport.sim.zkb_block import zkb_block

logger = logging.getLogger(__name__)

_SEQUENCE_FILE = re.compile(r"^(\d+)\.json$")
_HISTORY_FILE = re.compile(r"^(\d{8})\.json$")


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(payload), headers=headers, content_type="application/json"
    )


def _gate(state: SimState, request: web.Request) -> web.Response | None:
    """403 without a User-Agent, 429 over the per-IP request rate."""
    if not request.headers.get("User-Agent", "").strip():
        return _json(403, {"error": "A descriptive User-Agent is required"})
    wait_s = state.r2z2_rate.admit(request.remote or "unknown")
    if wait_s is not None:
        return _json(
            429, {"error": "Too many requests"}, {"Retry-After": str(max(1, math.ceil(wait_s)))}
        )
    return None


def published_item(state: SimState, sequence: int) -> dict[str, Any] | None:
    """The R2Z2 document at a sequence number, or None when not published (yet)."""
    found = state.feed.published.get(sequence)
    if found is None:
        return None
    killmail_id, uploaded_at = found
    record = state.store.records[killmail_id]
    esi = state.store.body(record)
    zkb = zkb_block(record, esi, state.universe.static)
    zkb["attackerCount"] = len(esi["attackers"])
    zkb["href"] = f"https://esi.evetech.net/killmails/{killmail_id}/{record.killmail_hash}/"
    return {
        "killmail_id": killmail_id,
        "hash": record.killmail_hash,
        "esi": esi,
        "zkb": zkb,
        "uploaded_at": int(uploaded_at),
        "sequence_id": sequence,
    }


def history_day(state: SimState, day: str) -> dict[str, str]:
    """`{killmail_id: hash}` of every killmail on a UTC day (`YYYYMMDD`)."""
    start = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC).timestamp()
    end = start + 86_400
    records = state.store.records
    return {
        str(k): records[k].killmail_hash
        for k in state.store.ordered_ids
        if start <= records[k].time_s < end
    }


def history_totals(state: SimState) -> dict[str, int]:
    """Killmail count per UTC day (`YYYYMMDD`)."""
    totals: dict[str, int] = {}
    for record in state.store.records.values():
        day = datetime.fromtimestamp(record.time_s, UTC).strftime("%Y%m%d")
        totals[day] = totals.get(day, 0) + 1
    return dict(sorted(totals.items()))


def publish(
    state: SimState,
    count: int,
    *,
    republish: int = 0,
    shuffle: bool = False,
    killmail_ids: list[int] | None = None,
) -> list[int]:
    """Publish new killmails (or the given ids), plus `republish` old ones; return sequences."""
    store, feed, rng = state.store, state.feed, state.rng
    if killmail_ids is not None:
        batch: list[KillmailRecord] = [store.records[k] for k in killmail_ids]
    else:
        now_s = state.clock.now()
        first_id = (store.ordered_ids[-1] + 1) if store.ordered_ids else 1
        batch = generate_killmails(
            state.universe,
            store,
            rng,
            state.config.seed,
            count,
            first_id=first_id,
            start_s=now_s - 60,
            end_s=now_s,
        )
    # Republish among this run's publications (the seeded last kill predates the run).
    seen = [k for seq, (k, _) in feed.published.items() if seq >= feed.first_sequence]
    batch.extend(store.records[rng.choice(seen)] for _ in range(republish if seen else 0))
    if shuffle:
        rng.shuffle(batch)
    sequences = []
    for record in batch:
        sequence = feed.next_sequence
        feed.next_sequence += 1
        feed.published[sequence] = (record.killmail_id, time.time())
        sequences.append(sequence)
        if sequence - feed.reported_sequence >= state.config.r2z2_sequence_every or (
            feed.reported_sequence not in feed.published
        ):
            feed.reported_sequence = sequence
    logger.debug("r2z2 published %d killmails, sequences %s", len(sequences), sequences[:3])
    return sequences


async def publisher(state: SimState) -> None:
    """Background task publishing new killmails at the feed's settable rate."""
    while True:
        rate = state.feed.rate_per_s
        if rate <= 0:
            await asyncio.sleep(0.1)
            continue
        await asyncio.sleep(1.0 / rate)
        publish(state, 1)


def routes(state: SimState) -> list[web.RouteDef]:
    """R2Z2 routes under `/r2z2`."""

    def _ephemeral(request: web.Request) -> web.Response:
        if (refused := _gate(state, request)) is not None:
            return refused
        name = request.match_info["name"]
        if name == "sequence.json":
            return _json(
                200, {"sequence": state.feed.reported_sequence}, {"Cache-Control": "no-cache"}
            )
        match = _SEQUENCE_FILE.match(name)
        item = published_item(state, int(match.group(1))) if match else None
        if item is None:
            return _json(404, {"error": "Not found"})
        return _json(200, item, {"Cache-Control": "public, max-age=86400"})

    def _history(request: web.Request) -> web.Response:
        if (refused := _gate(state, request)) is not None:
            return refused
        return history_response(state, request.match_info["name"])

    ephemeral = state.stats.counted("r2z2", "r2z2 GET /ephemeral/{file}", _ephemeral)
    history = state.stats.counted("r2z2", "r2z2 GET /history/{file}", _history)
    return [
        web.get("/r2z2/ephemeral/{name}", ephemeral),
        web.get("/r2z2/history/{name}", history),
    ]


def history_response(state: SimState, name: str) -> web.Response:
    """`totals.json` or `YYYYMMDD.json` (404 for days after today or malformed names)."""
    if name == "totals.json":
        return _json(200, history_totals(state))
    match = _HISTORY_FILE.match(name)
    today = datetime.fromtimestamp(state.clock.now(), UTC).strftime("%Y%m%d")
    if match is None or match.group(1) > today:
        return _json(404, {"error": "Not found"})
    try:
        return _json(200, history_day(state, match.group(1)))
    except ValueError:
        return _json(404, {"error": "Not found"})
