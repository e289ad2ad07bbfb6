"""`me`, `myKillmails`, `syncMyKillmails` and `logout` over a served /graphql (issue 12)."""

from __future__ import annotations

from typing import Any

import aiohttp

from killreport.settings import Settings
from killreport.sim import Simulator
from tests.auth.site import (
    browser,
    drain,
    free_port,
    log_in,
    record_tokens,
    running_site,
    site_settings,
)

ME = "{ me { id isAdmin csrfToken characters { id name lastSyncedAt syncState needsLogin } } }"
# The seed's query, verbatim.
MY_KILLMAILS = (
    "query { myKillmails(limit: 20) { killmailId killmailTime victim { characterId shipTypeId } } }"
)
SYNC = "mutation { syncMyKillmails { success message syncedCount } }"


ANSWERS: list[str] = []


async def gql(
    http: aiohttp.ClientSession, url: str, query: str, csrf: str | None = None
) -> dict[str, Any]:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    async with http.post(f"{url}/graphql", json={"query": query}, headers=headers) as response:
        ANSWERS.append(await response.text())
        body: dict[str, Any] = await response.json()
        return body


async def test_me_my_killmails_sync_and_logout(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    settings = site_settings(
        embedded_settings, esi_url=sim.endpoints["esi"], sso_url=sim.endpoints["sso"],
        port=free_port(), esi_max_rps=1000, queue_poll_interval_s=0.05,
    )  # fmt: skip
    issued = record_tokens(sim.state.sso)  # type: ignore[arg-type]
    ANSWERS.clear()
    async with running_site(settings) as site, browser() as http:
        # given a visitor: `me` is null and myKillmails asks for a login
        assert (await gql(http, site.url, ME))["data"] == {"me": None}
        refused = await gql(http, site.url, MY_KILLMAILS)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        # when the pilot, with 30 recent killmails, logs in and the worker syncs them
        recent = sim.add_character_killmails(pilot, 30)
        await log_in(http, site.url, pilot)
        await drain(site.container)
        # then `me` names the character with its sync time and state
        me = (await gql(http, site.url, ME))["data"]["me"]
        (character,) = me["characters"]
        assert character["id"] == str(pilot)
        assert character["name"] == sim.universe.characters[pilot].name
        assert character["syncState"] == "ok" and character["lastSyncedAt"]
        assert character["needsLogin"] is False and me["isAdmin"] is False
        # and the seed's myKillmails query gives the newest killmails involving them
        newest = sorted(recent, reverse=True)[:20]
        rows = (await gql(http, site.url, MY_KILLMAILS))["data"]["myKillmails"]
        assert sorted((r["killmailId"] for r in rows), reverse=True) == newest
        assert all(set(r["victim"]) == {"characterId", "shipTypeId"} for r in rows)
        # and me.killmails pages with cursors like `killmails`
        page = "{ me { killmails(first: 3%s) { edges { cursor node { killmailId } } } } }"
        first = (await gql(http, site.url, page % ""))["data"]["me"]["killmails"]["edges"]
        after = first[-1]["cursor"]
        second = (await gql(http, site.url, page % f', after: "{after}"'))["data"]["me"]
        ids = [e["node"]["killmailId"] for e in first + second["killmails"]["edges"]]
        assert len(ids) == 6 and len(set(ids)) == 6
        # when syncMyKillmails comes without the CSRF token, or over GET, it is refused
        no_csrf = await gql(http, site.url, SYNC)
        assert no_csrf["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        async with http.get(f"{site.url}/graphql", params={"query": SYNC}) as over_get:
            assert over_get.status in (400, 405)
        # with the token it says it skipped the character synced a moment ago
        synced = (await gql(http, site.url, SYNC, me["csrfToken"]))["data"]["syncMyKillmails"]
        assert synced["success"] is False and synced["syncedCount"] == 0
        assert "skipped" in synced["message"] and "15 minutes" in synced["message"]
        # and logout needs the token too, then the session is over
        assert "errors" in await gql(http, site.url, "mutation { logout { success } }")
        out = await gql(http, site.url, "mutation { logout { success } }", me["csrfToken"])
        assert out["data"] == {"logout": {"success": True}}
        assert (await gql(http, site.url, ME))["data"] == {"me": None}
    # and no GraphQL answer ever held a token
    assert issued and ANSWERS
    assert not any(token in answer for token in issued for answer in ANSWERS)
