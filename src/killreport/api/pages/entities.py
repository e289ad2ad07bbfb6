"""Entity pages at zKillboard's paths: kills and losses together, stats, top lists, growth, members.

One table (ENTITY_PAGES) says, per kind, which path it lives at, which side of a
killmail makes it a loss, which top lists it shows and whether it has members and growth;
one handler serves every row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.api.pages.charts import growth_chart
from killreport.api.pages.dependencies import NowDep, PagesDep, SessionDep
from killreport.api.pages.errors import PageNotFound
from killreport.api.pages.killlist import Perspective, kill_rows, live_list
from killreport.api.pages.names import NameBook
from killreport.api.pages.routing import PageRoute
from killreport.killmails.filters import KillmailFilter, ParticipantFilter
from killreport.killmails.queries import BadCursor, latest_sequence, list_killmails
from killreport.stats.entities import EntityKind
from killreport.stats.growth import growth_metrics, snapshots
from killreport.stats.summary import entity_stats
from killreport.stats.top import TopBy, top_list
from killreport.stats.windows import StatsWindow
from killreport.universe.lookups import EntityPage as EntityList
from killreport.universe.lookups import MemberKind, MemberOrder, list_members

PAGE_SIZE: Final = 50
TOP_ENTRIES: Final = 10
MEMBERS_SHOWN: Final = 25
GROWTH_DAYS: Final = (30, 90, 365)
# The stats windows a page offers, in the order of its tabs.
WINDOWS: Final = (
    (StatsWindow.LAST_7_DAYS, "7 days"),
    (StatsWindow.LAST_90_DAYS, "90 days"),
    (StatsWindow.ALL_TIME, "All time"),
)

# Top-list grouping -> (name kind, link path, image kind).
TOP_TARGETS: Final[dict[TopBy, tuple[str, str, str | None]]] = {
    TopBy.PILOTS: ("character", "character", "character"),
    TopBy.CORPORATIONS: ("corporation", "corporation", "corporation"),
    TopBy.ALLIANCES: ("alliance", "alliance", "alliance"),
    TopBy.SHIPS: ("type", "ship", "ship"),
    TopBy.SYSTEMS: ("system", "system", None),
    TopBy.TARGET_ALLIANCES: ("alliance", "alliance", "alliance"),
    TopBy.TARGET_CORPORATIONS: ("corporation", "corporation", "corporation"),
    TopBy.TARGET_SHIPS: ("type", "ship", "ship"),
}
TOP_HEADINGS: Final[dict[TopBy, str]] = {
    TopBy.PILOTS: "Top pilots",
    TopBy.CORPORATIONS: "Top corporations",
    TopBy.ALLIANCES: "Top alliances",
    TopBy.SHIPS: "Top ships flown",
    TopBy.SYSTEMS: "Top systems",
    TopBy.TARGET_ALLIANCES: "Top target alliances",
    TopBy.TARGET_CORPORATIONS: "Top target corporations",
    TopBy.TARGET_SHIPS: "Top target ships",
}


@dataclass(frozen=True, slots=True)
class EntityPage:
    """One kind of entity page."""

    path: str
    title: str
    kind: EntityKind
    name_kind: str
    image_kind: str | None
    # The victim column that makes a killmail this entity's loss, and the ParticipantFilter
    # field naming it; None for places (a system has no kills or losses of its own).
    victim_column: str | None
    participant_field: str | None
    tops: tuple[TopBy, ...]
    # Places are fixed by a KillmailFilter id-list field instead of a participant.
    location_field: str | None = None
    members: MemberKind | None = None

    def perspective(self, entity_id: int) -> Perspective:
        """Kills and losses on this entity's page are told apart by this."""
        return Perspective(self.victim_column, entity_id)


ENTITY_PAGES: Final = (
    EntityPage("character", "Character", EntityKind.CHARACTER, "character", "character",
               "victim_character_id", "character_ids",
               (TopBy.SHIPS, TopBy.TARGET_ALLIANCES, TopBy.TARGET_SHIPS)),
    EntityPage("corporation", "Corporation", EntityKind.CORPORATION, "corporation",
               "corporation", "victim_corporation_id", "corporation_ids",
               (TopBy.PILOTS, TopBy.SHIPS, TopBy.TARGET_ALLIANCES), None, MemberKind.CHARACTER),
    EntityPage("alliance", "Alliance", EntityKind.ALLIANCE, "alliance", "alliance",
               "victim_alliance_id", "alliance_ids",
               (TopBy.PILOTS, TopBy.CORPORATIONS, TopBy.SHIPS), None, MemberKind.CORPORATION),
    EntityPage("ship", "Ship", EntityKind.SHIP_TYPE, "type", "ship",
               "victim_ship_type_id", "ship_type_ids",
               (TopBy.PILOTS, TopBy.ALLIANCES, TopBy.SYSTEMS)),
    EntityPage("group", "Ship group", EntityKind.GROUP, "group", None,
               "victim_ship_group_id", "ship_group_ids",
               (TopBy.PILOTS, TopBy.ALLIANCES, TopBy.SHIPS)),
    EntityPage("system", "Solar system", EntityKind.SOLAR_SYSTEM, "system", None, None, None,
               (TopBy.PILOTS, TopBy.ALLIANCES, TopBy.SHIPS), "solar_system_ids"),
    EntityPage("constellation", "Constellation", EntityKind.CONSTELLATION, "constellation",
               None, None, None, (TopBy.PILOTS, TopBy.ALLIANCES, TopBy.SYSTEMS),
               "constellation_ids"),
    EntityPage("region", "Region", EntityKind.REGION, "region", None, None, None,
               (TopBy.PILOTS, TopBy.ALLIANCES, TopBy.SYSTEMS), "region_ids"),
)  # fmt: skip

# Which killmails each tab lists: "all" = kills and losses together.
TABS: Final = ("all", "kills", "losses")


def tab_filter(page: EntityPage, entity_id: int, tab: str) -> KillmailFilter:
    """The list of a tab: the entity anywhere, as an attacker, or as the victim (or the place)."""
    if page.participant_field is None:
        assert page.location_field is not None
        place: dict[str, Any] = {page.location_field: (entity_id,)}
        return KillmailFilter(**place)
    side = ParticipantFilter(**{page.participant_field: (entity_id,)})
    if tab == "kills":
        return KillmailFilter(attacker=side)
    if tab == "losses":
        return KillmailFilter(victim=side)
    return KillmailFilter(involved=side)


def _window(request: Request) -> StatsWindow:
    raw = request.query_params.get("window", StatsWindow.LAST_7_DAYS)
    try:
        return StatsWindow(raw)
    except ValueError:
        return StatsWindow.LAST_7_DAYS


def _days(request: Request) -> int:
    raw = request.query_params.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in GROWTH_DAYS else GROWTH_DAYS[0]


async def _growth(
    session: AsyncSession, page: EntityPage, entity_id: int, days: int, now: datetime
) -> dict[str, Any] | None:
    if page.members is None:
        return None
    points = await snapshots(session, page.kind, entity_id, days, now)
    metrics = await growth_metrics(session, page.kind, entity_id, now)
    return {"chart": growth_chart(points, days), "metrics": metrics, "days": days}


async def _members(session: AsyncSession, page: EntityPage, entity_id: int) -> EntityList | None:
    if page.members is None:
        return None
    if page.members is MemberKind.CORPORATION:
        return await list_members(
            session,
            page.members,
            alliance_id=entity_id,
            order=MemberOrder.MEMBER_COUNT_DESC,
            first=MEMBERS_SHOWN,
        )
    return await list_members(
        session, page.members, corporation_id=entity_id, order=MemberOrder.NAME,
        first=MEMBERS_SHOWN,
    )  # fmt: skip


def _handler(page: EntityPage, tab: str) -> Any:
    async def entity_page(
        request: Request, entity_id: int, pages: PagesDep, session: SessionDep, now: NowDep
    ) -> Response:
        """An entity's page: header, kills and losses, stats, top lists, growth, members."""
        after = request.query_params.get("after") or None
        killmail_filter = tab_filter(page, entity_id, tab)
        perspective = page.perspective(entity_id)
        live_after = await latest_sequence(session)
        try:
            listed = await list_killmails(session, killmail_filter, first=PAGE_SIZE, after=after)
        except BadCursor as exc:
            raise PageNotFound("page") from exc
        names = NameBook()
        names.want(page.name_kind, entity_id)
        window = _window(request)
        stats = await entity_stats(session, page.kind, entity_id, window, None, now)
        tops = []
        for by in page.tops:
            entries = await top_list(
                session, page.kind, entity_id, by, window, None, now, first=TOP_ENTRIES
            )
            name_kind, path, image_kind = TOP_TARGETS[by]
            names.want(name_kind, *(entry.id for entry in entries))
            tops.append((TOP_HEADINGS[by], entries, name_kind, path, image_kind))
        growth = await _growth(session, page, entity_id, _days(request), now)
        members = await _members(session, page, entity_id)
        rows, names = await kill_rows(session, listed.items, perspective, names)
        info = names.info(page.name_kind, entity_id)
        if info is None and not rows and after is None:
            raise PageNotFound(page.title)
        base = f"/{page.path}/{entity_id}/"
        tab_path = base if tab == "all" else f"{base}{tab}/"
        return await pages.render(
            request,
            "entity.html",
            {
                "page": page,
                "entity_id": entity_id,
                "info": info,
                "entity_name": names.name(page.name_kind, entity_id),
                "names": names,
                "rows": rows,
                "tab": tab,
                "tabs": TABS if page.participant_field else ("all",),
                "base": base,
                "live": live_list(killmail_filter, live_after, perspective)
                if after is None
                else None,
                "next_url": f"{tab_path}?after={listed.end_cursor}"
                if listed.has_next_page
                else None,
                "stats": stats,
                "window": window,
                "windows": WINDOWS,
                "tops": tops,
                "growth": growth,
                "growth_days": GROWTH_DAYS,
                "members": members,
            },
        )

    entity_page.__name__ = f"{page.path}_{tab}_page"
    return entity_page


ROUTES = tuple(
    PageRoute(
        f"/{page.path}/{{entity_id}}/" + ("" if tab == "all" else f"{tab}/"),
        _handler(page, tab),
        f"{page.path}_{tab}",
    )
    for page in ENTITY_PAGES
    for tab in (TABS if page.participant_field else ("all",))
)
