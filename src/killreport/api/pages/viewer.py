"""Who is looking: the SSO routes' session (current_user) as the header shows it."""

from __future__ import annotations

from fastapi import Request

from killreport.api.auth.sessions import current_user
from killreport.api.pages.rendering import Viewer


async def session_viewer(request: Request) -> Viewer | None:
    """The logged-in user's first character and CSRF token, or None for an anonymous visit."""
    user = await current_user(request)
    if user is None or not user.characters:
        return None
    first = user.characters[0]
    return Viewer(first.character_id, first.name, user.csrf_token)
