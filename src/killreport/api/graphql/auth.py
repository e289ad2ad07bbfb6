"""The logged-in pilot in GraphQL: `me`, `myKillmails`, `syncMyKillmails`, `logout`.

The session comes from the cookie (`api.auth.current_user`); mutations with a session
cookie must carry its CSRF token in `X-CSRF-Token` (strawberry refuses mutations over
GET). Nothing here ever returns a token.
"""

from __future__ import annotations

from datetime import UTC, datetime

import strawberry
from fastapi import Request
from sqlalchemy import select
from strawberry.types import Info

from killreport.api.auth.sessions import (
    CSRF_HEADER,
    SESSION_COOKIE,
    AuthenticatedUser,
    clear_session_cookies,
    csrf_ok,
    current_user,
    end_session,
)
from killreport.api.graphql.connection import (
    DEFAULT_PAGE_SIZE,
    KillmailConnection,
    killmail_connection,
)
from killreport.api.graphql.errors import PAGE_SIZE_TOO_LARGE, client_error
from killreport.api.graphql.inputs import KillmailOrderEnum
from killreport.api.graphql.killmail_types import Killmail
from killreport.bus.contracts import PRIORITY_LOGIN
from killreport.db.tables import UserCharacter
from killreport.jobs.user_killmails import queue_syncs
from killreport.killmails.filters import KillmailFilter, KillmailOrder, ParticipantFilter
from killreport.killmails.queries import MAX_PAGE_SIZE, BadCursor, list_killmails
from killreport.users.accounts import CharacterView
from killreport.users.sync_state import is_due

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


def _request(info: Info) -> Request:
    request = info.context.request
    assert isinstance(request, Request)
    return request


async def request_user(info: Info) -> AuthenticatedUser | None:
    """The logged-in user of a GraphQL request, or None."""
    return await current_user(_request(info))


async def mutating_user(info: Info) -> AuthenticatedUser | None:
    """The user of a mutation; with a session cookie, its CSRF token must come along."""
    request = _request(info)
    user = await current_user(request)
    if user is None and SESSION_COOKIE not in request.cookies:
        return None
    if user is None or not csrf_ok(user, request.headers.get(CSRF_HEADER)):
        raise client_error(f"missing or wrong CSRF token (send it in {CSRF_HEADER})", FORBIDDEN)
    return user


def _involving(user: AuthenticatedUser) -> KillmailFilter:
    return KillmailFilter(involved=ParticipantFilter(character_ids=user.account.character_ids))


@strawberry.type(name="MyCharacter", description="One of the logged-in user's characters.")
class MyCharacter:
    view: strawberry.Private[CharacterView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.character_id))

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field
    def corporation_id(self) -> int | None:
        return self.view.corporation_id

    @strawberry.field(description="When its ESI killmails were last synced in full.")
    def last_synced_at(self) -> datetime | None:
        return self.view.last_synced_at

    @strawberry.field(description="never, running, ok, failed or revoked.")
    def sync_state(self) -> str:
        return self.view.sync_state

    @strawberry.field
    def sync_error(self) -> str | None:
        return self.view.sync_error

    @strawberry.field(description="True when EVE SSO revoked the login: log in again.")
    def needs_login(self) -> bool:
        return self.view.needs_login

    @strawberry.field
    def scopes(self) -> list[str]:
        return list(self.view.scopes)

    @strawberry.field(description="True when named in KILLREPORT_ADMIN_CHARACTER_IDS.")
    def is_admin(self) -> bool:
        return self.view.is_admin


@strawberry.type(name="Me", description="The logged-in user: their characters and killmails.")
class Me:
    user: strawberry.Private[AuthenticatedUser]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.user.user_id))

    @strawberry.field(description="True when one of the characters is an admin.")
    def is_admin(self) -> bool:
        return self.user.is_admin

    @strawberry.field
    def characters(self) -> list[MyCharacter]:
        return [MyCharacter(view=c) for c in self.user.characters]

    @strawberry.field(description="Send it as X-CSRF-Token with every mutation.")
    def csrf_token(self) -> str:
        return self.user.csrf_token

    @strawberry.field(description="Killmails involving any of the characters, keyset pages.")
    async def killmails(
        self,
        info: Info,
        order_by: KillmailOrderEnum = KillmailOrder.TIME_DESC,  # type: ignore[valid-type]
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> KillmailConnection:
        return await killmail_connection(
            info, _involving(self.user), KillmailOrder(order_by), first, after
        )


@strawberry.type(description="What syncMyKillmails did (the seed's shape).")
class SyncMyKillmailsPayload:
    success: bool
    message: str
    synced_count: int
    queued_character_ids: list[int]


@strawberry.type
class LogoutPayload:
    success: bool


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The logged-in user, or null.")
    async def me(self, info: Info) -> Me | None:
        user = await request_user(info)
        return Me(user=user) if user is not None else None

    @strawberry.field(description="Newest killmails involving any of my characters.")
    async def my_killmails(
        self, info: Info, limit: int = 20, after: str | None = None
    ) -> list[Killmail]:
        user = await request_user(info)
        if user is None:
            raise client_error("log in first", UNAUTHENTICATED)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise client_error(f"limit must be between 1 and {MAX_PAGE_SIZE}", PAGE_SIZE_TOO_LARGE)
        try:
            async with info.context.database.reading() as session:
                page = await list_killmails(session, _involving(user), first=limit, after=after)
        except BadCursor as exc:
            raise client_error(str(exc)) from exc
        return [Killmail(detail=item) for item in page.items]


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="Queue my characters' ESI sync now (priority 8).")
    async def sync_my_killmails(self, info: Info) -> SyncMyKillmailsPayload:
        user = await mutating_user(info)
        if user is None:
            raise client_error("log in first", UNAUTHENTICATED)
        container = info.context.container
        now = datetime.now(UTC)
        ids = user.account.character_ids
        async with container.database.transaction() as session:
            rows = (
                await session.scalars(
                    select(UserCharacter).where(UserCharacter.character_id.in_(ids))
                )
            ).all()
        names = {r.character_id: r.character_name for r in rows}
        skipped = [r for r in rows if r.tokens_revoked_at is not None or not is_due(r, now)]
        summary = await queue_syncs(
            container.database, container.bus, now, priority=PRIORITY_LOGIN, character_ids=ids
        )
        queued = [q.candidate.character_id for q in summary.queued]
        parts = []
        if queued:
            parts.append("queued " + ", ".join(names[i] for i in queued))
        for row in skipped:
            reason = (
                "needs a new login"
                if row.tokens_revoked_at is not None
                else "synced or queued in the last 15 minutes"
            )
            parts.append(f"skipped {row.character_name} ({reason})")
        return SyncMyKillmailsPayload(
            success=bool(queued),
            message="; ".join(parts) or "no character to sync",
            synced_count=len(queued),
            queued_character_ids=queued,
        )

    @strawberry.mutation(description="End this session.")
    async def logout(self, info: Info) -> LogoutPayload:
        user = await mutating_user(info)
        if user is None:
            return LogoutPayload(success=False)
        async with info.context.database.transaction() as session:
            await end_session(session, user.session_hash)
        if info.context.response is not None:
            clear_session_cookies(info.context.response)
        return LogoutPayload(success=True)
