"""Server-side sessions and CSRF.

The cookie holds a random id signed with the vault's keys (itsdangerous; the newest
signs, every key verifies); the `sessions` row holds only its SHA-256, with idle and
absolute lifetimes from Settings. The CSRF token is an HMAC of the session id, so it
needs no storage; state-changing requests carry it in `X-CSRF-Token` or a
`csrf_token` form field. A readable `killreport_csrf` cookie hands it to scripts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, Signer
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from killreport.container import Container
from killreport.db.tables import Session
from killreport.sso.setup import SsoDisabled
from killreport.users.accounts import Account, CharacterView, load_account

logger = logging.getLogger(__name__)

SESSION_COOKIE = "killreport_session"
CSRF_COOKIE = "killreport_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
# last_seen_at is written at most this often, not on every request.
TOUCH_INTERVAL = timedelta(minutes=1)
_STATE_KEY = "killreport_user"


@dataclass(frozen=True, slots=True)
class AuthenticatedUser:
    """The logged-in user of a request, with the CSRF token its forms must send."""

    account: Account
    session_hash: str
    csrf_token: str

    @property
    def user_id(self) -> int:
        """The user's id."""
        return self.account.user_id

    @property
    def is_admin(self) -> bool:
        """True when one of the user's characters is named in KILLREPORT_ADMIN_CHARACTER_IDS."""
        return self.account.is_admin

    @property
    def characters(self) -> tuple[CharacterView, ...]:
        """The user's characters."""
        return self.account.characters


def container_of(request: Request) -> Container:
    """The container the app serves."""
    container: Container = request.app.state.container
    return container


def _signer(container: Container) -> Signer | None:
    sso = container.sso
    if isinstance(sso, SsoDisabled):
        return None
    return Signer(sso.vault.signing_keys(), salt="killreport-session")


def session_hash(session_id: str) -> str:
    """What the database stores of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token_for(container: Container, session_id_hash: str) -> str:
    """The CSRF token of a session: an HMAC under the newest key."""
    sso = container.sso
    key = b"" if isinstance(sso, SsoDisabled) else sso.vault.signing_keys()[-1]
    return hmac.new(key, b"csrf:" + session_id_hash.encode(), hashlib.sha256).hexdigest()


def _session_id(request: Request, container: Container) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    signer = _signer(container)
    if not cookie or signer is None:
        return None
    try:
        return signer.unsign(cookie).decode()
    except BadSignature:
        return None


async def current_user(request: Request) -> AuthenticatedUser | None:
    """The request's logged-in user, or None (a FastAPI dependency too); cached per request."""
    if hasattr(request.state, _STATE_KEY):
        cached: AuthenticatedUser | None = getattr(request.state, _STATE_KEY)
        return cached
    container = container_of(request)
    user = await _lookup(request, container)
    setattr(request.state, _STATE_KEY, user)
    return user


async def _lookup(request: Request, container: Container) -> AuthenticatedUser | None:
    session_id = _session_id(request, container)
    if session_id is None:
        return None
    hashed = session_hash(session_id)
    now = datetime.now(UTC)
    settings = container.settings
    async with container.database.transaction() as db:
        row = await db.get(Session, hashed)
        if row is None:
            return None
        idle = timedelta(seconds=settings.session_idle_timeout_s)
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            await db.delete(row)
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL:
            row.last_seen_at = now
        account = await load_account(db, row.user_id, settings.admin_ids)
    if account is None:
        return None
    return AuthenticatedUser(account, hashed, csrf_token_for(container, hashed))


async def require_user(request: Request) -> AuthenticatedUser:
    """The logged-in user, or 401."""
    user = await current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="log in first")
    return user


def csrf_ok(user: AuthenticatedUser, supplied: str | None) -> bool:
    """True when the supplied token is the session's CSRF token."""
    return supplied is not None and hmac.compare_digest(supplied, user.csrf_token)


async def supplied_csrf(request: Request) -> str | None:
    """The CSRF token a request carries: the header, else a form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        field = (await request.form()).get(CSRF_FIELD)
        return field if isinstance(field, str) else None
    return None


async def require_csrf(request: Request) -> AuthenticatedUser | None:
    """For state-changing routes: with a session cookie, the CSRF token must match (403)."""
    user = await current_user(request)
    if user is None:
        return None
    if not csrf_ok(user, await supplied_csrf(request)):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return user


async def start_session(db: AsyncSession, container: Container, user_id: int, now: datetime) -> str:
    """A new session row for the user; returns the signed cookie value."""
    signer = _signer(container)
    if signer is None:
        raise RuntimeError("sessions need the SSO vault keys")
    session_id = secrets.token_urlsafe(32)
    max_age = timedelta(seconds=container.settings.session_max_age_s)
    db.add(
        Session(
            session_hash=session_hash(session_id),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + max_age,
        )
    )
    return signer.sign(session_id).decode()


async def end_session(db: AsyncSession, hashed: str) -> None:
    """Delete a session row."""
    await db.execute(delete(Session).where(Session.session_hash == hashed))


def set_session_cookies(
    response: Response, container: Container, cookie: str, csrf_token: str
) -> None:
    """The session cookie (HttpOnly, SameSite=Lax, Secure on https) and the CSRF cookie."""
    settings = container.settings
    secure = settings.sso_callback_url.startswith("https://")
    max_age = int(settings.session_max_age_s)
    response.set_cookie(
        SESSION_COOKIE, cookie, max_age=max_age, httponly=True, samesite="lax", secure=secure,
        path="/",
    )  # fmt: skip
    response.set_cookie(
        CSRF_COOKIE, csrf_token, max_age=max_age, httponly=False, samesite="lax", secure=secure,
        path="/",
    )  # fmt: skip


def clear_session_cookies(response: Response) -> None:
    """Remove both cookies."""
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
