"""One worker process of the shared-budget test: fetch characters through a Redis budget.

Run as `python -m tests.esi.shared_worker ESI_URL REDIS_URL FLOOR ID,ID,...`; prints one
JSON line: counts of outcomes and the lowest error-limit remain any answer reported.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from killreport.esi.budget import Bucket, Observation
from killreport.esi.builder import build_budget, open_http_session
from killreport.esi.client import EsiClient
from killreport.esi.errors import EsiError, EsiNotFound
from killreport.esi.transport import EsiTransport, TransportConfig
from tests.conftest import make_settings


async def main(esi_url: str, redis_url: str, floor: int, ids: list[int]) -> dict[str, object]:
    import redis.asyncio as aioredis

    settings = make_settings(
        esi_url=esi_url,
        redis_url=redis_url,
        esi_error_limit_floor=floor,
        esi_max_rps=400,
        esi_max_concurrency=40,
        esi_retry_wait_initial_s=0.01,
        esi_retry_wait_max_s=0.05,
    )
    redis = aioredis.from_url(redis_url)
    session = open_http_session(settings)
    budget = build_budget(settings, redis)
    lowest: list[int] = []
    settle = budget.store.settle

    async def observed_settle(rid: str, bucket: Bucket | None, obs: Observation) -> None:
        if obs.error_remain is not None:
            lowest.append(obs.error_remain)
        await settle(rid, bucket, obs)

    budget.store.settle = observed_settle  # type: ignore[method-assign]
    client = EsiClient(EsiTransport(session, budget, TransportConfig.from_settings(settings)))
    counts = {"ok": 0, "not_found": 0, "other": 0}

    async def fetch(character_id: int) -> None:
        try:
            await client.character(character_id)
            counts["ok"] += 1
        except EsiNotFound:
            counts["not_found"] += 1
        except EsiError:
            counts["other"] += 1

    try:
        await asyncio.gather(*(fetch(i) for i in ids))
    finally:
        await session.close()
        await redis.aclose()
    return {**counts, "min_remain": min(lowest) if lowest else None}


if __name__ == "__main__":
    esi_url, redis_url, floor, raw_ids = sys.argv[1:5]
    result = asyncio.run(main(esi_url, redis_url, int(floor), [int(i) for i in raw_ids.split(",")]))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
