"""mount_pages: the web killboard's routes, static files, headers and error pages on the app."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from killreport.api.pages import browse, entities, home, killmail, leaderboards, me, search
from killreport.api.pages import status as status_pages
from killreport.api.pages.errors import install_error_pages
from killreport.api.pages.headers import SecurityHeaders
from killreport.api.pages.images import ImageServer
from killreport.api.pages.rendering import Pages, ViewerLookup, build_environment
from killreport.api.pages.routing import PageRoute
from killreport.api.pages.viewer import session_viewer
from killreport.settings import Settings

# Every area's routes, in one table; mount_pages registers them in this order.
ROUTES: tuple[PageRoute, ...] = (
    *home.ROUTES,
    *killmail.ROUTES,
    *entities.ROUTES,
    *leaderboards.ROUTES,
    *browse.ROUTES,
    *search.ROUTES,
    *me.ROUTES,
    *status_pages.ROUTES,
)


def mount_pages(app: FastAPI, settings: Settings, viewer: ViewerLookup = session_viewer) -> None:
    """Add the pages, their static files, headers and error pages to the API app."""
    pages = Pages(build_environment(ImageServer(settings.image_server_url)), viewer)
    app.state.pages = pages
    for route in ROUTES:
        app.add_api_route(
            route.path,
            route.endpoint,
            methods=[route.method],
            name=route.name,
            response_class=HTMLResponse,
            include_in_schema=False,
        )
    static = files("killreport.api.pages") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    install_error_pages(app, pages)
    app.add_middleware(SecurityHeaders, image_server_url=settings.image_server_url)
