"""zKillboard's killmail API under `/api/`: path modifiers in, zKillboard's elements out.

As zKillboard does: the path must end with `/`; a query string is refused with 403;
request errors are HTTP 200 with `{"error": ...}`; pages of up to 200, newest killmail
id first; each element is the full ESI killmail plus `zkb`; answers may be cached for an
hour (`Cache-Control` and `Expires`). Unlike zKillboard, recent kills are not withheld.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from killreport.api.zkb import r2z2
from killreport.api.zkb.modifiers import ModifierError, parse_path, to_filter
from killreport.api.zkb.responses import (
    API_MAX_AGE_S,
    cache_headers,
    container_of,
    json_response,
)
from killreport.api.zkb.stats import entity_stats_document
from killreport.killmails.offset_pages import killmail_ids_page
from killreport.killmails.zkb_envelope import api_element, load_stored

router = APIRouter(prefix="/api", include_in_schema=False)

QUERY_STRING_MESSAGE = (
    "query strings are not allowed: put the modifiers in the path, "
    "e.g. /api/kills/characterID/{id}/page/2/"
)


def api_error(message: str) -> Response:
    """zKillboard's error: HTTP 200 with `{"error": ...}` (never cached)."""
    return json_response({"error": message}, headers={"Cache-Control": "no-cache"})


def _refused(request: Request) -> Response | None:
    if request.url.query:
        return json_response({"error": QUERY_STRING_MESSAGE}, status=403)
    if not request.url.path.endswith("/"):
        return api_error(f"missing trailing slash: request {request.url.path}/ instead")
    return None


@router.get("/history/{name}")
async def history(request: Request, name: str) -> Response:
    """`/api/history/YYYYMMDD.json`: the same id -> hash map as R2Z2's history."""
    if request.url.query:
        return json_response({"error": QUERY_STRING_MESSAGE}, status=403)
    return await r2z2.history(request, name)


@router.get("/stats/{kind}/{entity_id}/")
async def stats(request: Request, kind: str, entity_id: str) -> Response:
    """`/api/stats/{type}ID/{id}/`: all-time and recent counts and top lists of one entity."""
    if (refused := _refused(request)) is not None:
        return refused
    now = datetime.now(UTC)
    async with container_of(request).database.reading() as session:
        try:
            document = await entity_stats_document(session, kind, entity_id, now)
        except ModifierError as exc:
            return api_error(str(exc))
    return json_response(document, headers=cache_headers(API_MAX_AGE_S, now))


@router.get("/{tail:path}")
async def killmails(request: Request, tail: str) -> Response:
    """A page of killmails by path modifiers, e.g. `/api/kills/characterID/5/page/2/`."""
    if (refused := _refused(request)) is not None:
        return refused
    now = datetime.now(UTC)
    try:
        wanted = parse_path(tail)
    except ModifierError as exc:
        return api_error(str(exc))
    async with container_of(request).database.reading() as session:
        if "killID" in wanted.numbers:
            ids = [wanted.numbers["killID"]]
        else:
            ids = await killmail_ids_page(
                session, to_filter(wanted, now), offset=wanted.offset, limit=wanted.page_size
            )
        stored = await load_stored(session, ids)
    return json_response(
        [api_element(s) for s in stored], headers=cache_headers(API_MAX_AGE_S, now)
    )
