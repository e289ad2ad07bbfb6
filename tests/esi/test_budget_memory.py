"""The budget's decisions, on the in-process store driven by a fake clock."""

from __future__ import annotations

import pytest

from killreport.esi.budget import (
    Bucket,
    BudgetPolicy,
    Observation,
    parse_limit,
    token_cost,
)
from killreport.esi.budget_memory import MemoryBudgetStore


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_store(**policy: float) -> tuple[MemoryBudgetStore, FakeClock]:
    clock = FakeClock()
    values: dict[str, float] = {"max_rps": 1000, "max_concurrency": 100, "error_floor": 10}
    values.update(policy)
    return MemoryBudgetStore(BudgetPolicy(**values), clock), clock  # type: ignore[arg-type]


def error_headers(remain: int, reset_s: int) -> dict[str, str]:
    return {"X-ESI-Error-Limit-Remain": str(remain), "X-ESI-Error-Limit-Reset": str(reset_s)}


def group_headers(group: str, limit: str, remaining: int, used: int) -> dict[str, str]:
    return {
        "X-Ratelimit-Group": group,
        "X-Ratelimit-Limit": limit,
        "X-Ratelimit-Remaining": str(remaining),
        "X-Ratelimit-Used": str(used),
    }


def test_limit_header_and_costs_follow_the_docs() -> None:
    assert parse_limit("150/15m") == (150, 900.0)
    assert parse_limit("12000/1h") == (12000, 3600.0)
    assert [token_cost(s) for s in (200, 304, 404, 429, 503, None)] == [2, 1, 5, 0, 0, 0]
    with pytest.raises(ValueError):
        parse_limit("lots")


async def test_rate_cap_admits_max_rps_per_window_then_waits_for_the_oldest() -> None:
    # given a budget of 5 requests per 1.04 s
    store, clock = make_store(max_rps=5, rps_window_s=1.04)
    # when 5 requests go at once
    waits = [await store.try_acquire(f"r{i}", None) for i in range(5)]
    for i in range(5):
        await store.settle(f"r{i}", None, Observation(200))
    # then the sixth waits until the first leaves the window
    assert waits == [0.0] * 5
    assert await store.try_acquire("r5", None) == pytest.approx(1.04)
    clock.now += 1.04
    assert await store.try_acquire("r5", None) == 0.0


async def test_error_limit_admits_only_what_cannot_cross_the_floor() -> None:
    # given ESI said 15 errors remain for 30 s and the floor is 10
    store, clock = make_store(error_floor=10)
    assert await store.try_acquire("probe", None) == 0.0
    await store.settle("probe", None, Observation.from_response(404, error_headers(15, 30)))
    # when requests are admitted while none has answered
    admitted = 0
    while await store.try_acquire(f"r{admitted}", None) == 0.0:
        admitted += 1
    # then exactly 5 are in flight: even if all fail, the floor of 10 remains
    assert admitted == 5
    for i in range(5):
        await store.settle(f"r{i}", None, Observation.from_response(404, error_headers(14 - i, 30)))
    # and at the floor with nothing in flight it waits out the window
    assert await store.try_acquire("next", None) == pytest.approx(31.0)
    clock.now += 31.0
    assert await store.try_acquire("next", None) == 0.0


async def test_out_of_order_answers_keep_the_lowest_remain_of_the_window() -> None:
    store, _ = make_store()
    for i in range(2):
        assert await store.try_acquire(f"r{i}", None) == 0.0
    await store.settle("r0", None, Observation.from_response(404, error_headers(50, 20)))
    await store.settle("r1", None, Observation.from_response(200, error_headers(60, 21)))
    assert (await store.snapshot()).error_remain == 50


async def test_a_420_stops_everything_until_the_reset() -> None:
    store, clock = make_store()
    assert await store.try_acquire("r", None) == 0.0
    await store.settle("r", None, Observation.from_response(420, error_headers(0, 12)))
    snapshot = await store.snapshot()
    assert snapshot.paused_until is not None
    assert await store.try_acquire("s", None) == pytest.approx(13.0)
    clock.now += 13.0
    assert await store.try_acquire("s", None) == 0.0


async def test_group_is_used_to_the_last_token_and_refills_one_window_later() -> None:
    # given a group of 10 tokens per 60 s whose size an answer taught
    store, clock = make_store()
    bucket = Bucket("status", window_s=60.0)
    assert await store.try_acquire("a", bucket) == 0.0
    # until then one request at a time
    assert await store.try_acquire("b", bucket) > 0
    await store.settle(
        "a", bucket, Observation.from_response(200, group_headers("status", "10/1m", 8, 2))
    )
    # when requests go: each in flight holds the worst cost, 5, and one more goes while
    # tokens are left after every worst case
    assert await store.try_acquire("b", bucket) == 0.0
    assert await store.try_acquire("c", bucket) == 0.0
    assert await store.try_acquire("d", bucket) > 0
    for rid, remaining in (("b", 6), ("c", 4)):
        headers = group_headers("status", "10/1m", remaining, 2)
        await store.settle(rid, bucket, Observation.from_response(200, headers))
    for rid, remaining in (("d", 2), ("e", 0)):
        assert await store.try_acquire(rid, bucket) == 0.0
        headers = group_headers("status", "10/1m", remaining, 2)
        await store.settle(rid, bucket, Observation.from_response(200, headers))
    # then all 10 tokens were used by 5 requests, and the next waits until the first returns
    wait_s = await store.try_acquire("f", bucket)
    assert wait_s == pytest.approx(60.0)
    clock.now += wait_s
    assert await store.try_acquire("f", bucket) == 0.0


async def test_spending_by_others_seen_in_remaining_is_booked() -> None:
    store, _ = make_store()
    bucket = Bucket("killmail", window_s=900.0)
    assert await store.try_acquire("a", bucket) == 0.0
    # ESI says 60 remain although we spent only 2
    headers = group_headers("killmail", "100/15m", 60, 2)
    await store.settle("a", bucket, Observation.from_response(200, headers))
    (group,) = (await store.snapshot()).groups
    assert group.available == 60


async def test_429_pauses_the_group_for_retry_after() -> None:
    store, _ = make_store()
    bucket = Bucket("char-killmail", caller="char:7")
    assert await store.try_acquire("a", bucket) == 0.0
    headers = group_headers("char-killmail", "30/15m", 0, 0) | {"Retry-After": "42"}
    await store.settle("a", bucket, Observation.from_response(429, headers))
    (group,) = (await store.snapshot()).groups
    assert group.key == "char-killmail|char:7"
    assert group.paused_until is not None
    assert await store.try_acquire("b", bucket) == pytest.approx(42.0)
    # other callers' buckets are not paused
    assert await store.try_acquire("c", Bucket("char-killmail", caller="char:8")) == 0.0


async def test_unknown_group_sends_one_request_until_it_learns_the_size() -> None:
    store, _ = make_store()
    bucket = Bucket("meta")
    assert await store.try_acquire("a", bucket) == 0.0
    assert await store.try_acquire("b", bucket) > 0
    await store.settle(
        "a", bucket, Observation.from_response(200, group_headers("meta", "150/15m", 148, 2))
    )
    assert await store.try_acquire("b", bucket) == 0.0


async def test_concurrency_cap_and_unsettled_reservations_expire() -> None:
    store, clock = make_store(max_concurrency=2, hold_s=40.0)
    assert await store.try_acquire("a", None) == 0.0
    assert await store.try_acquire("b", None) == 0.0
    assert await store.try_acquire("c", None) > 0
    # a crashed caller never settles: its slot frees after hold_s
    clock.now += 40.0
    assert await store.try_acquire("c", None) == 0.0
