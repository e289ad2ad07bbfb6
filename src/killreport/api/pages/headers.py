"""Security headers on every response: a strict CSP for pages, nosniff and no framing always."""

from __future__ import annotations

from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# GraphiQL and the OpenAPI docs load their own scripts; they keep nosniff and no framing
# but not the pages' script policy.
_OWN_POLICY_PREFIXES: Final = ("/graphql", "/docs", "/openapi.json")


def content_security_policy(image_server_url: str) -> str:
    """The pages' policy: scripts and styles only from this origin, images also from EVE's."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {image_server_url}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """Pure ASGI middleware (no body buffering) that adds the headers to HTTP responses."""

    def __init__(self, app: ASGIApp, *, image_server_url: str) -> None:
        self.app = app
        self.policy = content_security_policy(image_server_url).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the start of each HTTP response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        own_policy = str(scope.get("path", "")).startswith(_OWN_POLICY_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                if own_policy:
                    headers.append((b"x-frame-options", b"DENY"))
                else:
                    headers.append((b"content-security-policy", self.policy))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
