"""Hostile queries are refused before they run; the rate limit answers 429; errors are masked."""

from __future__ import annotations

import logging
import re

import pytest
from graphql import get_introspection_query

from killreport.api.graphql import killmail_query
from killreport.settings import Settings
from tests.api.served import served
from tests.conftest import make_settings


def _deep(levels: int) -> str:
    # killmail -> victim -> character -> killmails -> edges -> node -> victim -> ... (cycles)
    query = "killmailId"
    depth = 1
    while depth < levels:
        query = (
            f"edges {{ node {{ victim {{ character {{ killmails(first: 1) {{ {query} }} }} }} }} }}"
        )
        depth += 5
    return f"{{ killmails(first: 1) {{ {query} }} }}"


COSTLY = """
{ killmails(first: 100) { edges { node { victim { character {
    killmails(first: 100) { edges { node { victim { character {
      killmails(first: 100) { edges { node { killmailId } } }
} } } } } } } } } } }
"""


async def test_hostile_queries_are_refused_before_they_run(embedded_settings: Settings) -> None:
    # given the API over the real killmails
    async with served(embedded_settings) as api:
        # when a query 50 levels deep, one that could resolve 100 x 100 x 100 rows, one asking
        # for 100,000 killmails and a 1 MB document arrive
        deep_status, deep = await api.post(_deep(50))
        costly_status, costly = await api.post(COSTLY)
        big_page_status, big_page = await api.post(
            "{ killmails(first: 100000) { edges { cursor } } }"
        )
        by_variable = await api.post(
            "query ($n: Int!) { killmails(first: $n) { edges { cursor } } }", {"n": 100000}
        )
        huge_status, huge = await api.post("{ killmails { edges { cursor } } }" + " " * 1_000_000)
        # and sensible queries still run, GraphiQL's introspection among them
        fine = await api.data("{ killmails(first: 100) { edges { node { killmailId } } } }")
        schema = await api.data(get_introspection_query(descriptions=True))
    # then each is refused with its code, without data
    assert deep_status == 200 and deep["data"] is None
    assert deep["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert (
        costly["data"] is None and costly["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    )
    assert big_page["data"] is None
    assert big_page["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
    assert "at most 100" in big_page["errors"][0]["message"]
    assert by_variable[1]["errors"][0]["extensions"]["code"] == "PAGE_SIZE_TOO_LARGE"
    assert huge_status == 413 and huge["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    assert len(fine["killmails"]["edges"]) == 100
    assert any(t["name"] == "Killmail" for t in schema["__schema"]["types"])
    assert (costly_status, big_page_status) == (200, 200)


async def test_bad_arguments_give_codes_and_unknown_ids_null(embedded_settings: Settings) -> None:
    async with served(embedded_settings) as api:
        # when ids are not numbers, cursors forged, or ids unknown
        _, bad_id = await api.post('{ killmail(id: "abc") { killmailId } }')
        _, bad_cursor = await api.post('{ killmails(after: "forged") { edges { cursor } } }')
        unknown = await api.data('{ killmail(id: "7") { killmailId } character(id: "5") { name } }')
    # then the client learns what was wrong, and unknown ids are null
    assert bad_id["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert unknown == {"killmail": None, "character": None}


async def test_the_rate_limit_answers_429_per_client(settings: Settings) -> None:
    # given a bucket of 3 requests per client that refills slowly (in Redis on services),
    # and the loopback trusted as a proxy
    limited = make_settings(
        **settings.model_dump(
            exclude={"api_rate_limit_burst", "api_rate_limit_per_s", "api_trusted_proxies"}
        ),
        api_rate_limit_burst=3,
        api_rate_limit_per_s=0.05,
        api_trusted_proxies="127.0.0.1",
    )
    async with served(limited, with_corpus=False) as api:
        query = {"query": "{ latest: killmails(first: 1) { edges { cursor } } }"}

        async def status(client: str) -> tuple[int, str | None, dict[str, object]]:
            headers = {"X-Forwarded-For": f"{client}, 127.0.0.1"}
            async with api.http.post(f"{api.url}/graphql", json=query, headers=headers) as r:
                return r.status, r.headers.get("Retry-After"), await r.json()

        # when one client sends 4 requests and another 1
        first = [await status("203.0.113.7") for _ in range(4)]
        other = await status("198.51.100.9")
    # then the fourth is refused with 429 and Retry-After, the other client is served
    assert [s for s, _, _ in first] == [200, 200, 200, 429]
    retry_after = first[3][1]
    assert retry_after is not None and int(retry_after) >= 1
    assert first[3][2]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"  # type: ignore[index]
    assert other[0] == 200


async def test_forwarded_for_is_ignored_from_untrusted_peers(embedded_settings: Settings) -> None:
    limited = make_settings(
        **embedded_settings.model_dump(exclude={"api_rate_limit_burst", "api_rate_limit_per_s"}),
        api_rate_limit_burst=2,
        api_rate_limit_per_s=0.05,
    )
    async with served(limited, with_corpus=False) as api:
        statuses = []
        # when the same peer claims a new address each time
        for n in range(3):
            headers = {"X-Forwarded-For": f"192.0.2.{n}"}
            body = {"query": "{ killmails(first: 1) { edges { cursor } } }"}
            async with api.http.post(f"{api.url}/graphql", json=body, headers=headers) as r:
                statuses.append(r.status)
    # then the claims are not believed: the peer's own bucket runs out
    assert statuses == [200, 200, 429]


async def test_unexpected_errors_are_masked_with_a_request_id(
    embedded_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given a read that fails with an internal detail
    async def broken(*_args: object) -> list[object]:
        raise RuntimeError("password=hunter2 in the connection string")

    monkeypatch.setattr(killmail_query, "killmail_date_counts", broken)
    async with served(embedded_settings, with_corpus=False) as api:
        # when a query runs into it
        with caplog.at_level(logging.ERROR, logger="killreport.api.graphql.masking"):
            async with api.http.post(
                f"{api.url}/graphql", json={"query": "{ killmailDateCounts { date count } }"}
            ) as response:
                body = await response.json()
                request_id = response.headers["X-Request-Id"]
    # then the client sees only a request id, and the log has the cause with that id
    error = body["errors"][0]
    assert "hunter2" not in str(body)
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert re.search(rf"request id {request_id}\b", error["message"])
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None and "hunter2" in str(logged[0].exc_info[1])


async def test_anonymous_get_may_be_cached_briefly_and_nothing_else(
    embedded_settings: Settings,
) -> None:
    async with served(embedded_settings, with_corpus=False) as api:
        query = {"query": "{ killmails(first: 1) { edges { cursor } } }"}
        url = f"{api.url}/graphql"
        async with api.http.get(url, params=query) as anonymous:
            anonymous_cache = anonymous.headers["Cache-Control"]
        async with api.http.get(url, params=query, headers={"Cookie": "session=abc"}) as cookie:
            cookie_cache = cookie.headers["Cache-Control"]
        async with api.http.post(url, json=query) as post:
            post_cache = post.headers["Cache-Control"]
        async with api.http.get(url, headers={"Accept": "text/html"}) as ide:
            ide_page = await ide.text()
        scripts = re.findall(r'(?:src|href)="(/graphql/static/[^"]+)"', ide_page)
        served_scripts = []
        for script in scripts:
            async with api.http.get(f"{api.url}{script}") as asset:
                served_scripts.append((asset.status, len(await asset.read()) > 500))
    assert anonymous_cache == "public, max-age=10"
    assert cookie_cache == post_cache == "private, no-store"
    assert "graphiql" in ide_page.lower()
    # and GraphiQL's scripts and styles come from the package, not a CDN
    assert "unpkg.com" not in ide_page
    assert len(scripts) == 7
    assert served_scripts == [(200, True)] * 7


async def test_graphiql_can_be_turned_off(embedded_settings: Settings) -> None:
    quiet = make_settings(
        **embedded_settings.model_dump(exclude={"graphql_ide"}), graphql_ide=False
    )
    async with served(quiet, with_corpus=False) as api:
        async with api.http.get(f"{api.url}/graphql", headers={"Accept": "text/html"}) as r:
            assert r.status == 404
        # and queries by GET still work
        assert (await api.data("{ workerStatus { queueName } }"))["workerStatus"]


async def test_seed_worker_status_query_works_verbatim(settings: Settings) -> None:
    # given either deployment with nothing queued
    async with served(settings, with_corpus=False) as api:
        # when the seed's query is sent as written
        data = await api.data("query { workerStatus { queueName messageCount consumerCount } }")
        full = await api.data(
            "{ workerStatus { queueName unackedCount delayedCount deadLetterCount } }"
        )
    # then every seed queue is reported in the seed's shape
    rows = data["workerStatus"]
    assert {r["queueName"] for r in rows} >= {
        "esi_user_killmails_queue",
        "esi_character_info_queue",
    }
    assert all(set(r) == {"queueName", "messageCount", "consumerCount"} for r in rows)
    assert all(r["messageCount"] == 0 and r["consumerCount"] == 0 for r in rows)
    assert all(r["deadLetterCount"] == 0 for r in full["workerStatus"])
