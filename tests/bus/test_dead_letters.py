"""`killreport dead list|replay QUEUE` on every bus backend."""

from __future__ import annotations

import orjson

from killreport.bus.contracts import ESI_ALLIANCE_INFO_QUEUE, EntityIdsMessage
from killreport.bus.protocol import DeadLetterAdmin
from killreport.container import Container
from killreport.settings import Settings
from tests.bus.test_cli import killreport


async def _dead_letter_two(container: Container) -> None:
    bus = container.bus
    await bus.publish_many(ESI_ALLIANCE_INFO_QUEUE, [EntityIdsMessage(ids=[n]) for n in (1, 2, 3)])
    async with bus.consume(ESI_ALLIANCE_INFO_QUEUE, prefetch=1) as subscription:
        for n in (1, 2):
            delivery = await subscription.next()
            assert delivery is not None
            await bus.dead_letter(delivery, error=f"404 forever {n}")


async def test_dead_list_shows_them_and_replay_sends_them_back(
    container: Container, settings: Settings
) -> None:
    # given 3 alliance messages, 2 of them dead-lettered
    await _dead_letter_two(container)
    # when the dead letters are listed by worker name, twice
    first = killreport(settings, "dead", "list", "info-alliances", "--json")
    again = killreport(settings, "dead", "list", ESI_ALLIANCE_INFO_QUEUE, "--json")
    # then both show the 2 messages with their errors and bodies, and listing moved nothing
    assert first.returncode == 0, first.stderr.decode()[-2000:]
    letters = orjson.loads(first.stdout)["dead_letters"]
    assert sorted(letter["error"] for letter in letters) == ["404 forever 1", "404 forever 2"]
    assert sorted(orjson.loads(letter["body"])["ids"] for letter in letters) == [[1], [2]]
    assert orjson.loads(again.stdout)["dead_letters"] == letters
    stats = {s.queue: s for s in await container.bus.queue_stats([ESI_ALLIANCE_INFO_QUEUE])}
    assert (stats[ESI_ALLIANCE_INFO_QUEUE].ready, stats[ESI_ALLIANCE_INFO_QUEUE].dead) == (1, 2)

    # when they are replayed
    replayed = killreport(settings, "dead", "replay", "info-alliances")
    # then the queue holds all 3 again, none dead, and a consumer gets each once
    assert replayed.returncode == 0, replayed.stderr.decode()[-2000:]
    assert b"2 dead letters replayed" in replayed.stdout
    stats = {s.queue: s for s in await container.bus.queue_stats([ESI_ALLIANCE_INFO_QUEUE])}
    assert (stats[ESI_ALLIANCE_INFO_QUEUE].ready, stats[ESI_ALLIANCE_INFO_QUEUE].dead) == (3, 0)
    seen = []
    async with container.bus.consume(ESI_ALLIANCE_INFO_QUEUE, prefetch=3) as subscription:
        for _ in range(3):
            delivery = await subscription.next()
            assert delivery is not None
            seen.append(orjson.loads(delivery.body)["ids"][0])
            await container.bus.ack(delivery)
    assert sorted(seen) == [1, 2, 3]


async def test_replay_with_a_limit_moves_only_the_oldest(container: Container) -> None:
    # given 2 dead letters
    await _dead_letter_two(container)
    bus = container.bus
    assert isinstance(bus, DeadLetterAdmin)
    # when one is replayed
    moved = await bus.replay_dead(ESI_ALLIANCE_INFO_QUEUE, limit=1)
    # then one is back and one is still dead
    assert moved == 1
    assert len(await bus.dead_letters(ESI_ALLIANCE_INFO_QUEUE, limit=10)) == 1


def test_an_unknown_queue_is_refused(embedded_settings: Settings) -> None:
    # when a queue nobody knows is named
    result = killreport(embedded_settings, "dead", "list", "no-such-queue")
    # then the command says so and exits 2
    assert result.returncode == 2
    assert b"unknown queue no-such-queue" in result.stderr
