"""`/me/`: the logged-in user's characters, their killmail sync, "sync now", their killmails."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from killreport.api.auth.sessions import AuthenticatedUser, current_user, require_csrf
from killreport.api.pages.dependencies import ContainerDep, PagesDep, SessionDep
from killreport.api.pages.killlist import kill_rows, live_list
from killreport.api.pages.routing import PageRoute
from killreport.bus.contracts import ESI_USER_KILLMAILS_QUEUE, PRIORITY_MANUAL, UserKillmailsMessage
from killreport.killmails.filters import KillmailFilter, ParticipantFilter
from killreport.killmails.queries import BadCursor, latest_sequence, list_killmails
from killreport.users.sync_state import mark_queued

PAGE_SIZE: Final = 50


def my_filter(user: AuthenticatedUser) -> KillmailFilter:
    """Killmails any of the user's characters is in."""
    ids = tuple(c.character_id for c in user.characters)
    return KillmailFilter(involved=ParticipantFilter(character_ids=ids))


async def me_page(request: Request, pages: PagesDep, session: SessionDep) -> Response:
    """The user's page; anonymous visitors are sent to log in and come back here."""
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/auth/login?next=/me/", status_code=303)
    killmail_filter = my_filter(user)
    after = request.query_params.get("after") or None
    live_after = await latest_sequence(session)
    try:
        listed = await list_killmails(session, killmail_filter, first=PAGE_SIZE, after=after)
    except BadCursor:
        after = None
        listed = await list_killmails(session, killmail_filter, first=PAGE_SIZE)
    rows, names = await kill_rows(session, listed.items, None)
    return await pages.render(
        request,
        "me.html",
        {
            "user": user,
            "rows": rows,
            "names": names,
            "live": live_list(killmail_filter, live_after, None) if after is None else None,
            "next_url": f"/me/?after={listed.end_cursor}" if listed.has_next_page else None,
            "queued": request.query_params.get("queued") == "1",
        },
    )


async def sync_now(
    container: ContainerDep,
    user: Annotated[AuthenticatedUser | None, Depends(require_csrf)],
) -> Response:
    """Queue a killmail sync of every character of the user now (manual priority)."""
    if user is None:
        return RedirectResponse("/auth/login?next=/me/", status_code=303)
    ids = [c.character_id for c in user.characters if not c.needs_login]
    if ids:
        messages = [UserKillmailsMessage(character_id=i) for i in ids]
        async with container.database.transaction() as db:
            await container.bus.publish_in(db, ESI_USER_KILLMAILS_QUEUE, messages, PRIORITY_MANUAL)
            await mark_queued(db, ids, datetime.now(UTC))
    return RedirectResponse("/me/?queued=1", status_code=303)


ROUTES = (
    PageRoute("/me/", me_page, "me"),
    PageRoute("/me/sync", sync_now, "me_sync", method="POST"),
)
