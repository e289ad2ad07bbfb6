"""The auth pages (a failed login, SSO off): one small function, so the site's Jinja2
layout can adopt them later by replacing only this module."""

from __future__ import annotations

import html

from fastapi.responses import HTMLResponse


def auth_page(title: str, message: str, *, status: int = 400) -> HTMLResponse:
    """A plain page saying what went wrong, with a way to try again."""
    body = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)} - KillReport</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        '<p><a href="/auth/login">Log in with EVE Online</a> &middot; <a href="/">Home</a></p>'
        "</body></html>"
    )
    # Never cached: the page answers one browser's one attempt.
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
