"""Mount zKillboard's outside (R2Z2, API, posting) on the app."""

from __future__ import annotations

from fastapi import FastAPI

from killreport.api.zkb import r2z2


def mount_zkb(app: FastAPI) -> None:
    """Add the `/r2z2/` routes to the app."""
    app.include_router(r2z2.router)
