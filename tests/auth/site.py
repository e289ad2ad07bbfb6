"""The site under test for login and sync: the app served on a known port, pointed at a
simulator's ESI and an SSO, and a browser (aiohttp with a cookie jar) that logs in."""

from __future__ import annotations

import asyncio
import html
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from fastapi import Depends
from pydantic import SecretStr
from sqlalchemy import select, update
from yarl import URL

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.api.auth import AuthenticatedUser, current_user
from killreport.bus.contracts import ESI_USER_KILLMAILS_QUEUE
from killreport.db.tables import UserCharacter
from killreport.settings import Settings
from killreport.sim.server import SSO_CLIENT_ID, SSO_CLIENT_SECRET
from killreport.sim.sso import SsoSimulator
from killreport.sso.client import TokenSet
from killreport.sso.setup import SsoServices
from killreport.users.accounts import record_login
from killreport.workers.routes import select_routes
from killreport.workers.runtime import run_routes
from tests.serving import serve

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')
_ACTION = re.compile(r'<form method="post" action="([^"]*)">')


def free_port() -> int:
    """A loopback port nobody listens on now (the SSO needs the callback URL up front)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Site:
    """The served app and its container."""

    url: str
    container: container_module.Container


def site_settings(
    base: Settings, *, esi_url: str, sso_url: str, port: int, **extra: Any
) -> Settings:
    """Settings pointing ESI and SSO at the given servers, the callback at `port`."""
    return base.model_copy(
        update={
            "esi_url": esi_url,
            "sso_url": sso_url,
            "sso_client_id": SSO_CLIENT_ID,
            "sso_client_secret": SecretStr(SSO_CLIENT_SECRET),
            "sso_callback_url": f"http://127.0.0.1:{port}/auth/callback",
            **extra,
        }
    )


@asynccontextmanager
async def running_site(settings: Settings) -> AsyncIterator[Site]:
    """The API app on the callback's port, plus `/whoami` answering `current_user`."""
    port = URL(settings.sso_callback_url).port or 0
    async with container_module.build(settings) as container:
        app = create_app(container)

        @app.get("/whoami")
        async def whoami(
            user: AuthenticatedUser | None = Depends(current_user),  # noqa: B008
        ) -> dict[str, Any]:
            if user is None:
                return {"user": None}
            return {
                "user": user.user_id,
                "admin": user.is_admin,
                "csrf": user.csrf_token,
                "characters": [
                    {"id": c.character_id, "name": c.name, "needs_login": c.needs_login,
                     "state": c.sync_state}
                    for c in user.characters
                ],
            }  # fmt: skip

        async with serve(app, port) as url:
            yield Site(url, container)


def browser() -> aiohttp.ClientSession:
    """A browser: cookies kept (also for 127.0.0.1), redirects followed."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


@dataclass
class Visit:
    """Every URL and body the browser saw on the way, and where it ended."""

    urls: list[str]
    bodies: list[str]
    status: int
    final_url: str
    final_body: str


async def log_in(
    http: aiohttp.ClientSession, site_url: str, character_id: int, query: str = "next=/whoami"
) -> Visit:
    """Click "log in", pick the character on the SSO page, follow everything back."""
    urls: list[str] = []
    bodies: list[str] = []
    async with http.get(f"{site_url}/auth/login?{query}") as page:
        urls += [str(r.url) for r in page.history] + [str(page.url)]
        text = await page.text()
        bodies.append(text)
        if page.status != 200 or "<form" not in text:
            return Visit(urls, bodies, page.status, str(page.url), text)
        action = page.url.join(URL(html.unescape(_ACTION.search(text).group(1))))  # type: ignore[union-attr]
    form = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(text)}
    form["character_id"] = str(character_id)
    async with http.post(action, data=form) as answer:
        urls += [str(r.url) for r in answer.history] + [str(answer.url)]
        urls += [r.headers.get("Location", "") for r in answer.history]
        body = await answer.text()
        bodies.append(body)
        return Visit(urls, bodies, answer.status, str(answer.url), body)


async def whoami(http: aiohttp.ClientSession, site_url: str) -> dict[str, Any]:
    """What the site says of the browser's session."""
    async with http.get(f"{site_url}/whoami") as response:
        result: dict[str, Any] = await response.json()
        return result


async def drain(container: container_module.Container, timeout_s: float = 60.0) -> None:
    """Run the user-killmails worker until its queue is empty."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_routes(container, select_routes(["user-killmails"]), stop))
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                await asyncio.sleep(0.2)
                (stats,) = await container.bus.queue_stats([ESI_USER_KILLMAILS_QUEUE])
                if stats.ready == 0 and not stats.unacked and not stats.delayed:
                    break
    finally:
        stop.set()
        await task


async def character_row(container: container_module.Container, character_id: int) -> UserCharacter:
    """The stored character."""
    async with container.database.transaction() as session:
        row = (
            await session.scalars(
                select(UserCharacter).where(UserCharacter.character_id == character_id)
            )
        ).one()
        session.expunge(row)
        return row


def record_tokens(sso: SsoSimulator) -> list[str]:
    """Every access and refresh token `sso` hands out from now on (to look for leaks)."""
    issued: list[str] = []
    original = sso._issue

    def issue(*args: Any, **kwargs: Any) -> dict[str, object]:
        body = original(*args, **kwargs)
        issued.extend(str(body[k]) for k in ("access_token", "refresh_token") if k in body)
        return body

    sso._issue = issue  # type: ignore[method-assign]
    return issued


async def enrol(
    container: container_module.Container,
    sim_sso: SsoSimulator,
    character_id: int,
    scopes: tuple[str, ...] = ("esi-killmails.read_killmails.v1",),
) -> None:
    """What a login stores, without the browser: a token from SSO, checked and recorded."""
    sso = container.sso
    assert isinstance(sso, SsoServices)
    body = sim_sso.issue_token(character_id, scopes)
    now = datetime.now(UTC)
    tokens = TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(body["refresh_token"]),
        expires_at=now + timedelta(seconds=1199),
    )
    token = await sso.validator.validate(tokens.access_token, now=now)
    async with container.database.transaction() as session:
        await record_login(session, token, tokens, sso.vault, current_user_id=None, now=now)


async def set_character(
    container: container_module.Container, character_id: int, **values: Any
) -> None:
    """Change stored columns of a character (to age its token or its last sync)."""
    async with container.database.transaction() as session:
        await session.execute(
            update(UserCharacter).where(UserCharacter.character_id == character_id).values(values)
        )
