"""R2Z2 and zKillboard API clients against the simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from killreport.esi.builder import open_http_session
from killreport.sim import SimConfig, Simulator, run_simulator
from killreport.zkb.api import PAGE_SIZE
from killreport.zkb.builder import build_r2z2_client, build_zkb_api_client
from killreport.zkb.errors import ZkbError, ZkbRateLimited
from killreport.zkb.pacing import LocalPacer, RedisPacer
from tests.esi.simulated import sim_settings


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    config = SimConfig(seed=12, zkb_api_hold_back_s=0, zkb_api_max_requests=1000)
    async with run_simulator(config) as running:
        yield running


async def test_r2z2_sequence_entries_and_history(sim: Simulator) -> None:
    # given three killmails published on R2Z2
    published = sim.publish_killmails(3)
    settings = sim_settings(sim, r2z2_min_interval_s=0.0)
    async with open_http_session(settings) as session:
        r2z2 = build_r2z2_client(settings, session, None)
        # when the client follows the feed
        head = await r2z2.sequence()
        entries = [await r2z2.entry(n) for n in published]
        missing = await r2z2.entry(max(published) + 1)
        first = entries[0]
        assert first is not None
        day = datetime.fromtimestamp(sim.killmail(first.killmail_id).time_s, UTC).date()
        history = await r2z2.history(day)
    # then entries carry the ESI body and zkb block, and unpublished ones are None
    # (sequence.json lags: it is re-published only every ~51 kills)
    assert head <= max(published)
    assert missing is None
    for entry in entries:
        assert entry is not None
        record = sim.killmail(entry.killmail_id)
        assert (entry.hash, entry.esi.solar_system_id) == (
            record.killmail_hash,
            record.solar_system_id,
        )
        assert entry.zkb.hash == record.killmail_hash
    assert history[first.killmail_id] == first.hash


async def test_zkb_api_pages_a_character_with_trailing_slash(sim: Simulator) -> None:
    # given the character with the most killmails in the simulator
    counts: dict[int, int] = {}
    for killmail_id in sim.killmail_ids():
        record = sim.killmail(killmail_id)
        involved = {record.victim[0], *(attacker[0] for attacker in record.attackers)}
        for character_id in involved - {None}:
            counts[character_id] = counts.get(character_id, 0) + 1
    character_id = max(counts, key=lambda c: counts[c])
    settings = sim_settings(sim, zkb_api_min_interval_s=0.0)
    async with open_http_session(settings) as session:
        api = build_zkb_api_client(settings, session, None)
        # when every page is read
        pages = [page async for page in api.character_pages(character_id)]
        losses = await api.character_page(character_id, 1, "losses")
    kills = [kill for page in pages for kill in page]
    # then pages hold up to 200, ids are unique, and bodies carry the ESI killmail
    assert all(len(page) <= PAGE_SIZE for page in pages)
    assert len({k.killmail_id for k in kills}) == len(kills) == counts[character_id]
    assert all(k.esi is not None and k.esi.killmail_id == k.killmail_id for k in kills)
    assert all(k.esi is not None and k.esi.victim.character_id == character_id for k in losses)


async def test_zkb_api_url_refuses_pages_outside_1_to_100(sim: Simulator) -> None:
    settings = sim_settings(sim)
    async with open_http_session(settings) as session:
        api = build_zkb_api_client(settings, session, None)
        assert api.character_url(90000001, 2, "kills").endswith(
            "/kills/characterID/90000001/page/2/"
        )
        with pytest.raises(ValueError):
            api.character_url(90000001, 101)
        with pytest.raises(ZkbError):
            await api.fetcher.get_json(f"{settings.zkb_api_url}/characterID/1")


async def test_redis_pacer_spaces_requests_across_processes(redis_url: str) -> None:
    # given two pacers (two processes) on one key, one slot per 100 ms
    client = aioredis.from_url(redis_url)
    asked: list[float] = []
    granted: list[float] = []
    try:
        first = RedisPacer(client, "test:pace", 0.1)
        second = RedisPacer(client, "test:pace", 0.1)
        # when each takes three turns, alternately
        for pacer in (first, second) * 3:
            asked.append(time.monotonic())
            await pacer.wait_turn()
            granted.append(time.monotonic())
    finally:
        await client.aclose()
    # then each turn came at least an interval after the previous one was asked for
    # (Redis counts whole milliseconds). Only lower bounds: a slot is taken between a
    # caller's ask and its return, and how late a loaded machine returns says nothing
    gaps = [granted[n] - asked[n - 1] for n in range(1, len(granted))]
    assert all(gap >= 0.1 - 0.002 for gap in gaps), gaps


async def test_a_pause_from_one_process_holds_every_process_on_the_key(redis_url: str) -> None:
    # given two processes' pacers on one key, the first told to pause for 0.5 s
    client = aioredis.from_url(redis_url)
    try:
        first = RedisPacer(client, "test:pause", 0.0)
        second = RedisPacer(client, "test:pause", 0.0)
        await second.wait_turn()
        retry_at = datetime.now(UTC) + timedelta(seconds=0.5)
        await first.pause_until(retry_at)
        # and an earlier pause that must not shorten it
        await second.pause_until(datetime.now(UTC) + timedelta(seconds=0.1))
        # when the second asks for a turn
        await second.wait_turn()
        turn_at = datetime.now(UTC)
    finally:
        await client.aclose()
    # then it went no earlier than the pause's end (Redis counts whole milliseconds)
    assert turn_at >= retry_at - timedelta(milliseconds=2)


async def test_a_pause_holds_callers_already_waiting_in_process() -> None:
    # given a local pacer with a caller waiting for its next slot
    pacer = LocalPacer(0.2)
    await pacer.wait_turn()
    waiting = asyncio.create_task(pacer.wait_turn())
    await asyncio.sleep(0)
    # when a 429 pauses the pacer for 0.5 s meanwhile
    retry_at = datetime.now(UTC) + timedelta(seconds=0.5)
    await pacer.pause_until(retry_at)
    await waiting
    # then the waiting caller went no earlier than the pause's end
    assert datetime.now(UTC) >= retry_at - timedelta(milliseconds=2)


async def test_a_429_pauses_the_other_processes_before_they_send(redis_url: str) -> None:
    # given the zKillboard API allowing 2 requests per 2 s, and two processes whose
    # pacers share Redis (no spacing of their own, so only the pause can hold them)
    config = SimConfig(seed=12, zkb_api_hold_back_s=0, zkb_api_max_requests=2, zkb_api_window_s=2.0)
    async with run_simulator(config) as sim:
        settings = sim_settings(sim, zkb_api_min_interval_s=0.0, redis_url=redis_url)
        url = f"{settings.zkb_api_url}/characterID/90000001/page/1/"
        redis_a, redis_b = aioredis.from_url(redis_url), aioredis.from_url(redis_url)
        try:
            async with open_http_session(settings) as a, open_http_session(settings) as b:
                process_a = build_zkb_api_client(settings, a, redis_a).fetcher
                process_b = build_zkb_api_client(settings, b, redis_b).fetcher
                # when the first process spends the window and is answered 429
                await process_a.get_json(url)
                await process_a.get_json(url)
                with pytest.raises(ZkbRateLimited) as limited:
                    await process_a.get_json(url)
                # and the second process asks right after
                answer = await process_b.get_json(url)
                answered_at = datetime.now(UTC)
        finally:
            await redis_a.aclose()
            await redis_b.aclose()
        stats = sim.stats()
    # then the second waited for Retry-After instead of sending into the 429: one 429 in all
    assert isinstance(answer, list)
    assert stats["requests_by_status"] == {"200": 3, "429": 1}
    assert answered_at >= limited.value.retry_at - timedelta(milliseconds=2)
