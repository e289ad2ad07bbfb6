"""The zKillboard API: a character's kills and losses, 200 per page, newest first.

Paths end with a slash and carry no query string (zKillboard answers 403 to those);
requests are paced to about one per second for the whole deployment.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Literal

from pydantic import TypeAdapter, ValidationError

from killreport.zkb.errors import ZkbError
from killreport.zkb.fetcher import ZkbFetcher
from killreport.zkb.models import ZkbApiKill

PAGE_SIZE = 200
MAX_PAGE = 100

Side = Literal["all", "kills", "losses"]

_PAGE: TypeAdapter[tuple[ZkbApiKill, ...]] = TypeAdapter(tuple[ZkbApiKill, ...])


class ZkbApiClient:
    """Character pages of the zKillboard API."""

    def __init__(self, fetcher: ZkbFetcher, base_url: str) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")

    def character_url(self, character_id: int, page: int, side: Side = "all") -> str:
        """The API URL of one page, e.g. `.../kills/characterID/90000001/page/2/`."""
        if not 1 <= page <= MAX_PAGE:
            raise ValueError(f"page {page} outside 1..{MAX_PAGE}")
        prefix = "" if side == "all" else f"{side}/"
        return f"{self.base_url}/{prefix}characterID/{character_id}/page/{page}/"

    async def character_page(
        self, character_id: int, page: int = 1, side: Side = "all"
    ) -> tuple[ZkbApiKill, ...]:
        """One page (up to 200 kills, newest first) of a character's kills and/or losses."""
        url = self.character_url(character_id, page, side)
        body = await self.fetcher.get_json(url)
        try:
            return _PAGE.validate_python(body)
        except ValidationError as exc:
            message = str(exc).splitlines()[0]
            raise ZkbError(f"unexpected body from {url}: {message}", status=200, url=url) from exc

    async def character_pages(
        self, character_id: int, side: Side = "all", max_pages: int = MAX_PAGE
    ) -> AsyncIterator[tuple[ZkbApiKill, ...]]:
        """Pages from the newest on, until a short page or `max_pages`."""
        for page in range(1, min(max_pages, MAX_PAGE) + 1):
            kills = await self.character_page(character_id, page, side)
            if kills:
                yield kills
            if len(kills) < PAGE_SIZE:
                return
