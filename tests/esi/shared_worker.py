"""Processes sharing one Redis ESI budget: the worker process and the fleet that runs it.

`run_fleet` starts one `python -m tests.esi.shared_worker` per batch of ids. A worker reads
`{"esi_url", "redis_url", "floor", "max_rps", "max_concurrency", "ids"}` as JSON on stdin,
fetches every character through a Redis budget and prints one JSON line: counts of outcomes,
the lowest `X-ESI-Error-Limit-Remain` any answer reported and its wall time. Used by
tests/esi/test_shared_budget.py and bench/esi_shared_budget.py.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from killreport.esi.budget import Bucket, Observation
from killreport.esi.builder import build_budget, open_http_session
from killreport.esi.client import EsiClient
from killreport.esi.errors import EsiError, EsiNotFound
from killreport.esi.transport import EsiTransport, TransportConfig
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
# Character ids no simulated universe holds (the generator starts at 2_130_000_000).
FIRST_UNKNOWN_ID = 2_100_000_000


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """What every worker of a fleet is told: where ESI and Redis are, and the budget."""

    esi_url: str
    redis_url: str
    floor: int
    max_rps: int
    max_concurrency: int


@dataclass(frozen=True, slots=True)
class WorkerResult:
    """One worker's outcome counts, lowest error-limit remain seen and wall time."""

    ok: int
    not_found: int
    other: int
    min_remain: int | None
    elapsed_s: float


def split_ids(
    known: list[int], processes: int, per_process: int, unknown_share: float, seed: int
) -> list[list[int]]:
    """Distinct ids per process, `unknown_share` of them unknown, shuffled among the known."""
    unknown_per_process = int(per_process * unknown_share)
    known_per_process = per_process - unknown_per_process
    if len(known) < known_per_process * processes:
        raise ValueError(f"{len(known)} known ids, {known_per_process * processes} needed")
    rng = random.Random(seed)
    batches = []
    for n in range(processes):
        ids = known[n * known_per_process : (n + 1) * known_per_process]
        first_unknown = FIRST_UNKNOWN_ID + n * per_process
        ids += range(first_unknown, first_unknown + unknown_per_process)
        rng.shuffle(ids)
        batches.append(ids)
    return batches


async def run_fleet(
    config: FleetConfig, batches: list[list[int]], timeout_s: float
) -> list[WorkerResult]:
    """Run one worker process per batch, all at once; return their results in batch order."""
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.esi.shared_worker",
            cwd=ROOT,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for _ in batches
    ]
    try:
        outputs = await asyncio.wait_for(
            asyncio.gather(
                *(
                    worker.communicate(orjson.dumps({**asdict(config), "ids": ids}))
                    for worker, ids in zip(workers, batches, strict=True)
                )
            ),
            timeout=timeout_s,
        )
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    for worker in workers:
        if worker.returncode != 0:
            raise RuntimeError(f"shared worker {worker.pid} exited with {worker.returncode}")
    return [WorkerResult(**orjson.loads(out.strip().splitlines()[-1])) for out, _ in outputs]


async def fetch_all(config: FleetConfig, ids: list[int]) -> WorkerResult:
    """Fetch every character through the shared Redis budget; count what came back."""
    import redis.asyncio as aioredis

    settings = make_settings(
        esi_url=config.esi_url,
        redis_url=config.redis_url,
        esi_error_limit_floor=config.floor,
        esi_max_rps=config.max_rps,
        esi_max_concurrency=config.max_concurrency,
        esi_retry_wait_initial_s=0.01,
        esi_retry_wait_max_s=0.05,
    )
    redis = aioredis.from_url(config.redis_url)
    session = open_http_session(settings)
    budget = build_budget(settings, redis)
    lowest: list[int] = []
    settle = budget.store.settle

    async def observed_settle(rid: str, bucket: Bucket | None, obs: Observation) -> None:
        if obs.error_remain is not None:
            lowest.append(obs.error_remain)
        await settle(rid, bucket, obs)

    budget.store.settle = observed_settle  # type: ignore[method-assign,assignment]
    client = EsiClient(EsiTransport(session, budget, TransportConfig.from_settings(settings)))
    counts = {"ok": 0, "not_found": 0, "other": 0}

    pending = iter(ids)

    async def fetch() -> None:
        # A fixed pool of callers, as a queue consumer would run: starting one coroutine
        # per id at once blocks the event loop for seconds (Redis connects then time out).
        for character_id in pending:
            try:
                await client.character(character_id)
                counts["ok"] += 1
            except EsiNotFound:
                counts["not_found"] += 1
            except EsiError:
                counts["other"] += 1

    started = time.monotonic()
    try:
        await asyncio.gather(*(fetch() for _ in range(config.max_concurrency)))
    finally:
        await session.close()
        await redis.aclose()
    return WorkerResult(
        **counts,
        min_remain=min(lowest) if lowest else None,
        elapsed_s=time.monotonic() - started,
    )


if __name__ == "__main__":
    job = orjson.loads(sys.stdin.buffer.read())
    ids = job.pop("ids")
    result = asyncio.run(fetch_all(FleetConfig(**job), ids))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")
