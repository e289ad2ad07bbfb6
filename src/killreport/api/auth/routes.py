"""`GET /auth/login`, `GET /auth/callback`, `POST /auth/logout` (issue 12).

Login stores a random single-use state (10-minute life) with a PKCE S256 verifier and
the return path server-side, then redirects to EVE SSO with the least scopes. The
callback spends the state, exchanges the code, checks the JWT, stores the user and
character (tokens encrypted), starts a session and redirects to a path of this site.
Every refusal is a page saying what went wrong; nothing but the spent state is stored.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete, update

from killreport.api.auth.pages import auth_page
from killreport.api.auth.sessions import (
    AuthenticatedUser,
    clear_session_cookies,
    container_of,
    csrf_token_for,
    current_user,
    end_session,
    require_csrf,
    session_hash,
    set_session_cookies,
    start_session,
)
from killreport.bus.contracts import ESI_USER_KILLMAILS_QUEUE, PRIORITY_LOGIN, UserKillmailsMessage
from killreport.db.tables import LoginState
from killreport.sso.client import CORPORATION_KILLMAIL_SCOPE, KILLMAIL_SCOPE, pkce_pair
from killreport.sso.errors import LoginRefused, SsoUnavailable
from killreport.sso.setup import SsoDisabled, SsoServices
from killreport.users.accounts import record_login
from killreport.users.sync_state import MIN_SYNC_INTERVAL, mark_queued

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])
MAX_NEXT_CHARS = 512


def _safe_next(raw: str | None) -> str | None:
    """The path to return to, or None when it would leave this site."""
    if raw is None or raw == "":
        return "/"
    if len(raw) > MAX_NEXT_CHARS or not raw.startswith("/") or raw.startswith(("//", "/\\")):
        return None
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or any(c in raw for c in "\r\n\\"):
        return None
    return raw


def _sso(request: Request) -> SsoServices | Response:
    sso = container_of(request).sso
    if isinstance(sso, SsoDisabled):
        return auth_page("Login is not available", sso.reason, status=503)
    return sso


@router.get("/login", response_model=None)
async def login(request: Request, next: str | None = None, corporation: bool = False) -> Response:
    """Start an EVE SSO login; `corporation` also asks for the corporation killmail scope."""
    sso = _sso(request)
    if isinstance(sso, Response):
        return sso
    next_path = _safe_next(next)
    if next_path is None:
        return auth_page("Login refused", "The return address must be a page of this site.")
    container = container_of(request)
    scopes = [KILLMAIL_SCOPE, *([CORPORATION_KILLMAIL_SCOPE] if corporation else [])]
    state = secrets.token_urlsafe(32)
    verifier, challenge = pkce_pair()
    now = datetime.now(UTC)
    try:
        url = await sso.client.authorize_url(state, challenge, scopes)
    except SsoUnavailable as exc:
        return auth_page("EVE SSO is unavailable", str(exc), status=502)
    async with container.database.transaction() as db:
        # Lapsed states go as new ones come; the table stays small.
        await db.execute(delete(LoginState).where(LoginState.expires_at < now))
        db.add(
            LoginState(
                state=state,
                code_verifier=verifier,
                next_path=next_path,
                scopes=" ".join(scopes),
                created_at=now,
                expires_at=now + timedelta(seconds=container.settings.sso_login_state_ttl_s),
            )
        )
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


async def _spend_state(request: Request, state: str | None, now: datetime) -> LoginState | Response:
    if not state:
        return auth_page("Login refused", "The login answer carries no state; start again.")
    container = container_of(request)
    async with container.database.transaction() as db:
        row = await db.get(LoginState, state[:64])
        if row is None or row.state != state:
            return auth_page("Login refused", "This login is unknown here; start again.")
        if row.used_at is not None:
            return auth_page("Login refused", "This login link was already used; start again.")
        if row.expires_at <= now:
            return auth_page("Login refused", "This login took too long and expired; start again.")
        spent = await db.execute(
            update(LoginState)
            .where(LoginState.state == state, LoginState.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(spent, "rowcount", 0) != 1:
            return auth_page("Login refused", "This login link was already used; start again.")
        db.expunge(row)
    return row


@router.get("/callback", response_model=None)
async def callback(
    request: Request,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """EVE SSO returns here with `code` and `state`."""
    sso = _sso(request)
    if isinstance(sso, Response):
        return sso
    now = datetime.now(UTC)
    login_state = await _spend_state(request, state, now)
    if isinstance(login_state, Response):
        return login_state
    if error is not None or not code:
        reason = "EVE SSO did not log you in" + (f" ({error[:80]})" if error else "")
        return auth_page("Login refused", reason + "; start again.")
    try:
        tokens = await sso.client.exchange_code(code, login_state.code_verifier)
        token = await sso.validator.validate(
            tokens.access_token, required_scopes=login_state.scopes.split(), now=now
        )
    except LoginRefused as exc:
        logger.warning("login refused: %s", exc)
        return auth_page("Login refused", str(exc))
    except SsoUnavailable as exc:
        return auth_page("EVE SSO is unavailable", str(exc), status=502)
    container = container_of(request)
    previous = await current_user(request)
    async with container.database.transaction() as db:
        record = await record_login(
            db,
            token,
            tokens,
            sso.vault,
            current_user_id=previous.user_id if previous else None,
            now=now,
        )
        if previous is not None:
            await end_session(db, previous.session_hash)
        cookie = await start_session(db, container, record.user_id, now)
        if record.synced_at is None or now - record.synced_at >= MIN_SYNC_INTERVAL:
            message = UserKillmailsMessage(character_id=record.character_id)
            await container.bus.publish_in(db, ESI_USER_KILLMAILS_QUEUE, [message], PRIORITY_LOGIN)
            await mark_queued(db, [record.character_id], now)
        else:
            logger.info("character %d synced recently; not queued at login", record.character_id)
    session_id = cookie.rsplit(".", 1)[0]
    response = RedirectResponse(
        login_state.next_path, status_code=303, headers={"Cache-Control": "no-store"}
    )
    set_session_cookies(
        response, container, cookie, csrf_token_for(container, session_hash(session_id))
    )
    return response


@router.post("/logout", response_model=None)
async def logout(
    request: Request, user: Annotated[AuthenticatedUser | None, Depends(require_csrf)]
) -> Response:
    """End the session (its CSRF token required) and clear the cookies."""
    container = container_of(request)
    if user is not None:
        async with container.database.transaction() as db:
            await end_session(db, user.session_hash)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookies(response)
    return response
