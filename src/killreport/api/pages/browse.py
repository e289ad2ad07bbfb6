"""`/kills/`: the killmail browser; every KillmailFilter field is a form field in the URL query."""

from __future__ import annotations

from typing import Final

from fastapi import Request
from fastapi.responses import Response

from killreport.api.pages import filterquery
from killreport.api.pages.dependencies import PagesDep, SessionDep
from killreport.api.pages.filterquery import FilterQueryError, ListQuery, parse_list_query
from killreport.api.pages.killlist import kill_rows, live_list
from killreport.api.pages.routing import PageRoute
from killreport.killmails.filters import KillmailFilter, KillmailOrder, SecuritySpace
from killreport.killmails.queries import BadCursor, latest_sequence, list_killmails

PAGE_SIZE: Final = 50
ORDERS: Final = (
    (KillmailOrder.TIME_DESC, "Newest first"),
    (KillmailOrder.TIME_ASC, "Oldest first"),
    (KillmailOrder.VALUE_DESC, "Most valuable first"),
)


def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


async def kills_page(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    """The filter form and the killmails it selects, one keyset page at a time."""
    error: str | None = None
    try:
        query = parse_list_query(_params(request))
    except FilterQueryError as exc:
        error, query = str(exc), ListQuery(KillmailFilter())
    live_after = await latest_sequence(session)
    try:
        listed = await list_killmails(
            session, query.filter, order=query.order, first=PAGE_SIZE, after=query.after
        )
    except (BadCursor, ValueError) as exc:
        error = error or f"after: {exc}"
        query = ListQuery(query.filter, query.order)
        listed = await list_killmails(session, query.filter, order=query.order, first=PAGE_SIZE)
    rows, names = await kill_rows(session, listed.items, None)
    # New kills are put on top only where the top is the newest: the first page by time.
    live = (
        live_list(query.filter, live_after, None)
        if query.after is None and query.order is KillmailOrder.TIME_DESC and error is None
        else None
    )
    next_query = filterquery.query_string(query, after=listed.end_cursor)
    return await pages.render(
        request,
        "kills.html",
        {
            "rows": rows,
            "names": names,
            "live": live,
            "error": error,
            "values": filterquery.form_values(query),
            "query": query,
            "roles": filterquery.ROLES,
            "participant_fields": filterquery.PARTICIPANT_FIELDS,
            "location_fields": filterquery.LOCATION_FIELDS,
            "number_fields": filterquery.NUMBER_FIELDS,
            "time_fields": filterquery.TIME_FIELDS,
            "flag_fields": filterquery.FLAG_FIELDS,
            "spaces": tuple(SecuritySpace),
            "orders": ORDERS,
            "next_url": f"/kills/?{next_query}" if listed.has_next_page else None,
        },
        status_code=400 if error else 200,
    )


ROUTES = (PageRoute("/kills/", kills_page, "kills"),)
