"""Friendly 404 and 500 pages for browsers; API clients keep FastAPI's JSON errors."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from killreport.api.pages.rendering import Pages

logger = logging.getLogger(__name__)

_API_PREFIXES = ("/graphql", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")

_HEADINGS = {
    404: (
        "Not found",
        "There is nothing at this address. The killmail or entity may not be known here yet.",
    ),
    405: ("Not allowed", "This address does not answer that kind of request."),
}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(_API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


class PageNotFound(StarletteHTTPException):
    """A page whose entity or killmail is unknown (a 404 with the friendly page)."""

    def __init__(self, what: str) -> None:
        super().__init__(status_code=404, detail=f"{what} not found")


def install_error_pages(app: FastAPI, pages: Pages) -> None:
    """Register the handlers: HTML for browsers, the default JSON for everything else."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _wants_html(request) or exc.status_code not in _HEADINGS:
            return await http_exception_handler(request, exc)
        heading, message = _HEADINGS[exc.status_code]
        return await pages.render(
            request,
            "error.html",
            {"heading": heading, "message": message, "request_id": None},
            status_code=exc.status_code,
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        request_id = secrets.token_hex(6)
        logger.error(
            "request %s %s failed (request id %s)",
            request.method,
            request.url.path,
            request_id,
            exc_info=exc,
        )
        if not _wants_html(request):
            return Response(
                f'{{"detail":"internal error","request_id":"{request_id}"}}',
                status_code=500,
                media_type="application/json",
            )
        body = pages.environment.get_template("error.html").render(
            request=request,
            viewer=None,
            now=None,
            heading="Something went wrong",
            message="The page could not be built. The error is logged; try again in a moment.",
            request_id=request_id,
        )
        return HTMLResponse(body, status_code=500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, server_error)
