"""`newKillmail` over real WebSockets against a served API, on both deployments."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import aiohttp

from killreport.settings import Settings
from tests.killmails.corpus import corpus
from tests.live.served import QUERY, LiveApi, live_api, parsed, until
from tests.live.wsclient import LEGACY_WS, TRANSPORT_WS, GraphQLSocket, Operation, StalledSocket

PAGE = """
query Page($filter: KillmailFilter, $after: String) {
  killmails(filter: $filter, first: 100, after: $after, orderBy: TIME_ASC) {
    edges { node { killmailId } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _most_common(values: list[int]) -> int:
    return Counter(values).most_common(1)[0][0]


def _ids(operation: Operation) -> list[int]:
    return [r["newKillmail"]["killmailId"] for r in operation.results]


def _sequences(operation: Operation) -> list[int]:
    return [r["newKillmail"]["sequence"] for r in operation.results]


async def _query_ids(api: LiveApi, variables: dict[str, Any]) -> set[int]:
    """What the `killmails` query returns for a filter, every page."""
    found: set[int] = set()
    after = None
    async with aiohttp.ClientSession() as http:
        while True:
            body = {"query": PAGE, "variables": {"filter": variables, "after": after}}
            async with http.post(f"{api.url}/graphql", json=body) as response:
                page = (await response.json())["data"]["killmails"]
            found.update(edge["node"]["killmailId"] for edge in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]


async def _subscribed(api: LiveApi, count: int) -> None:
    """The server has `count` killmail subscriptions open."""
    await until(lambda: api.engine.feed.subscriptions >= count)


async def _settle(api: LiveApi) -> None:
    """Every stored killmail has gone through the fan-out, and a little time for sends."""
    await until(lambda: api.engine.feed.last_sequence >= len(corpus()))
    await asyncio.sleep(0.3)


async def test_filtered_subscribers_each_get_exactly_their_killmails_once_in_order(
    settings: Settings,
) -> None:
    rows = corpus()
    alliance = _most_common(
        [r["esi"]["victim"]["alliance_id"] for r in rows if "alliance_id" in r["esi"]["victim"]]
    )
    system = _most_common([r["esi"]["solar_system_id"] for r in rows])
    corporation = _most_common(
        [a["corporation_id"] for r in rows for a in r["esi"]["attackers"] if "corporation_id" in a]
    )
    # given five subscribers, two protocols, each with its own filter (the alliance one on
    # the legacy graphql-ws protocol), and the killmails each should get from the ESI bodies
    wanted: dict[str, tuple[str, dict[str, Any], set[int] | None]] = {
        "all": (TRANSPORT_WS, {}, {r["killmail_id"] for r in rows}),
        "alliance": (
            LEGACY_WS,
            {"victim": {"allianceIds": [str(alliance)]}},
            {r["killmail_id"] for r in rows if r["esi"]["victim"].get("alliance_id") == alliance},
        ),
        "system": (
            TRANSPORT_WS,
            {"solarSystemIds": [str(system)]},
            {r["killmail_id"] for r in rows if r["esi"]["solar_system_id"] == system},
        ),
        "corporation": (
            TRANSPORT_WS,
            {"attacker": {"corporationIds": [str(corporation)]}},
            {
                r["killmail_id"]
                for r in rows
                if any(a.get("corporation_id") == corporation for a in r["esi"]["attackers"])
            },
        ),
        # derived at ingest: expected is what the `killmails` query returns
        "highsec-big": (TRANSPORT_WS, {"securitySpace": ["HIGHSEC"], "minValue": 1e8}, None),
    }
    async with live_api(settings) as api, contextlib.AsyncExitStack() as sockets:
        operations: dict[str, Operation] = {}
        for name, (protocol, variables, _) in wanted.items():
            socket = await sockets.enter_async_context(
                GraphQLSocket.connect(api.url, protocol=protocol)
            )
            operations[name] = await socket.subscribe(QUERY, {"filter": variables or None})
        await _subscribed(api, len(wanted))
        # when the corpus is imported in batches through the ingest path
        for start in range(0, len(rows), 25):
            await api.ingest(parsed(start, start + 25))
        await _settle(api)
        expected_big = await _query_ids(api, wanted["highsec-big"][1])
        for name, (_, _, expected) in wanted.items():
            count = len(expected if expected is not None else expected_big)
            await operations[name].wait_for(count)
        await asyncio.sleep(0.3)  # nothing more comes
    # then each subscriber got exactly its killmails, once each, in sequence order
    for name, (_, _, expected) in wanted.items():
        operation = operations[name]
        assert not operation.errors, name
        assert set(_ids(operation)) == (expected if expected is not None else expected_big), name
        assert len(_ids(operation)) == len(set(_ids(operation))), name
        assert _sequences(operation) == sorted(_sequences(operation)), name
    assert len(operations["all"].results) == len(rows)
    assert 0 < len(expected_big) < len(rows)


def _attacked_by_many(row: dict[str, Any]) -> bool:
    return len(row["esi"]["attackers"]) >= 3


async def test_reconnecting_with_after_sequence_ends_with_what_a_connected_client_got(
    settings: Settings,
) -> None:
    variables: dict[str, Any] = {"filter": {"minAttackers": 3}}
    expected = [r["killmail_id"] for r in corpus() if _attacked_by_many(r)]
    async with live_api(settings) as api, GraphQLSocket.connect(api.url) as steady:
        # given a client connected throughout and one that will leave and come back
        throughout = await steady.subscribe(QUERY, variables)
        async with GraphQLSocket.connect(api.url) as leaving:
            before = await leaving.subscribe(QUERY, variables)
            await _subscribed(api, 2)
            await api.ingest(parsed(0, 40))
            await before.wait_for(len([r for r in corpus()[:40] if _attacked_by_many(r)]))
        last_seen = _sequences(before)[-1]
        # when killmails are stored while it is away, and more while it resumes
        await api.ingest(parsed(40, 80))
        async with GraphQLSocket.connect(api.url) as back:
            after = await back.subscribe(QUERY, {**variables, "after": last_seen})
            await api.ingest(parsed(80, 108))
            await _settle(api)
            await after.wait_for(len(expected) - len(before.results))
    # then the two visits together are exactly what the steady client got, in order
    assert set(_ids(throughout)) == set(expected)
    assert _sequences(throughout) == sorted(_sequences(throughout))
    assert _ids(before) + _ids(after) == _ids(throughout)
    assert not after.errors


FULL_QUERY = """
subscription {
  newKillmail {
    killmailId sequence killmailHash killmailTime
    victim { characterId corporationId allianceId shipTypeId damageTaken }
    attackers {
      characterId corporationId allianceId shipTypeId weaponTypeId damageDone finalBlow
      securityStatus
    }
    items { itemTypeId flag quantityDestroyed quantityDropped items { itemTypeId flag } }
  }
}
"""


async def test_a_client_that_reads_nothing_is_cut_off_and_the_others_get_everything(
    embedded_settings: Settings,
) -> None:
    # given a client that stops reading after it subscribed, and one that reads
    async with (
        live_api(embedded_settings, live_buffer_size=20) as api,
        GraphQLSocket.connect(api.url) as reader,
    ):
        # (four subscriptions: loopback lets the server buffer megabytes before it blocks)
        slow = await StalledSocket.open(api.url, FULL_QUERY, subscriptions=4)
        try:
            fast = await reader.subscribe(FULL_QUERY)
            await _subscribed(api, 5)
            # when the corpus is imported
            for start in range(0, len(corpus()), 12):
                await api.ingest(parsed(start, start + 12))
            await fast.wait_for(len(corpus()))
            # then the server drops the slow one's subscriptions
            await until(lambda: api.engine.feed.subscriptions == 1)
            # and when the slow client reads at last, it finds the close after what was sent
            await slow.read_all()
        finally:
            slow.close()
    # then the reader got every killmail, once, in order
    assert _sequences(fast) == list(range(1, len(corpus()) + 1))
    # and the slow one was closed with the overflow code, told how to resume
    assert slow.close_code == 4413
    assert slow.close_reason is not None and "afterSequence" in slow.close_reason
    received = [r["newKillmail"]["sequence"] for r in slow.results("1")]
    assert received == list(range(1, len(received) + 1))
    assert len(received) < len(corpus())


async def test_limits_per_address_and_per_connection(embedded_settings: Settings) -> None:
    import websockets

    async with (
        live_api(
            embedded_settings,
            live_max_connections_per_ip=2,
            live_max_subscriptions_per_connection=2,
        ) as api,
        GraphQLSocket.connect(api.url) as first,
        GraphQLSocket.connect(api.url) as _second,
    ):
        # given an address holding its two connections
        # when it opens a third
        url = api.url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=[TRANSPORT_WS]) as third:  # type: ignore[list-item]
            with contextlib.suppress(websockets.ConnectionClosed):
                await asyncio.wait_for(third.recv(), 5)
            refused = third.protocol.close_rcvd
        # and starts a third operation on one connection
        operations = [await first.subscribe(QUERY) for _ in range(3)]
        await operations[2].wait_for(1, timeout_s=5)
    # then the third connection is closed with its code and why
    assert refused is not None and refused.code == 4029
    assert "too many live connections" in refused.reason
    # and the third operation is refused, the first two run
    assert operations[2].errors and "limit" in str(operations[2].errors)
    assert not operations[0].errors and not operations[1].errors


async def test_idle_connections_get_keepalives_on_both_protocols(
    embedded_settings: Settings,
) -> None:
    async with (
        live_api(embedded_settings, live_keepalive_interval_s=0.1) as api,
        GraphQLSocket.connect(api.url, protocol=TRANSPORT_WS) as modern,
        GraphQLSocket.connect(api.url, protocol=LEGACY_WS) as legacy,
    ):
        # given two idle connections, when a few keepalive intervals pass
        await asyncio.sleep(0.5)
    # then graphql-transport-ws got pings and graphql-ws got `ka`
    assert [m["type"] for m in modern.messages].count("ping") >= 2
    assert [m["type"] for m in legacy.messages].count("ka") >= 2


async def test_worker_status_updates_share_one_poller(embedded_settings: Settings) -> None:
    from killreport.bus.contracts import QUEUES

    status = "subscription { workerStatusUpdates { queueName messageCount consumerCount } }"
    async with (
        live_api(embedded_settings, worker_status_poll_interval_s=0.2) as api,
        GraphQLSocket.connect(api.url) as one,
        GraphQLSocket.connect(api.url) as two,
    ):
        # given two subscribers of the worker status
        first = await one.subscribe(status)
        second = await two.subscribe(status)
        # when a few polls have passed
        await first.wait_for(4)
        await second.wait_for(4)
        polls = api.engine.worker_status.polls
        listeners = api.engine.worker_status.listeners
    # then both got every queue in the seed's shape, from one poller shared by both
    queues = {q["queueName"] for q in first.results[0]["workerStatusUpdates"]}
    assert queues == set(QUEUES)
    assert all(q["messageCount"] == 0 for q in second.results[-1]["workerStatusUpdates"])
    assert listeners == 2
    assert polls <= max(len(first.results), len(second.results)) + 1
