"""Issue 15's admin part: `/status/`, the `processes` query and the admin mutations refuse
anyone but an admin character, and work for one (served app, real logins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from killreport.operations.feed_pause import CURSOR_NAME, is_paused
from killreport.operations.heartbeat import Beat, open_store
from killreport.settings import Settings
from killreport.sim import Simulator
from tests.auth.site import browser, free_port, log_in, running_site, site_settings, whoami
from tests.auth.test_graphql import gql

PROCESSES = (
    "{ processes { processes { role host pid version startedAt lastSeen stale queues inFlight"
    " handled } queues { queueName deadLetterCount } feed esiBudget } }"
)
PAUSE = "mutation { pauseFeed { success message } }"


async def test_admin_status_page_processes_and_mutations(
    embedded_settings: Settings, sim: Simulator, pilot: int
) -> None:
    universe = sim.universe
    other = next(
        c.character_id
        for c in universe.characters.values()
        if not c.npc and c.character_id not in universe.directors and c.character_id != pilot
    )
    settings = site_settings(
        embedded_settings, esi_url=sim.endpoints["esi"], sso_url=sim.endpoints["sso"],
        port=free_port(), admin_character_ids=str(pilot),
    )  # fmt: skip
    async with running_site(settings) as site, browser() as admin, browser() as plain:
        # given a live worker on one host and a stale feed on another
        now = datetime.now(UTC)
        store = open_store(settings, site.container.database)
        queues = ("esi_character_info_queue",)
        await store.write(Beat("worker", "host-a", 4242, "1.0", now, now, queues, 2, 9), 600)
        old = now - timedelta(seconds=120)
        await store.write(Beat("feed", "host-b", 77, "1.0", old, old), 600)
        await store.close()
        # and an admin and a plain pilot logged in; and an anonymous browser
        await log_in(admin, site.url, pilot)
        await log_in(plain, site.url, other)
        admin_csrf = (await whoami(admin, site.url))["csrf"]
        plain_csrf = (await whoami(plain, site.url))["csrf"]
        async with browser() as anonymous:
            for http in (anonymous, plain):
                # when anyone but the admin opens /status/, then the 403 page
                async with http.get(f"{site.url}/status/") as page:
                    assert page.status == 403
                    assert "admin characters only" in await page.text()
                # and `processes` is FORBIDDEN
                refused = await gql(http, site.url, PROCESSES)
                assert refused["data"] is None
                assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            anonymous_pause = await gql(anonymous, site.url, PAUSE)
            assert anonymous_pause["errors"][0]["extensions"]["code"] == "FORBIDDEN"

        # when the admin opens /status/: both processes, the stale one marked
        async with admin.get(f"{site.url}/status/") as page:
            assert page.status == 200
            text = await page.text()
        assert '<tr class="alive" data-role="worker" data-pid="4242">' in text
        assert '<tr class="stale" data-role="feed" data-pid="77">' in text
        assert "host-a" in text and "host-b" in text
        assert 'data-queue="esi_character_info_queue"' in text
        assert "error_limit_remaining" in text and "r2z2_paused" in text

        # and queries `processes`: the heartbeats, the queues, the feed and the budget
        answer = await gql(admin, site.url, PROCESSES)
        assert "errors" not in answer
        body = answer["data"]["processes"]
        by_pid = {p["pid"]: p for p in body["processes"]}
        assert by_pid[4242] == {
            "role": "worker", "host": "host-a", "pid": 4242, "version": "1.0",
            "startedAt": now.isoformat(), "lastSeen": now.isoformat(), "stale": False,
            "queues": ["esi_character_info_queue"], "inFlight": 2, "handled": 9,
        }  # fmt: skip
        assert by_pid[77]["stale"] is True
        queue_names = {q["queueName"] for q in body["queues"]}
        assert "esi_character_info_queue" in queue_names
        assert body["feed"]["r2z2_paused"] is False
        assert "error_limit_remaining" in body["esiBudget"]

        # when the admin pauses the feed without the CSRF token: refused, nothing paused
        no_csrf = await gql(admin, site.url, PAUSE)
        assert no_csrf["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        # and the plain pilot, with their own valid token: refused too
        not_admin = await gql(plain, site.url, PAUSE, csrf=plain_csrf)
        assert not_admin["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await is_paused(site.container.database, CURSOR_NAME) is False
        # then with the token the admin pauses and resumes it
        paused = await gql(admin, site.url, PAUSE, csrf=admin_csrf)
        assert paused["data"]["pauseFeed"]["success"] is True
        assert await is_paused(site.container.database, CURSOR_NAME) is True
        resumed = await gql(admin, site.url, "mutation { resumeFeed { success } }", admin_csrf)
        assert resumed["data"]["resumeFeed"]["success"] is True
        assert await is_paused(site.container.database, CURSOR_NAME) is False

        # and queues an entity sync: both ids land on the kind's queue, in one message
        queued = await gql(
            admin, site.url,
            'mutation { queueEntitySync(kind: "alliance", ids: [99000001, 99000002]) { count } }',
            admin_csrf,
        )  # fmt: skip
        assert queued["data"]["queueEntitySync"]["count"] == 2
        (stats,) = await site.container.bus.queue_stats(["esi_alliance_info_queue"])
        assert stats.ready == 1
        # and purges that queue: its one message is gone
        purged = await gql(
            admin, site.url, 'mutation { purgeQueue(queue: "esi_alliance_info_queue") { count } }',
            admin_csrf,
        )  # fmt: skip
        assert purged["data"]["purgeQueue"]["count"] == 1
        (stats,) = await site.container.bus.queue_stats(["esi_alliance_info_queue"])
        assert stats.ready == 0
        # and an unknown queue is a client error, not a crash
        unknown = await gql(
            admin, site.url, 'mutation { replayDeadLetters(queue: "nope") { count } }', admin_csrf
        )
        assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        replayed = await gql(
            admin, site.url,
            'mutation { replayDeadLetters(queue: "esi_alliance_info_queue") { count } }',
            admin_csrf,
        )  # fmt: skip
        assert replayed["data"]["replayDeadLetters"]["count"] == 0
