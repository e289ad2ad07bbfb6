"""Mount zKillboard's outside (R2Z2, posting, API) on the app."""

from __future__ import annotations

from fastapi import FastAPI

from killreport.api.rate_limit import KeyedRateLimiter
from killreport.api.zkb import killmail_api, posting, r2z2
from killreport.api.zkb.responses import container_of_app


def mount_zkb(app: FastAPI) -> None:
    """Add `/r2z2/`, posting (`/post/`, `/api/killmail/add/...`) and the `/api/` killmail API."""
    settings = container_of_app(app).settings
    app.include_router(r2z2.router)
    limiter = KeyedRateLimiter(
        settings.killmail_post_per_minute / 60.0, settings.killmail_post_burst
    )
    posting.mount(app, limiter)
    # Last: its `/api/{path}` catch-all answers every other GET under /api/.
    app.include_router(killmail_api.router)
