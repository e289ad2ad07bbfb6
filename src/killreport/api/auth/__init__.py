"""SSO routes, server-side sessions and CSRF: `current_user(request)` and `require_csrf`
are what other routes use (web pages, admin pages, GraphQL)."""

from killreport.api.auth.sessions import (
    AuthenticatedUser,
    csrf_ok,
    current_user,
    require_csrf,
    require_user,
)

__all__ = ["AuthenticatedUser", "csrf_ok", "current_user", "require_csrf", "require_user"]
