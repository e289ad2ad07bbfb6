"""Sessions end after their idle or absolute lifetime; cookies are Secure on an https site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from yarl import URL

from killreport.db.tables import Session
from killreport.settings import Settings
from killreport.sim import Simulator
from tests.auth.site import browser, free_port, log_in, running_site, site_settings, whoami


async def test_idle_and_absolute_lifetimes_end_sessions(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    settings = site_settings(
        embedded_settings, esi_url=sim.endpoints["esi"], sso_url=sim.endpoints["sso"],
        port=free_port(), session_idle_timeout_s=3600.0,
    )  # fmt: skip
    async with running_site(settings) as site, browser() as http:
        database = site.container.database
        # given a session unused for longer than the idle lifetime
        await log_in(http, site.url, pilot)
        async with database.transaction() as session:
            idle = datetime.now(UTC) - timedelta(hours=2)
            await session.execute(update(Session).values(last_seen_at=idle))
        # then it is over, and its row is gone
        assert (await whoami(http, site.url))["user"] is None
        async with database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(Session)) == 0
        # given a session past its absolute lifetime, however recently used
        await log_in(http, site.url, pilot)
        assert (await whoami(http, site.url))["user"] is not None
        async with database.transaction() as session:
            past = datetime.now(UTC) - timedelta(seconds=1)
            await session.execute(update(Session).values(expires_at=past))
        assert (await whoami(http, site.url))["user"] is None


async def test_cookies_are_secure_when_the_site_is_https(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    # given a site whose public callback is https (behind a TLS proxy)
    port = free_port()
    settings = site_settings(
        embedded_settings, esi_url=sim.endpoints["esi"], sso_url=sim.endpoints["sso"], port=port
    ).model_copy(update={"sso_callback_url": f"https://127.0.0.1:{port}/auth/callback"})
    async with running_site(settings) as site, browser() as http:
        async with http.get(f"{site.url}/auth/login", allow_redirects=False) as login:
            sso_page = URL(login.headers["Location"])
        # (the least scope by default; the corporation one only when asked for)
        assert sso_page.query["scope"] == "esi-killmails.read_killmails.v1"
        assert sso_page.query["code_challenge_method"] == "S256"
        async with http.get(
            f"{site.url}/auth/login?corporation=1", allow_redirects=False
        ) as corporation:
            asked = URL(corporation.headers["Location"]).query["scope"].split()
        assert asked == [
            "esi-killmails.read_killmails.v1",
            "esi-killmails.read_corporation_killmails.v1",
        ]
        form = dict(sso_page.query) | {"character_id": str(pilot)}
        async with http.post(sso_page.with_query(None), data=form, allow_redirects=False) as ok:
            back = URL(ok.headers["Location"])
        assert back.scheme == "https"
        # when the proxy hands the callback to the app
        async with http.get(back.with_scheme("http"), allow_redirects=False) as callback:
            cookies = callback.headers.getall("Set-Cookie")
        # then both cookies are Secure, the session one HttpOnly too
        assert callback.status == 303 and len(cookies) == 2
        assert all("Secure" in cookie for cookie in cookies)
        (session_cookie,) = [c for c in cookies if c.startswith("killreport_session=")]
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
