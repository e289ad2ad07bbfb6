"""The embedded queue's database going away: BusUnavailable at the edge, the runtime recovers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from killreport.bus.contracts import EntityIdsMessage
from killreport.bus.embedded import EmbeddedBus
from killreport.bus.errors import BusUnavailable
from killreport.container import build
from killreport.db.engine import Database
from killreport.workers.handler import Route
from tests.bus.outage import database_closed
from tests.bus.probe import create_probe_table, probe_rows, probe_spec, record
from tests.bus.test_contract import run_until
from tests.conftest import make_settings

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE_URL = "postgresql+psycopg://postgres@127.0.0.1:1/killreport"


async def test_consume_on_an_unreachable_database_raises_bus_unavailable() -> None:
    # given the embedded bus on a database nobody answers for
    database = Database.from_url(UNREACHABLE_URL)
    bus = EmbeddedBus(database)
    try:
        # when a consumer subscribes, or a message is published, then BusUnavailable says why
        with pytest.raises(BusUnavailable, match="subscribe consumer"):
            async with bus.consume("probe_outage", prefetch=1):
                pass
        with pytest.raises(BusUnavailable, match="ping"):
            await bus.ping()
    finally:
        await database.dispose()


async def test_runtime_recovers_when_the_queue_database_comes_back(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url=postgres_url,
        data_dir=tmp_path,
        queue_visibility_timeout_s=2.0,
        queue_poll_interval_s=0.05,
    )
    spec = probe_spec("probe_outage", prefetch=2)
    async with build(settings) as container:
        await create_probe_table(container)
        await container.bus.publish(spec.name, EntityIdsMessage(ids=[1]))
        outage = database_closed(postgres_url)
        # given the queue database refusing every connection when the workers start
        outage.__enter__()
        reopened = False

        async def handled_after_the_outage() -> bool:
            nonlocal reopened
            if not reopened:
                await asyncio.sleep(1.5)  # the runtime meets the outage meanwhile
                outage.__exit__(None, None, None)
                reopened = True
                await container.bus.publish(spec.name, EntityIdsMessage(ids=[2, 3]))
            return set(await probe_rows(container)) == {1, 2, 3}

        try:
            # when the database accepts connections again
            await run_until(container, [Route(spec, record)], handled_after_the_outage)
        finally:
            if not reopened:
                outage.__exit__(None, None, None)
        # then the runtime kept going and handled the message waiting and the later ones once
        assert await probe_rows(container) == {1: 1, 2: 1, 3: 1}
