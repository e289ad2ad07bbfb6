"""This board's own R2Z2 under `/r2z2/`: another KillReport (or any R2Z2 reader) follows it.

`ephemeral/sequence.json` is the newest stored `sequence`; `ephemeral/{n}.json` is the
killmail stored under sequence n (dense: one per killmail, in storage order), 404 when
none is stored yet; `history/{YYYYMMDD}.json` maps every killmail of a UTC day to its
hash, `history/totals.json` counts them per day (for finding days to repair). Shapes are
zKillboard's (esi-facts §8b).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from killreport.api.zkb.responses import cache_headers, container_of, json_response
from killreport.killmails.filters import KillmailFilter
from killreport.killmails.queries import killmail_date_counts, latest_sequence
from killreport.killmails.zkb_envelope import load_stored, r2z2_entry
from killreport.killmails.zkb_reads import day_hashes, killmail_at_sequence

_SEQUENCE_FILE = re.compile(r"^([1-9]\d{0,17})\.json$")  # within BIGINT
_HISTORY_FILE = re.compile(r"^(\d{8})\.json$")
# A stored entry never changes; R2Z2 lets them be cached for a day.
ENTRY_MAX_AGE_S = 86_400

router = APIRouter(prefix="/r2z2", include_in_schema=False)


def _not_found() -> Response:
    return json_response({"error": "Not found"}, status=404)


@router.get("/ephemeral/{name}")
async def ephemeral(request: Request, name: str) -> Response:
    """`sequence.json` or one `{n}.json` entry."""
    database = container_of(request).database
    if name == "sequence.json":
        async with database.reading() as session:
            head = await latest_sequence(session)
        return json_response({"sequence": head}, headers={"Cache-Control": "no-cache"})
    match = _SEQUENCE_FILE.match(name)
    if match is None:
        return _not_found()
    async with database.reading() as session:
        killmail_id = await killmail_at_sequence(session, int(match.group(1)))
        stored = [] if killmail_id is None else await load_stored(session, [killmail_id])
    if not stored:
        return _not_found()
    return json_response(r2z2_entry(stored[0]), headers=cache_headers(ENTRY_MAX_AGE_S))


@router.get("/history/{name}")
async def history(request: Request, name: str) -> Response:
    """`YYYYMMDD.json`: id -> hash of every killmail of that UTC day (404 after today)."""
    if name == "totals.json":
        async with container_of(request).database.reading() as session:
            counts = await killmail_date_counts(session, KillmailFilter(), None, None)
        return json_response(
            {f"{c.day:%Y%m%d}": c.count for c in counts},
            headers={"Cache-Control": "public, max-age=300"},
        )
    match = _HISTORY_FILE.match(name)
    if match is None:
        return _not_found()
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return _not_found()
    if day > datetime.now(UTC).date():
        return _not_found()
    async with container_of(request).database.reading() as session:
        hashes = await day_hashes(session, day)
    return json_response(
        {str(k): v for k, v in hashes.items()}, headers={"Cache-Control": "public, max-age=300"}
    )
