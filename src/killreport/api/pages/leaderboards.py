"""`/leaderboards/`: the top pilots, corporations, alliances and ships by kills, per window."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from killreport.api.pages.dependencies import NowDep, PagesDep, SessionDep
from killreport.api.pages.names import NameBook
from killreport.api.pages.routing import PageRoute
from killreport.stats.leaderboard import LeaderboardBy, leaderboard
from killreport.stats.windows import StatsWindow, window_bounds

TOP_ENTRIES: Final = 10
# The windows a leaderboard offers: (window, tab label, whether `at` pages through it).
WINDOWS: Final = (
    (StatsWindow.DAY, "Day", True),
    (StatsWindow.WEEK, "Week", True),
    (StatsWindow.MONTH, "Month", True),
    (StatsWindow.LAST_90_DAYS, "90 days", False),
)
# (grouping, heading, name kind, link path, image kind)
BOARDS: Final = (
    (LeaderboardBy.PILOTS, "Pilots", "character", "character", "character"),
    (LeaderboardBy.CORPORATIONS, "Corporations", "corporation", "corporation", "corporation"),
    (LeaderboardBy.ALLIANCES, "Alliances", "alliance", "alliance", "alliance"),
    (LeaderboardBy.ATTACKER_SHIPS, "Ships used", "type", "ship", "ship"),
    (LeaderboardBy.VICTIM_SHIPS, "Ships destroyed", "type", "ship", "ship"),
)


def _window(raw: str | None) -> StatsWindow:
    known = {window for window, _, _ in WINDOWS}
    try:
        window = StatsWindow(raw or StatsWindow.WEEK)
    except ValueError:
        return StatsWindow.WEEK
    return window if window in known else StatsWindow.WEEK


def _at(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


async def leaderboards_page(
    request: Request, pages: PagesDep, session: SessionDep, now: NowDep
) -> Response:
    """The leaderboards of one window, with links to the window before and after."""
    window = _window(request.query_params.get("window"))
    at = _at(request.query_params.get("at"))
    start, end = window_bounds(window, at, now)
    pageable = next(p for w, _, p in WINDOWS if w is window)
    previous_at = (start - timedelta(days=1)).date() if pageable and start else None
    next_at = end.date() if pageable and end and end <= now else None
    names = NameBook()
    boards = []
    for by, heading, kind, path, image_kind in BOARDS:
        entries = await leaderboard(session, by, window, at, now, None, TOP_ENTRIES)
        names.want(kind, *(entry.id for entry in entries))
        boards.append((heading, entries, kind, path, image_kind))
    await names.load(session)
    return await pages.render(
        request,
        "leaderboards.html",
        {
            "window": window,
            "windows": WINDOWS,
            "start": start,
            "end": end,
            "previous_at": previous_at,
            "next_at": next_at,
            "boards": boards,
            "names": names,
        },
    )


ROUTES = (PageRoute("/leaderboards/", leaderboards_page, "leaderboards"),)
