"""The ESI routes the client calls: one row per operation, with its rate-limit group."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Route:
    """One ESI operation; `group` sizes come from the spec until headers say otherwise."""

    name: str
    method: str
    path: str
    group: str | None = None
    group_tokens: int | None = None
    group_window_s: float | None = None
    # Conditional requests and Expires through the http_cache table. POSTs carry no
    # cache headers; killmails never change, so the killmail table is their cache.
    cached: bool = True
    paged: bool = False
    authenticated: bool = False


_KILLMAIL_WINDOW_S = 900.0

ROUTES: dict[str, Route] = {
    route.name: route
    for route in (
        Route("alliances", "GET", "/alliances"),
        Route("alliance", "GET", "/alliances/{alliance_id}"),
        Route("alliance_corporations", "GET", "/alliances/{alliance_id}/corporations"),
        Route("corporation", "GET", "/corporations/{corporation_id}"),
        Route("character", "GET", "/characters/{character_id}"),
        Route("affiliation", "POST", "/characters/affiliation", cached=False),
        Route("names", "POST", "/universe/names", cached=False),
        Route("ids", "POST", "/universe/ids", cached=False),
        Route("type", "GET", "/universe/types/{type_id}"),
        Route("group", "GET", "/universe/groups/{group_id}"),
        Route("category", "GET", "/universe/categories/{category_id}"),
        Route("system", "GET", "/universe/systems/{system_id}"),
        Route("constellation", "GET", "/universe/constellations/{constellation_id}"),
        Route("region", "GET", "/universe/regions/{region_id}"),
        Route(
            "killmail",
            "GET",
            "/killmails/{killmail_id}/{killmail_hash}",
            group="killmail",
            group_tokens=3600,
            group_window_s=_KILLMAIL_WINDOW_S,
            cached=False,
        ),
        Route(
            "character_recent_killmails",
            "GET",
            "/characters/{character_id}/killmails/recent",
            group="char-killmail",
            group_tokens=30,
            group_window_s=_KILLMAIL_WINDOW_S,
            paged=True,
            authenticated=True,
        ),
        Route(
            "corporation_recent_killmails",
            "GET",
            "/corporations/{corporation_id}/killmails/recent",
            group="corp-killmail",
            group_tokens=30,
            group_window_s=_KILLMAIL_WINDOW_S,
            paged=True,
            authenticated=True,
        ),
        Route("market_prices", "GET", "/markets/prices"),
        Route("status", "GET", "/status", group="status", group_tokens=600, group_window_s=900.0),
    )
}
