"""A probe queue for bus tests: its spec, a handler that upserts into `bus_probe`, helpers.

`python -m tests.bus.probe QUEUE PREFETCH` runs a worker process on it, configured from
KILLREPORT_* variables only (no .env), like a real `killreport worker`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from sqlalchemy import text

from killreport.bus.contracts import EntityIdsMessage, QueueSpec
from killreport.cli.process import Role, run_roles
from killreport.container import Container, build
from killreport.logs import configure_logging
from killreport.settings import Settings
from killreport.workers.handler import HandlerContext, Route
from killreport.workers.runtime import run_routes

CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bus_probe (item_id BIGINT PRIMARY KEY, handled INTEGER NOT NULL)"
)
RECORD = text(
    "INSERT INTO bus_probe (item_id, handled) VALUES (:item_id, 1) "
    "ON CONFLICT (item_id) DO UPDATE SET handled = bus_probe.handled + 1"
)


def probe_spec(
    name: str, *, prefetch: int = 10, retry_delays_s: tuple[float, ...] = (0.2,)
) -> QueueSpec:
    """A test queue carrying entity ids."""
    return QueueSpec(name, name, prefetch, EntityIdsMessage, retry_delays_s=retry_delays_s)


async def record(message: EntityIdsMessage, ctx: HandlerContext) -> None:
    """Upsert every id into bus_probe, counting how often each was handled."""
    async with ctx.transaction() as session:
        await session.execute(RECORD, [{"item_id": i} for i in message.ids])


async def create_probe_table(container: Container) -> None:
    """Create bus_probe (not part of the schema: it exists for these tests only)."""
    async with container.database.connection() as conn:
        await conn.execute(text(CREATE_TABLE))


async def probe_rows(container: Container) -> dict[int, int]:
    """item_id -> how many times it was handled."""
    async with container.database.connection() as conn:
        rows = (await conn.execute(text("SELECT item_id, handled FROM bus_probe"))).all()
    return {int(r[0]): int(r[1]) for r in rows}


async def probe_count(container: Container) -> int:
    """How many distinct ids were handled."""
    async with container.database.connection() as conn:
        return int((await conn.execute(text("SELECT COUNT(*) FROM bus_probe"))).scalar_one())


def main(argv: list[str]) -> None:
    """Run the probe worker until SIGTERM."""
    queue, prefetch = argv[0], int(argv[1])
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    configure_logging(settings)
    route = Route(probe_spec(queue, prefetch=prefetch), record)

    async def serve() -> None:
        async with build(settings) as container:

            async def run(c: Container, stop: asyncio.Event) -> Any:
                await run_routes(c, [route], stop)

            await run_roles(container, [Role("probe-worker", run)])

    asyncio.run(serve())


if __name__ == "__main__":
    main(sys.argv[1:])
