"""`/`: the latest kills (live), the last 7 days' top lists and the week's most valuable kills."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from fastapi import Request
from fastapi.responses import Response

from killreport.api.pages.dependencies import NowDep, PagesDep, SessionDep
from killreport.api.pages.killlist import kill_rows, live_list
from killreport.api.pages.names import NameBook
from killreport.api.pages.routing import PageRoute
from killreport.killmails.filters import KillmailFilter, KillmailOrder
from killreport.killmails.queries import latest_sequence, list_killmails
from killreport.stats.leaderboard import LeaderboardBy, leaderboard
from killreport.stats.windows import StatsWindow

LATEST_KILLS: Final = 25
TOP_ENTRIES: Final = 10
VALUABLE_KILLS: Final = 6

# The front page's top lists: (heading, grouping, name kind, link path, image kind).
TOP_LISTS: Final = (
    ("Top pilots", LeaderboardBy.PILOTS, "character", "character", "character"),
    ("Top corporations", LeaderboardBy.CORPORATIONS, "corporation", "corporation", "corporation"),
    ("Top alliances", LeaderboardBy.ALLIANCES, "alliance", "alliance", "alliance"),
    ("Top ships", LeaderboardBy.ATTACKER_SHIPS, "type", "ship", "ship"),
)


async def front_page(
    request: Request, pages: PagesDep, session: SessionDep, now: NowDep
) -> Response:
    """The front page."""
    everything = KillmailFilter()
    after = await latest_sequence(session)
    latest = await list_killmails(session, everything, first=LATEST_KILLS)
    valuable = await list_killmails(
        session,
        KillmailFilter(since=now - timedelta(days=7)),
        order=KillmailOrder.VALUE_DESC,
        first=VALUABLE_KILLS,
    )
    names = NameBook()
    tops = []
    for heading, by, kind, path, image_kind in TOP_LISTS:
        entries = await leaderboard(
            session, by, StatsWindow.LAST_7_DAYS, None, now, None, TOP_ENTRIES
        )
        names.want(kind, *(entry.id for entry in entries))
        tops.append((heading, entries, kind, path, image_kind))
    for killmail in valuable.items:
        names.want_killmail(killmail)
    rows, names = await kill_rows(session, latest.items, None, names)
    return await pages.render(
        request,
        "home.html",
        {
            "rows": rows,
            "names": names,
            "live": live_list(everything, after, None),
            "next_url": f"/kills/?after={latest.end_cursor}" if latest.has_next_page else None,
            "tops": tops,
            "valuable": valuable.items,
        },
    )


ROUTES = (PageRoute("/", front_page, "home"),)
