"""Logging in as a browser does, through the simulator's SSO pages (issue 12)."""

from __future__ import annotations

from pathlib import Path

import orjson
from pydantic import SecretStr
from sqlalchemy import select, text

from killreport.bus.contracts import ESI_USER_KILLMAILS_QUEUE, MAX_PRIORITY, PRIORITY_LOGIN
from killreport.db.tables import QueueMessage, Session, User, UserCharacter
from killreport.settings import Settings
from killreport.sim import Simulator
from killreport.sso.setup import SsoServices
from tests.auth.site import (
    browser,
    character_row,
    free_port,
    log_in,
    record_tokens,
    running_site,
    site_settings,
    whoami,
)


def _settings(embedded_settings: Settings, sim: Simulator, **extra: object) -> Settings:
    return site_settings(
        embedded_settings,
        esi_url=sim.endpoints["esi"],
        sso_url=sim.endpoints["sso"],
        port=free_port(),
        **extra,
    )


async def test_browser_login_ends_logged_in_with_no_token_anywhere_it_can_leak(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    # given the site pointed at the simulator, and every token its SSO hands out recorded
    issued = record_tokens(sim.state.sso)  # type: ignore[arg-type]
    settings = _settings(embedded_settings, sim, admin_character_ids=str(pilot))
    async with running_site(settings) as site, browser() as http:
        # when a browser logs in as the pilot, following every redirect
        visit = await log_in(http, site.url, pilot)
        # then it lands on the page it asked for, logged in as that character (an admin)
        assert visit.status == 200
        assert visit.final_url == f"{site.url}/whoami"
        me = await whoami(http, site.url)
        name = sim.universe.characters[pilot].name
        assert me["admin"] is True
        assert me["characters"] == [
            {"id": pilot, "name": name, "needs_login": False, "state": "never"}
        ]
        # and no token is in the redirect chain, a body, or a cookie scripts can read
        assert len(issued) == 2
        seen = " ".join(visit.urls + visit.bodies)
        readable = {c.key: c.value for c in http.cookie_jar if not c["httponly"]}
        assert set(readable) == {"killreport_csrf"}
        for token in issued:
            assert token not in seen
            assert all(token not in value for value in readable.values())
        session_cookie = next(c for c in http.cookie_jar if c.key == "killreport_session")
        assert session_cookie["httponly"] and session_cookie["samesite"].lower() == "lax"
        # and the database holds the tokens only encrypted, the vault gives them back
        row = await character_row(site.container, pilot)
        sso = site.container.sso
        assert isinstance(sso, SsoServices)
        assert row.access_token_encrypted is not None and row.refresh_token_encrypted is not None
        assert {sso.vault.decrypt(row.access_token_encrypted)} | {
            sso.vault.decrypt(row.refresh_token_encrypted)
        } == set(issued)
        # and the login queued the pilot's sync at priority 8, without a token
        async with site.container.database.transaction() as session:
            messages = (await session.scalars(select(QueueMessage))).all()
        assert [(m.queue, m.rank) for m in messages] == [
            (ESI_USER_KILLMAILS_QUEUE, MAX_PRIORITY - PRIORITY_LOGIN)
        ]
        assert orjson.loads(messages[0].body) == {"v": 1, "character_id": pilot, "full": False}
    database_bytes = Path(settings.database_url.removeprefix("sqlite+aiosqlite:///")).read_bytes()
    for token in issued:
        assert token.encode() not in database_bytes
    # and the vault's key file was created readable by its owner only
    assert (Path(settings.data_dir) / "secret.key").stat().st_mode & 0o777 == 0o600


async def test_second_character_while_logged_in_is_linked_and_logout_needs_csrf(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    # given a pilot logged in, and an alt of theirs
    alt = next(
        c.character_id
        for c in sim.universe.characters.values()
        if not c.npc and c.character_id != pilot
    )
    async with running_site(_settings(embedded_settings, sim)) as site, browser() as http:
        await log_in(http, site.url, pilot)
        # when the alt logs in in the same browser
        await log_in(http, site.url, alt)
        # then one user has both characters
        me = await whoami(http, site.url)
        assert [c["id"] for c in me["characters"]] == [pilot, alt]
        async with site.container.database.transaction() as session:
            assert len((await session.scalars(select(User))).all()) == 1
        # when logout is posted without the CSRF token, it is refused and the session stays
        async with http.post(f"{site.url}/auth/logout", allow_redirects=False) as refused:
            assert refused.status == 403
        assert (await whoami(http, site.url))["user"] == me["user"]
        # when it is posted with the token, the session ends
        async with http.post(
            f"{site.url}/auth/logout", data={"csrf_token": me["csrf"]}, allow_redirects=False
        ) as done:
            assert done.status == 303
        assert (await whoami(http, site.url))["user"] is None
        async with site.container.database.transaction() as session:
            assert (await session.scalars(select(Session))).all() == []


async def test_a_sold_character_leaves_its_old_user(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    # given a pilot logged in once
    async with running_site(_settings(embedded_settings, sim)) as site:
        async with browser() as http:
            await log_in(http, site.url, pilot)
            first = (await whoami(http, site.url))["user"]
        # when the character is sold (SSO now gives another owner hash) and logs in again
        sim.state.sso._owner_salt = "sold"  # type: ignore[union-attr]
        async with browser() as http:
            await log_in(http, site.url, pilot)
            second = (await whoami(http, site.url))["user"]
        # then it belongs to a new user only; the old user, without characters, is gone
        assert second != first
        async with site.container.database.transaction() as session:
            users = (await session.scalars(select(User.user_id))).all()
            owners = (await session.scalars(select(UserCharacter.user_id))).all()
            old_sessions = await session.scalar(
                text("SELECT count(*) FROM sessions WHERE user_id = :u"), {"u": first}
            )
        assert users == [second] and owners == [second] and old_sessions == 0


async def test_login_on_the_services_deployment(
    services_settings: Settings, sim: Simulator, pilot: int
) -> None:
    # given the services deployment (PostgreSQL, RabbitMQ, Redis) with a configured key
    settings = _settings(services_settings, sim, secret_key=SecretStr("services-secret"))
    async with running_site(settings) as site, browser() as http:
        # when a browser logs in
        await log_in(http, site.url, pilot)
        # then the site knows the character and RabbitMQ holds its sync, without a token
        me = await whoami(http, site.url)
        assert [c["id"] for c in me["characters"]] == [pilot]
        async with site.container.bus.consume(ESI_USER_KILLMAILS_QUEUE, prefetch=1) as sub:
            delivery = await sub.next()
            assert delivery is not None
            assert orjson.loads(delivery.body) == {"v": 1, "character_id": pilot, "full": False}
            await site.container.bus.ack(delivery)


async def test_the_services_deployment_without_a_key_says_which_variable(
    services_settings: Settings, sim: Simulator
) -> None:
    # given the services deployment without KILLREPORT_SECRET_KEY
    async with (
        running_site(_settings(services_settings, sim)) as site,
        browser() as http,
        http.get(f"{site.url}/auth/login") as response,
    ):
        # then login is off and the page names the variable
        assert response.status == 503
        assert "KILLREPORT_SECRET_KEY" in await response.text()
