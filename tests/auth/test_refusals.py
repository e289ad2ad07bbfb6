"""Every login refusal is a page saying what went wrong, and stores nothing (issue 12)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select, update
from yarl import URL

from killreport.db.tables import LoginState, Session, User, UserCharacter
from killreport.settings import Settings
from killreport.sim import Simulator
from killreport.sim.server import SSO_CLIENT_ID, SSO_CLIENT_SECRET
from killreport.sim.sso import SsoSimulator
from killreport.sim.sso_tokens import SigningKeys
from tests.auth.site import Site, browser, free_port, log_in, running_site, site_settings

Tamper = Callable[[dict[str, Any]], dict[str, Any]]


class TamperedSso(SsoSimulator):
    """The simulated SSO whose tokens are changed (and maybe signed with another key)."""

    def __init__(self, characters: dict[int, str], tamper: Tamper, forge: bool) -> None:
        super().__init__(
            lambda: characters, client_id=SSO_CLIENT_ID, client_secret=SSO_CLIENT_SECRET
        )
        self.tamper = tamper
        self.forger = SigningKeys() if forge else None

    def _issue(self, *args: Any, **kwargs: Any) -> dict[str, object]:
        body = super()._issue(*args, **kwargs)
        claims = self._keys.decode(str(body["access_token"]))
        assert claims is not None
        keys = self.forger or self._keys
        body["access_token"] = keys.sign(self.tamper(claims))
        return body


@asynccontextmanager
async def serve_sso(sso: SsoSimulator) -> AsyncIterator[str]:
    sub = web.Application()
    sub.add_routes(sso.routes())
    app = web.Application()
    app.add_subapp("/sso", sub)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/sso"
    finally:
        await runner.cleanup()


async def assert_nothing_stored(site: Site) -> None:
    async with site.container.database.transaction() as session:
        for table in (User, UserCharacter, Session):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


def _settings(base: Settings, sim: Simulator, sso_url: str | None = None) -> Settings:
    return site_settings(
        base, esi_url=sim.endpoints["esi"], sso_url=sso_url or sim.endpoints["sso"],
        port=free_port(),
    )  # fmt: skip


def _expired(claims: dict[str, Any]) -> dict[str, Any]:
    return {**claims, "iat": claims["iat"] - 7200, "exp": claims["exp"] - 7200}


@pytest.mark.parametrize(
    ("tamper", "forge", "says"),
    [
        (lambda c: c, True, "signature does not verify"),
        (_expired, False, "expired"),
        (lambda c: {**c, "aud": ["someone-else", "EVE Online"]}, False, "audience"),
        (lambda c: {**c, "aud": [SSO_CLIENT_ID]}, False, "audience"),
        (lambda c: {**c, "iss": "https://login.example.com"}, False, "wrong issuer"),
        (lambda c: {**c, "sub": "CORPORATION:EVE:1"}, False, "does not name a character"),
        (lambda c: {**c, "scp": "publicData"}, False, "did not grant"),
    ],
    ids=["forged", "expired", "other-audience", "no-eve-audience", "issuer", "subject", "scope"],
)
async def test_a_bad_token_refuses_the_login(
    embedded_settings: Settings, sim: Simulator, pilot: int, tamper: Tamper, forge: bool, says: str
) -> None:
    # given an SSO that hands out a token failing one check
    sso = TamperedSso({pilot: "Tampered Pilot"}, tamper, forge)
    async with (
        serve_sso(sso) as sso_url,
        running_site(_settings(embedded_settings, sim, sso_url)) as site,
    ):
        async with browser() as http:
            # when a browser logs in through it
            visit = await log_in(http, site.url, pilot)
            # then the page says which check failed, and no one is logged in or stored
            assert visit.status == 400
            assert "Login refused" in visit.final_body and says in visit.final_body
        await assert_nothing_stored(site)


async def _authorize(http: Any, site: Site, pilot: int) -> URL:
    """Log in up to the SSO's redirect back; return the callback URL (code and state)."""
    async with http.get(f"{site.url}/auth/login", allow_redirects=False) as login:
        sso_page = URL(login.headers["Location"])
    form = dict(sso_page.query) | {"character_id": str(pilot)}
    async with http.post(sso_page.with_query(None), data=form, allow_redirects=False) as answer:
        return URL(answer.headers["Location"])


async def _get(http: Any, url: URL | str) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False) as response:
        return response.status, await response.text()


async def test_state_checks_refuse_missing_unknown_expired_and_reused_states(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    async with running_site(_settings(embedded_settings, sim)) as site, browser() as http:
        callback = f"{site.url}/auth/callback"
        # missing and unknown states
        status, page = await _get(http, f"{callback}?code=abc")
        assert status == 400 and "carries no state" in page
        status, page = await _get(http, f"{callback}?code=abc&state=forged")
        assert status == 400 and "unknown here" in page
        # an expired state (older than its 10 minutes)
        back = await _authorize(http, site, pilot)
        async with site.container.database.transaction() as session:
            past = datetime.now(UTC) - timedelta(seconds=1)
            await session.execute(update(LoginState).values(expires_at=past))
        status, page = await _get(http, back)
        assert status == 400 and "expired" in page
        await assert_nothing_stored(site)
        # a reused state: the first callback logs in, the same one again is refused
        back = await _authorize(http, site, pilot)
        status, _ = await _get(http, back)
        assert status == 303
        async with browser() as other:
            status, page = await _get(other, back)
        assert status == 400 and "already used" in page


async def test_a_replayed_code_and_an_off_site_next_are_refused(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    async with running_site(_settings(embedded_settings, sim)) as site, browser() as http:
        # given a code already exchanged once
        used = await _authorize(http, site, pilot)
        assert (await _get(http, used))[0] == 303
        # when it is replayed with a fresh, valid state
        fresh = await _authorize(http, site, pilot)
        status, page = await _get(http, fresh.update_query(code=used.query["code"]))
        # then SSO refuses it and the page says so
        assert status == 400 and "refused the login code" in page
        # and `next` must be a path of this site
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "evil"):
            async with http.get(
                f"{site.url}/auth/login", params={"next": target}, allow_redirects=False
            ) as response:
                assert response.status == 400
                assert "must be a page of this site" in await response.text()
        async with site.container.database.transaction() as session:
            states = await session.scalar(select(func.count()).select_from(LoginState))
        assert states == 2  # only the two logins above were started
