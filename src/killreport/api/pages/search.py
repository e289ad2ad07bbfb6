"""`/search/?q=` and the header's typeahead (`/search/suggest?q=`, an htmx fragment)."""

from __future__ import annotations

from typing import Final

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.pages.dependencies import PagesDep, SessionDep
from killreport.api.pages.routing import PageRoute
from killreport.universe.search import SearchHit, SearchKind, search

# Search kind -> (page path, image kind, label).
KIND_PAGES: Final[dict[SearchKind, tuple[str, str | None, str]]] = {
    SearchKind.CHARACTER: ("character", "character", "Character"),
    SearchKind.CORPORATION: ("corporation", "corporation", "Corporation"),
    SearchKind.ALLIANCE: ("alliance", "alliance", "Alliance"),
    SearchKind.ITEM_TYPE: ("ship", "type", "Ship or item"),
    SearchKind.SOLAR_SYSTEM: ("system", None, "System"),
    SearchKind.CONSTELLATION: ("constellation", None, "Constellation"),
    SearchKind.REGION: ("region", None, "Region"),
}
MIN_QUERY: Final = 2
MAX_QUERY: Final = 100
PAGE_HITS: Final = 50
SUGGEST_HITS: Final = 8


def _text(request: Request) -> str:
    return request.query_params.get("q", "").strip()[:MAX_QUERY]


async def _hits(session: AsyncSession, text: str, first: int) -> list[SearchHit]:
    if len(text) < MIN_QUERY:
        return []
    return await search(session, text, tuple(SearchKind), first)


async def search_page(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    """Every kind of hit for the query, exact before prefix before substring."""
    text = _text(request)
    hits = await _hits(session, text, PAGE_HITS)
    return await pages.render(
        request,
        "search.html",
        {"text": text, "hits": hits, "kinds": KIND_PAGES, "min_query": MIN_QUERY},
    )


async def search_suggest(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    """The typeahead's list of the first hits (empty below two characters)."""
    text = _text(request)
    hits = await _hits(session, text, SUGGEST_HITS)
    return await pages.render(
        request, "search_suggest.html", {"text": text, "hits": hits, "kinds": KIND_PAGES}
    )


ROUTES = (
    PageRoute("/search/", search_page, "search"),
    PageRoute("/search/suggest", search_suggest, "search_suggest"),
)
