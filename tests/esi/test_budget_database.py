"""The database budget store: two stores on one database act as one budget (SQLite, PostgreSQL).

Each store stands for one process of a deployment; they share only the database row.
"""

from __future__ import annotations

import asyncio

import pytest

from killreport.db.engine import Database
from killreport.esi.budget import Bucket, Budget, BudgetPolicy, Observation
from killreport.esi.budget_database import SEND_SLACK_S, DatabaseBudgetStore
from tests.esi.test_budget_memory import FakeClock, error_headers, group_headers


def two_stores(database: Database, **policy: float) -> tuple[DatabaseBudgetStore, ...]:
    clock = FakeClock()
    values: dict[str, float] = {"max_rps": 1000, "max_concurrency": 100, "error_floor": 10}
    values.update(policy)
    made = BudgetPolicy(**values)  # type: ignore[arg-type]
    return DatabaseBudgetStore(database, made, clock=clock), DatabaseBudgetStore(
        database, made, clock=clock
    )


async def test_two_processes_share_one_rate_cap(database: Database) -> None:
    # given two processes' stores on one database, 5 requests per 1.04 s between them
    # (booked 0.2 s longer: the time a request takes to leave after its admission)
    first, second = two_stores(database, max_rps=5, rps_window_s=1.04)
    # when the first admits 3 in one step and the second asks for 3
    admitted_first = await first.try_acquire_many(["a1", "a2", "a3"], None)
    admitted_second = await second.try_acquire_many(["b1", "b2", "b3"], None)
    # then the first got 3, the second only the 2 left, and waits out the window
    assert admitted_first == (3, 0.0)
    assert admitted_second == (2, pytest.approx(1.04 + SEND_SLACK_S))
    snapshot = await second.snapshot()
    assert (snapshot.backend, snapshot.sent_last_window, snapshot.in_flight) == ("database", 5, 5)


async def test_an_error_seen_by_one_process_holds_back_the_other(database: Database) -> None:
    # given two stores with the error floor at 10
    first, second = two_stores(database, error_floor=10)
    # when the first learns that only 12 errors are left in the window, with one of its
    # requests still in flight
    assert await first.try_acquire("a1", None) == 0
    assert await first.try_acquire("a2", None) == 0
    await first.settle("a1", None, Observation.from_response(404, error_headers(12, 30)))
    # then the second may send one more (12 - 1 in flight > 10), not two
    assert await second.try_acquire("b1", None) == 0
    assert await second.try_acquire("b2", None) > 0
    # and a request given back unsent frees its slot without counting as an error
    await first.release("a2", None)
    assert await second.try_acquire("b2", None) == 0
    assert (await second.snapshot()).error_remain == 12


async def test_a_group_learnt_by_one_process_limits_the_other(database: Database) -> None:
    # given two stores and a rate-limit group neither has seen
    first, second = two_stores(database)
    bucket = Bucket("killmail", "public")
    # when the first sends one request and learns the group has 4 tokens, 2 spent
    assert await first.try_acquire("a1", bucket) == 0
    assert await second.try_acquire("b0", bucket) > 0  # size unknown: one at a time
    headers = group_headers("killmail", "4/15m", remaining=2, used=2)
    await first.settle("a1", bucket, Observation.from_response(200, headers))
    # then the second may send one (2 left, an in-flight request holds the worst cost 5
    # until it answers), and no more until that answer comes
    assert await second.try_acquire("b1", bucket) == 0
    assert await second.try_acquire("b2", bucket) > 0
    groups = {g.key: g for g in (await second.snapshot()).groups}
    assert (groups["killmail|public"].tokens, groups["killmail|public"].in_flight) == (4, 1)


async def test_budget_admits_concurrent_waiters_and_holds_the_rest(database: Database) -> None:
    # given a process's budget over the database store, 3 requests per window (the clock
    # stands still, so the window never moves on)
    first, _ = two_stores(database, max_rps=3)
    budget = Budget(first)
    # when 3 requests ask at once
    permits = await asyncio.gather(*(budget.acquire(None) for _ in range(3)))
    # then each got its own reservation, the database holds all 3 in flight
    assert len(set(permits)) == 3
    assert (await first.snapshot()).in_flight == 3
    # and a fourth waits; given up, its place is gone and nothing more is in flight
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(budget.acquire(None), timeout=0.3)
    assert (await first.snapshot()).in_flight == 3
