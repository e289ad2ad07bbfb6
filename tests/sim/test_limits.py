"""Each ESI limit bites: the error limit (420 everywhere), token buckets (429), 304 cost."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from killreport.sim import SimConfig, Simulator, run_simulator


async def test_101_errors_give_420_on_an_unrelated_route(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    esi = sim.endpoints["esi"]
    # given 100 errors inside one window
    for _ in range(100):
        async with http.get(f"{esi}/characters/1") as response:
            assert response.status == 404
            remain = response.headers["X-ESI-Error-Limit-Remain"]
    assert remain == "0"
    # when a good request follows on another route, with or without a rate-limit group
    async with http.get(f"{esi}/alliances") as response:
        legacy = (
            response.status,
            response.headers["X-ESI-Error-Limit-Remain"],
            int(response.headers["X-ESI-Error-Limit-Reset"]),
            await response.json(),
        )
    async with http.get(f"{esi}/status") as response:
        limited = response.status
    # then both are refused with 420 and ESI's error-limited message until the window ends
    assert legacy[0] == 420 and legacy[1] == "0" and 1 <= legacy[2] <= 60
    assert legacy[3]["error"].startswith("This software has exceeded the error limit for ESI.")
    assert limited == 420


async def test_error_window_is_fixed_and_scalable(http: aiohttp.ClientSession) -> None:
    # given an error limit of 3 per (60 s x 0.02 =) 1.2 s window
    async with run_simulator(SimConfig(universe="tiny", error_limit=3, window_scale=0.02)) as sim:
        esi = sim.endpoints["esi"]
        for _ in range(3):
            async with http.get(f"{esi}/alliances/1"):
                pass
        async with http.get(f"{esi}/alliances") as response:
            blocked = response.status
            reset_s = int(response.headers["X-ESI-Error-Limit-Reset"])
        # when the window ends
        await asyncio.sleep(1.3)
        async with http.get(f"{esi}/alliances") as response:
            after = (response.status, response.headers["X-ESI-Error-Limit-Remain"])
    # then requests pass again with a full error allowance
    assert blocked == 420 and reset_s in (1, 2)
    assert after == (200, "3")


async def test_spent_bucket_gives_429_with_correct_retry_after(http: aiohttp.ClientSession) -> None:
    # given the status group shrunk to 10 tokens per 30 s
    async with run_simulator(SimConfig(universe="tiny", rate_limits={"status": (10, 30.0)})) as sim:
        esi = sim.endpoints["esi"]
        first_spend = time.monotonic()
        remaining = []
        for _ in range(5):
            async with http.get(f"{esi}/status") as response:
                assert response.status == 200
                remaining.append(int(response.headers["X-Ratelimit-Remaining"]))
        # when the bucket is empty
        async with http.get(f"{esi}/status") as response:
            refused = (
                response.status,
                int(response.headers["Retry-After"]),
                response.headers["X-Ratelimit-Group"],
                response.headers["X-Ratelimit-Used"],
            )
            elapsed = time.monotonic() - first_spend
            assert "X-ESI-Error-Limit-Remain" not in response.headers
    # then 429 says to come back when the first spend leaves the window
    assert remaining == [8, 6, 4, 2, 0]
    assert refused[0] == 429 and refused[2] == "status" and refused[3] == "0"
    assert 30 - elapsed - 1 <= refused[1] <= 30
    assert sim.stats()["tokens_spent_by_group"] == {"status": 10}


async def test_tokens_return_one_window_later(http: aiohttp.ClientSession) -> None:
    # given a 4-token bucket with a 1 s window, emptied
    async with run_simulator(SimConfig(universe="tiny", rate_limits={"status": (4, 1.0)})) as sim:
        esi = sim.endpoints["esi"]
        for _ in range(2):
            async with http.get(f"{esi}/status"):
                pass
        async with http.get(f"{esi}/status") as response:
            refused = response.status
        # when the window has passed
        await asyncio.sleep(1.1)
        async with http.get(f"{esi}/status") as response:
            again = (response.status, response.headers["X-Ratelimit-Remaining"])
    # then the tokens are back
    assert refused == 429
    assert again == (200, "2")


async def test_304_costs_one_token(sim: Simulator, http: aiohttp.ClientSession) -> None:
    killmail_id = sim.killmail_ids()[0]
    url = (
        f"{sim.endpoints['esi']}/killmails/{killmail_id}/{sim.killmail(killmail_id).killmail_hash}/"
    )
    # given a first fetch of a killmail
    async with http.get(url) as response:
        first = (
            response.status,
            response.headers["X-Ratelimit-Used"],
            response.headers["X-Ratelimit-Remaining"],
        )
        etag = response.headers["ETag"]
        last_modified = response.headers["Last-Modified"]
    # when it is fetched again with its ETag, then with If-Modified-Since
    async with http.get(url, headers={"If-None-Match": etag}) as response:
        second = (
            response.status,
            response.headers["X-Ratelimit-Used"],
            response.headers["X-Ratelimit-Remaining"],
            await response.read(),
            response.headers["Expires"],
        )
    async with http.get(url, headers={"If-Modified-Since": last_modified}) as response:
        third = response.status
    # then 304 with an empty body costs 1 token instead of 2, and carries Expires
    assert first == (200, "2", "3598")
    assert second[:4] == (304, "1", "3597", b"")
    assert second[4]
    assert third == 304
    assert etag.startswith('"') and etag.endswith('"')


async def test_forced_windows_through_the_admin_endpoint(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    esi = sim.endpoints["esi"]
    # given a forced 503 window set over HTTP
    async with http.post(f"{sim.url}/_sim/faults", json={"force": {"503": 30}}) as response:
        assert response.status == 200
    async with http.get(f"{esi}/alliances") as response:
        during = response.status
    # when it is cleared and a forced 429 is set from Python instead
    async with http.post(f"{sim.url}/_sim/faults", json={"clear": True}):
        pass
    async with http.get(f"{esi}/alliances") as response:
        cleared = response.status
    sim.force(429, 5)
    async with http.get(f"{esi}/alliances") as response:
        throttled = (response.status, response.headers["Retry-After"])
    # then each window answers as set
    assert (during, cleared) == (503, 200)
    assert throttled[0] == 429 and throttled[1] in ("4", "5")


async def test_injected_server_errors_count_as_errors_and_cost_no_tokens(
    http: aiohttp.ClientSession,
) -> None:
    # given every ESI request failing with a 5xx, 20 ms late
    config = SimConfig(universe="tiny", error_rate=1.0, latency_ms=20)
    async with run_simulator(config) as sim:
        esi = sim.endpoints["esi"]
        began = time.monotonic()
        async with http.get(f"{esi}/status") as response:
            status = (response.status, response.headers["X-Ratelimit-Used"])
        async with http.get(f"{esi}/alliances") as response:
            legacy = (response.status, response.headers["X-ESI-Error-Limit-Remain"])
        took = time.monotonic() - began
        # when the faults are switched off at run time
        sim.faults.error_rate = 0.0
        async with http.get(f"{esi}/alliances") as response:
            healed = response.status
    # then 5xx cost 0 tokens, count against the error limit, and the switch applies at once
    assert status[0] >= 500 and status[1] == "0"
    assert legacy[0] >= 500 and legacy[1] == "98"
    assert took >= 0.04
    assert healed == 200
