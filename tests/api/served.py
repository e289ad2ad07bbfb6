"""The API served over HTTP on a deployment holding the 108 real killmails, and a client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.container import Container
from killreport.db.engine import Database
from killreport.killmails import repository
from killreport.killmails.parse import parse_envelope
from killreport.killmails.service import ingest_batch
from killreport.settings import Settings
from tests.killmails.corpus import corpus, daily_prices, everef_line
from tests.serving import serve


async def import_corpus(database: Database) -> None:
    """Store the corpus days' prices and ingest the 108 real killmails."""
    async with database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    killmails = [parse_envelope(everef_line(row), source="test") for row in corpus()]
    await ingest_batch(database, None, killmails)


@dataclass
class Api:
    """A served API and an HTTP client for it."""

    url: str
    http: aiohttp.ClientSession
    container: Container

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> tuple[int, dict[str, Any]]:
        """POST a query; the status and the decoded body."""
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        async with self.http.post(f"{self.url}/graphql", json=body, headers=headers) as response:
            return response.status, await response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST a query that must succeed; its `data`."""
        status, body = await self.post(query, variables)
        assert status == 200 and "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@contextlib.asynccontextmanager
async def served(settings: Settings, *, with_corpus: bool = True) -> AsyncIterator[Api]:
    """Build the deployment, import the corpus, serve the app; yield a client for it."""
    async with container_module.build(settings) as container:
        if with_corpus:
            await import_corpus(container.database)
        async with serve(create_app(container)) as url, aiohttp.ClientSession() as http:
            yield Api(url, http, container)
