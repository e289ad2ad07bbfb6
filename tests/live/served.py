"""A served API (container, app, uvicorn on a free port) for live-subscription tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.api.live.engine import LiveEngine
from killreport.container import Container
from killreport.killmails import repository
from killreport.killmails.models import ParsedKillmail
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.settings import Settings
from tests.killmails.corpus import corpus, daily_prices, everef_line
from tests.serving import serve

QUERY = """
subscription Live($filter: KillmailFilter, $after: Int) {
  newKillmail(filter: $filter, afterSequence: $after) {
    killmailId sequence solarSystemId securitySpace
    victim { allianceId shipTypeId character { id name } }
    attackers { corporationId finalBlow }
    values { total }
  }
}
"""


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait until `condition()` holds; TimeoutError after `timeout_s`."""
    for _ in range(int(timeout_s / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"still not true after {timeout_s} s")


@dataclass
class LiveApi:
    """The served API: its base URL, container and app."""

    url: str
    container: Container
    app: FastAPI

    @property
    def engine(self) -> LiveEngine[Any]:
        """The process's live engine."""
        engine: LiveEngine[Any] = self.app.state.live
        return engine

    async def ingest(self, killmails: Sequence[ParsedKillmail], *, publish: bool = True) -> None:
        """Store through the one ingest path; events go to the deployment's hub."""
        await ingest_batch(
            self.container.database, self.container.events if publish else None, killmails
        )


def parsed(start: int = 0, stop: int | None = None) -> list[ParsedKillmail]:
    """Corpus killmails as parsed envelopes."""
    return [parse_envelope(everef_line(r), source="test") for r in corpus()[start:stop]]


@contextlib.asynccontextmanager
async def live_api(settings: Settings, **overrides: Any) -> AsyncIterator[LiveApi]:
    """Build the container, create the app and serve it until the block exits."""
    settings = settings.model_copy(update={"live_poll_interval_s": 0.2, **overrides})
    async with container_module.build(settings) as container:
        async with container.database.transaction() as session:
            # Values (and so value filters) need the corpus days' prices.
            await repository.store_prices(session, list(daily_prices()))
        app = create_app(container)
        async with serve(app) as url:
            yield LiveApi(url, container, app)
