"""Fetch killmails from ESI by id and hash, keeping the body exactly as ESI sends it.

The zKillboard history worker (elements without the ESI body) and the daily-history
repair use this, and only for ids the database lacks. A wrong hash (ESI 422) or an
unknown id (404) is a per-killmail rejection with a reason; ESI's budget errors leave
the killmail pending with the `retry_at` ESI named; anything else is a failure the
caller may retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from killreport.db.engine import Database
from killreport.esi.client import EsiClient
from killreport.esi.errors import (
    EsiError,
    EsiErrorLimited,
    EsiInvalid,
    EsiNotFound,
    EsiRateLimited,
)
from killreport.esi.routes import ROUTES
from killreport.killmails import repository
from killreport.killmails.models import ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, check_hash, parse_esi

logger = logging.getLogger(__name__)

# Requests started together; the ESI transport paces them within the shared budget.
FETCH_CHUNK = 50


@dataclass(frozen=True, slots=True)
class KillmailRef:
    """A killmail to fetch: id, hash, the zkb block when the source had one, and origin."""

    killmail_id: int
    killmail_hash: str
    zkb: dict[str, Any] | None = None
    origin: str = ""


@dataclass(slots=True)
class Fetched:
    """What a fetch gave: killmails, rejections, refs still pending (budget) and failures."""

    killmails: list[ParsedKillmail] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    pending: list[KillmailRef] = field(default_factory=list)
    retry_at: datetime | None = None
    failed: list[tuple[KillmailRef, str]] = field(default_factory=list)


async def stored_ids(database: Database, killmail_ids: Sequence[int]) -> set[int]:
    """Which of these killmail ids the database holds already."""
    if not killmail_ids:
        return set()
    async with database.transaction() as session:
        return await repository.existing_ids(session, killmail_ids)


async def fetch_body(esi: EsiClient, killmail_id: int, killmail_hash: str) -> Any:
    """The decoded ESI body of one killmail, key order and all (a wrong hash raises EsiInvalid)."""
    response = await esi.transport.call(
        ROUTES["killmail"], {"killmail_id": killmail_id, "killmail_hash": killmail_hash}
    )
    return orjson.loads(response.body)


def _parse(ref: KillmailRef, body: Any, source: str) -> ParsedKillmail | Rejection:
    try:
        parsed = parse_esi(body, ref.killmail_hash, zkb=ref.zkb, source=source)
    except KillmailRejected as exc:
        return Rejection(ref.killmail_id, f"ESI body rejected: {exc.reason}", ref.origin)
    if parsed.killmail_id != ref.killmail_id:
        reason = f"ESI answered killmail {parsed.killmail_id} for id {ref.killmail_id}"
        return Rejection(ref.killmail_id, reason, ref.origin)
    return parsed


def _well_formed(refs: Sequence[KillmailRef], fetched: Fetched) -> list[KillmailRef]:
    kept = []
    for ref in refs:
        try:
            check_hash(ref.killmail_hash)
        except KillmailRejected as exc:
            fetched.rejected.append(Rejection(ref.killmail_id, exc.reason, ref.origin))
            continue
        kept.append(ref)
    return kept


async def _fetch_one(esi: EsiClient, ref: KillmailRef) -> Any:
    try:
        return await fetch_body(esi, ref.killmail_id, ref.killmail_hash)
    except (EsiError, orjson.JSONDecodeError) as exc:
        return exc


async def fetch_killmails(esi: EsiClient, refs: Sequence[KillmailRef], *, source: str) -> Fetched:
    """Fetch and parse every ref; never raises for a single killmail's outcome.

    A ref whose hash is not a killmail hash is rejected before it costs an ESI request.
    """
    fetched = Fetched()
    refs = _well_formed(refs, fetched)
    for start in range(0, len(refs), FETCH_CHUNK):
        chunk = refs[start : start + FETCH_CHUNK]
        if fetched.retry_at is not None:
            fetched.pending.extend(chunk)  # the budget is spent: ask no more this time
            continue
        bodies = await asyncio.gather(*(_fetch_one(esi, ref) for ref in chunk))
        for ref, body in zip(chunk, bodies, strict=True):
            _settle(fetched, ref, body, source)
    return fetched


def _settle(fetched: Fetched, ref: KillmailRef, body: Any, source: str) -> None:
    if isinstance(body, EsiInvalid):
        reason = f"unknown hash at ESI (422): {body}"
        logger.warning("killmail %d hash %s rejected: %s", ref.killmail_id, ref.killmail_hash, body)
        fetched.rejected.append(Rejection(ref.killmail_id, reason, ref.origin))
    elif isinstance(body, EsiNotFound):
        reason = f"unknown killmail at ESI (404): {body}"
        fetched.rejected.append(Rejection(ref.killmail_id, reason, ref.origin))
    elif isinstance(body, EsiRateLimited | EsiErrorLimited):
        fetched.pending.append(ref)
        if fetched.retry_at is None or body.retry_at > fetched.retry_at:
            fetched.retry_at = body.retry_at
    elif isinstance(body, EsiError | orjson.JSONDecodeError):
        logger.warning("killmail %d: ESI fetch failed: %s", ref.killmail_id, body)
        fetched.failed.append((ref, f"{type(body).__name__}: {body}"))
    else:
        parsed = _parse(ref, body, source)
        if isinstance(parsed, Rejection):
            fetched.rejected.append(parsed)
        else:
            fetched.killmails.append(parsed)
