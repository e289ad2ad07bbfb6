"""The Redis store keeps the in-process semantics, shared by every store on the same keys."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from killreport.esi.budget import Bucket, Budget, BudgetPolicy, Observation
from killreport.esi.budget_redis import RedisBudgetStore
from killreport.esi.errors import EsiBudgetUnavailable, EsiUnavailable
from tests.esi.test_budget_memory import error_headers, group_headers

POLICY = BudgetPolicy(max_rps=1000, max_concurrency=100, error_floor=10, hold_s=5.0)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


async def test_two_stores_share_one_rate_window(redis_client: aioredis.Redis) -> None:
    # given two processes' stores on the same keys, 4 requests per window
    policy = BudgetPolicy(max_rps=4, rps_window_s=1.0, max_concurrency=100)
    first, second = RedisBudgetStore(redis_client, policy), RedisBudgetStore(redis_client, policy)
    # when each takes two, then one asks for a fifth
    started = time.monotonic()
    waits = [
        await store.try_acquire(f"{n}{i}", None)
        for n, store in (("a", first), ("b", second))
        for i in range(2)
    ]
    fifth_wait_s = await first.try_acquire("c", None)
    elapsed_s = time.monotonic() - started
    # then the fifth waits for the first to leave the window: at most a window, and at
    # least a window less the time the five asks took (bounds that hold under any load)
    assert waits == [0.0] * 4
    assert 1.0 - elapsed_s - 0.002 <= fifth_wait_s <= 1.0
    assert (await second.snapshot()).sent_last_window == 4


async def test_error_floor_holds_across_stores(redis_client: aioredis.Redis) -> None:
    first, second = RedisBudgetStore(redis_client, POLICY), RedisBudgetStore(redis_client, POLICY)
    assert await first.try_acquire("probe", None) == 0.0
    await first.settle("probe", None, Observation.from_response(404, error_headers(15, 30)))
    admitted = 0
    for store in (first, second, first, second, first, second, first):
        if await store.try_acquire(f"r{admitted}", None) == 0.0:
            admitted += 1
    assert admitted == 5
    snapshot = await second.snapshot()
    assert (snapshot.error_remain, snapshot.in_flight) == (15, 5)
    for i in range(5):
        await second.settle(
            f"r{i}", None, Observation.from_response(404, error_headers(14 - i, 30))
        )
    wait_s = await first.try_acquire("next", None)
    assert 30.0 < wait_s <= 31.0


async def test_group_accounting_and_429_pause(redis_client: aioredis.Redis) -> None:
    store = RedisBudgetStore(redis_client, POLICY)
    bucket = Bucket("status", window_s=60.0)

    async def answer(rid: str, remaining: int) -> None:
        headers = group_headers("status", "10/1m", remaining, 2)
        await store.settle(rid, bucket, Observation.from_response(200, headers))

    assert await store.try_acquire("a", bucket) == 0.0
    assert await store.try_acquire("b", bucket) > 0
    await answer("a", 8)
    assert await store.try_acquire("b", bucket) == 0.0
    assert await store.try_acquire("c", bucket) == 0.0
    assert await store.try_acquire("d", bucket) > 0
    await answer("b", 6)
    (group,) = (await store.snapshot()).groups
    assert (group.key, group.tokens, group.window_s, group.available) == (
        "status|public",
        10,
        60.0,
        1,
    )
    headers = group_headers("status", "10/1m", 0, 0) | {"Retry-After": "7"}
    await store.settle("c", bucket, Observation.from_response(429, headers))
    (group,) = (await store.snapshot()).groups
    assert group.paused_until is not None
    assert 6.0 < await store.try_acquire("d", bucket) <= 7.0
    # and `killreport status` shows it
    snapshot = await store.snapshot()
    row = snapshot.group_rows()["status|public"]
    assert (row["tokens"], row["window_s"], row["in_flight"]) == (10, 60.0, 0)
    assert row["paused_until"] is not None
    assert snapshot.summary()["backend"] == "redis"


async def test_a_420_pauses_every_store(redis_client: aioredis.Redis) -> None:
    first, second = RedisBudgetStore(redis_client, POLICY), RedisBudgetStore(redis_client, POLICY)
    budget = Budget(first)
    async with budget.permit(None) as permit:
        permit.observe(420, error_headers(0, 9))
    assert 9.0 < await second.try_acquire("x", None) <= 10.0
    assert (await second.snapshot()).paused_until is not None


async def test_unreachable_redis_is_an_esi_error_and_sends_nothing() -> None:
    # given a store whose Redis is a closed port
    client = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    store = RedisBudgetStore(client, POLICY)
    try:
        # when a request asks for budget, then it gets an error of the ESI tree, not redis'
        with pytest.raises(EsiBudgetUnavailable, match="budget store unreachable"):
            await store.try_acquire("lost", None)
        with pytest.raises(EsiUnavailable):
            await store.settle("lost", None, Observation.from_response(200, {}))
    finally:
        await client.aclose()
