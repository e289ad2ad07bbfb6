"""What /graphql checks before GraphQL sees a request: rate, document size, request id, caching.

An ASGI middleware so a refused request costs no parsing: over the client's token bucket
-> 429 with Retry-After; a document over the size limit -> 413; both with a GraphQL
error body and `extensions.code`. Responses get `X-Request-Id` and a Cache-Control:
anonymous GET (no cookie, no Authorization) may be kept briefly by a reverse proxy,
anything else is `private, no-store` so no cache hands one user's data to another.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from killreport.api.graphql.errors import DOCUMENT_TOO_LARGE, RATE_LIMITED, error_body
from killreport.api.rate_limit import ClientAddress, RateLimiter

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

GRAPHQL_PATH = "/graphql"


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers", ())}


class GraphQLGate:
    """ASGI middleware in front of the /graphql route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        addresses: ClientAddress,
        max_document_bytes: int,
        get_cache_s: int,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.addresses = addresses
        self.max_document_bytes = max_document_bytes
        self.get_cache_s = get_cache_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].rstrip("/") != GRAPHQL_PATH:
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        headers = _headers(scope)
        peer = scope.get("client")
        forwarded = headers.get(b"x-forwarded-for")
        client = self.addresses.of(
            peer[0] if peer else None, forwarded.decode() if forwarded else None
        )
        retry_s = await self.limiter.take(client)
        if retry_s > 0.0:
            logger.info("graphql request %s from %s rate limited", request_id, client)
            await self._refuse(
                send, 429, request_id, "too many requests; retry later", RATE_LIMITED,
                [(b"retry-after", str(max(1, math.ceil(retry_s))).encode())],
            )  # fmt: skip
            return
        too_large = f"query document larger than {self.max_document_bytes} bytes"
        if len(scope.get("query_string", b"")) > self.max_document_bytes:
            await self._refuse(send, 413, request_id, too_large, DOCUMENT_TOO_LARGE)
            return
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_document_bytes:
            await self._refuse(send, 413, request_id, too_large, DOCUMENT_TOO_LARGE)
            return
        body = b""
        more = scope["method"] in ("POST", "PUT", "PATCH")
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > self.max_document_bytes:
                await self._refuse(send, 413, request_id, too_large, DOCUMENT_TOO_LARGE)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        anonymous = b"cookie" not in headers and b"authorization" not in headers
        cacheable = scope["method"] == "GET" and anonymous and self.get_cache_s > 0

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", request_id.encode())]
                if cacheable and message["status"] == 200:
                    extra.append((b"cache-control", f"public, max-age={self.get_cache_s}".encode()))
                else:
                    extra.append((b"cache-control", b"private, no-store"))
                    if not anonymous:
                        extra.append((b"vary", b"Cookie, Authorization"))
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", ()) if k.lower() != b"cache-control"
                ] + extra
            await send(message)

        await self.app(scope, replay, send_with_headers)

    async def _refuse(
        self,
        send: Send,
        status: int,
        request_id: str,
        message: str,
        code: str,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        payload = orjson.dumps(error_body(message, code))
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"x-request-id", request_id.encode()),
                    (b"cache-control", b"private, no-store"),
                    *(extra or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
