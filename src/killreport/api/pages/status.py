"""`/status/`: admin only; the processes' heartbeats, queues, feed lag and ESI budget."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from killreport.api.auth.sessions import current_user
from killreport.api.pages.dependencies import ContainerDep, PagesDep
from killreport.api.pages.routing import PageRoute
from killreport.operations.overview import overview


async def status_page(request: Request, pages: PagesDep, container: ContainerDep) -> Response:
    """The operator's overview; anyone but an admin character gets the 403 page."""
    user = await current_user(request)
    if user is None or not user.is_admin:
        return await pages.render(
            request,
            "error.html",
            {
                "heading": "Forbidden",
                "message": "This page is for the killboard's admin characters only.",
                "request_id": None,
            },
            status_code=403,
        )
    seen = await overview(container)
    return await pages.render(request, "status.html", {"overview": seen})


ROUTES = (PageRoute("/status/", status_page, "status"),)
