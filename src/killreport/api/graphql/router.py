"""`/graphql` on the FastAPI app: the router, its per-request context and the gate in front."""

from __future__ import annotations

import functools
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import redis.asyncio as aioredis
from fastapi import FastAPI
from starlette.requests import HTTPConnection
from starlette.staticfiles import StaticFiles

from killreport.api.graphql.context import GraphQLContext
from killreport.api.graphql.documents import DocumentCache
from killreport.api.graphql.gate import GRAPHQL_PATH, GraphQLGate
from killreport.api.graphql.guards import GuardExtension, GuardLimits
from killreport.api.graphql.masking import RequestErrorMask
from killreport.api.graphql.metrics import OperationTimer
from killreport.api.graphql.schema import build_schema
from killreport.api.graphql.websocket import LiveGraphQLRouter
from killreport.api.rate_limit import (
    ClientAddress,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from killreport.container import Container

GRAPHIQL_FILES = Path(__file__).parent / "graphiql"
GRAPHIQL_PATH = f"{GRAPHQL_PATH}/static"
CDN = "https://unpkg.com/"


class VendoredIdeRouter(LiveGraphQLRouter):
    """GraphiQL with its scripts served from the package instead of a CDN."""

    @property
    def graphql_ide_html(self) -> str:
        """Strawberry's page with every unpkg URL pointing at the vendored copy."""
        return super().graphql_ide_html.replace(CDN, f"{GRAPHIQL_PATH}/")


def _limiter(container: Container) -> RateLimiter:
    settings = container.settings
    if settings.redis_url:
        client = aioredis.from_url(settings.redis_url, socket_timeout=2)
        container.stack.push_async_callback(client.aclose)
        return RedisRateLimiter(
            client, settings.api_rate_limit_per_s, settings.api_rate_limit_burst
        )
    return MemoryRateLimiter(settings.api_rate_limit_per_s, settings.api_rate_limit_burst)


def install_graphql(app: FastAPI, container: Container) -> None:
    """Mount /graphql (POST, GET, GraphiQL) with its guards on the app."""
    settings = container.settings
    limits = GuardLimits(max_depth=settings.graphql_max_depth, max_cost=settings.graphql_max_cost)
    schema = build_schema(
        extensions=(
            functools.partial(GuardExtension, limits, DocumentCache()),
            functools.partial(RequestErrorMask, mask=settings.graphql_mask_errors),
            OperationTimer,
        )
    )

    async def context(connection: HTTPConnection) -> AsyncIterator[GraphQLContext]:
        state = connection.scope.get("state") or {}
        request_id = str(state.get("request_id") or secrets.token_hex(8))
        graphql_context = GraphQLContext(container, request_id)
        try:
            yield graphql_context
        finally:
            await graphql_context.reads.close()

    addresses = ClientAddress.from_setting(settings.api_trusted_proxies)
    router = VendoredIdeRouter(
        schema,
        graphql_ide="graphiql" if settings.graphql_ide else None,
        allow_queries_via_get=True,
        # A FastAPI dependency with yield: the read session closes after the response.
        context_getter=context,
        keep_alive=True,
        keep_alive_interval=settings.live_keepalive_interval_s,
        max_subscriptions_per_connection=settings.live_max_subscriptions_per_connection,
        addresses=addresses,
    )
    app.include_router(router, prefix=GRAPHQL_PATH)
    if settings.graphql_ide:
        app.mount(GRAPHIQL_PATH, StaticFiles(directory=GRAPHIQL_FILES), name="graphiql")
    app.add_middleware(
        GraphQLGate,
        limiter=_limiter(container),
        addresses=addresses,
        max_document_bytes=settings.graphql_max_document_bytes,
        get_cache_s=settings.graphql_get_cache_s,
    )
