"""JSON answers in zKillboard's manner: orjson bodies and its cache headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from killreport.container import Container

# zKillboard's API answers are cached for an hour (Cache-Control plus Expires).
API_MAX_AGE_S = 3600
# zKillboard lets browser tools on any origin read its API and post killmails; these are
# public reads and a rate-limited, credential-less post, so the same holds here.
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, POST"}


def container_of_app(app: FastAPI) -> Container:
    """The container the app serves."""
    container: Container = app.state.container
    return container


def container_of(request: Request) -> Container:
    """The container of the app serving this request."""
    return container_of_app(request.app)


def json_response(
    payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response serialised by orjson, readable from any origin."""
    return Response(
        orjson.dumps(payload),
        status_code=status,
        headers={**CORS_HEADERS, **(headers or {})},
        media_type="application/json",
    )


def cache_headers(max_age_s: int, now: datetime | None = None) -> dict[str, str]:
    """`Cache-Control: public, max-age=N` with the matching `Expires` date."""
    expires = (now or datetime.now(UTC)) + timedelta(seconds=max_age_s)
    return {
        "Cache-Control": f"public, max-age={max_age_s}",
        "Expires": format_datetime(expires, usegmt=True),
    }
