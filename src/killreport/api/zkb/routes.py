"""Mount zKillboard's outside (R2Z2, posting, API) on the app."""

from __future__ import annotations

import redis.asyncio as aioredis
from fastapi import FastAPI

from killreport.api.rate_limit import (
    ClientAddress,
    MemoryRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from killreport.api.zkb import killmail_api, posting, r2z2
from killreport.api.zkb.responses import container_of_app
from killreport.container import Container


def _post_limiter(container: Container) -> RateLimiter:
    """The posting bucket: in Redis when configured (every API process shares it)."""
    settings = container.settings
    rate_per_s = settings.killmail_post_per_minute / 60.0
    if settings.redis_url:
        client = aioredis.from_url(settings.redis_url, socket_timeout=2)
        container.stack.push_async_callback(client.aclose)
        return RedisRateLimiter(client, rate_per_s, settings.killmail_post_burst)
    return MemoryRateLimiter(rate_per_s, settings.killmail_post_burst)


def mount_zkb(app: FastAPI) -> None:
    """Add `/r2z2/`, posting (`/post/`, `/api/killmail/add/...`) and the `/api/` killmail API."""
    container = container_of_app(app)
    app.include_router(r2z2.router)
    addresses = ClientAddress.from_setting(container.settings.api_trusted_proxies)
    posting.mount(app, _post_limiter(container), addresses)
    # Last: its `/api/{path}` catch-all answers every other GET under /api/.
    app.include_router(killmail_api.router)
