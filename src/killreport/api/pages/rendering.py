"""The Jinja2 environment of the pages (autoescaped) and the one way a page is rendered."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from killreport import __version__
from killreport.api.pages import formatting
from killreport.api.pages.images import ImageServer
from killreport.api.pages.sanitizer import sanitize_description


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at the page: the logged-in character, as the header shows it."""

    character_id: int
    character_name: str
    # The session's CSRF token: the header's log-out form and /me/'s forms send it.
    csrf_token: str


# How a page learns who is logged in (the SSO routes' session helper); None = anonymous.
ViewerLookup = Callable[[Request], Awaitable[Viewer | None]]


def _attr(info: object, name: str) -> Any:
    """An optional attribute of a loaded info (None when the info or the field is absent)."""
    return getattr(info, name, None)


async def _anonymous(_: Request) -> Viewer | None:
    return None


def build_environment(images: ImageServer) -> jinja2.Environment:
    """Templates from the package, autoescaped, with the formatting filters registered."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("killreport.api.pages", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        enable_async=False,
    )
    environment.filters.update(
        isk=formatting.format_isk,
        count=formatting.format_count,
        eve_time=formatting.eve_time,
        iso_time=formatting.iso_time,
        sec_label=formatting.security_label,
        sec_class=formatting.security_class,
        sanitize=sanitize_description,
    )
    environment.globals.update(
        image=images.url,
        percent=formatting.percent,
        relative_time=formatting.relative_time,
        version=__version__,
        attr=_attr,
    )
    return environment


class Pages:
    """Renders templates into responses, with the viewer and the time in every context."""

    def __init__(self, environment: jinja2.Environment, viewer: ViewerLookup = _anonymous):
        self.environment = environment
        self.viewer = viewer

    async def context(self, request: Request) -> dict[str, Any]:
        """What every template may use: the request, the viewer and the current time."""
        return {
            "request": request,
            "viewer": await self.viewer(request),
            "now": datetime.now(UTC),
        }

    async def render(
        self,
        request: Request,
        template: str,
        values: Mapping[str, Any],
        *,
        status_code: int = 200,
        etag: bool = False,
    ) -> Response:
        """Render `template`; with `etag`, answer 304 when the browser already has this body."""
        context = await self.context(request)
        context.update(values)
        body = self.environment.get_template(template).render(context)
        headers: dict[str, str] = {}
        if etag:
            tag = '"' + hashlib.blake2b(body.encode(), digest_size=16).hexdigest() + '"'
            headers["ETag"] = tag
            # The header names the viewer, so only the browser may keep it; it revalidates.
            headers["Cache-Control"] = "private, no-cache"
            if tag in _etags(request.headers.get("if-none-match", "")):
                return Response(status_code=304, headers=headers)
        return HTMLResponse(body, status_code=status_code, headers=headers)


def _etags(header: str) -> set[str]:
    return {part.strip().removeprefix("W/") for part in header.split(",") if part.strip()}
