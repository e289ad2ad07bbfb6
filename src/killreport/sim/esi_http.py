"""The ESI request pipeline: path forms, compatibility dates, caching headers, limits, faults.

Route handlers (esi_routes.py) return a `Reply`; this module turns it into a response
with ESI's headers, after the error limit, the token buckets and the fault knobs had
their say. Counting is plain dict arithmetic: it sits on the hot path.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from killreport.sim.esi_protocol import (
    DAILY,
    EsiError,
    compatibility,
    etag_of,
    expires_at,
    http_date,
    not_modified,
)
from killreport.sim.limits import token_cost
from killreport.sim.spec import Operation
from killreport.sim.state import SimState

ERROR_LIMITED = (
    "This software has exceeded the error limit for ESI. If you are a user, please contact the "
    "maintainer of this software. If you are a developer/maintainer, please make a greater effort "
    "in the future to receive valid responses. For tips on how, come have a chat with us in "
    "#esi on tweetfleet slack. If you're not on tweetfleet slack yet, you can get an invite "
    "here -> https://www.fuzzwork.co.uk/tweetfleet-slack-invites/"
)
_VERSION_PREFIX = re.compile(r"^(?:latest|dev|legacy|v\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SERVER_ERRORS = (
    (500, "Internal server error"),
    (502, "Bad gateway"),
    (503, "Service unavailable"),
    (504, "Timeout contacting tranquility"),
)
_request_ids = itertools.count(1)


@dataclass(slots=True)
class Reply:
    """What a route handler produced: a JSON payload and how it is cached."""

    payload: Any
    modified_s: float | None = None  # Last-Modified (simulated unix seconds)
    pages: int | None = None
    status: int = 200


@dataclass(slots=True)
class Call:
    """One matched request as a handler sees it."""

    state: SimState
    request: web.Request
    params: tuple[str, ...]
    new_shape: bool
    body: Any = None
    claims: Any = None  # SsoClaims of a valid bearer token


Handler = Callable[[Call], Reply | Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class EsiRoute:
    """One served operation: method, path pattern (after normalisation) and handler."""

    method: str
    pattern: re.Pattern[str]
    operation: Operation
    handler: Handler
    scope: str | None = None
    int_params: tuple[int, ...] = field(default=())


def normalise_path(tail: str) -> str:
    """Drop the version prefix and trailing slash: `/latest/status/` -> `status`."""
    parts = [part for part in tail.split("/") if part]
    if parts and _VERSION_PREFIX.match(parts[0]):
        parts = parts[1:]
    return "/".join(parts)


def json_response(status: int, payload: Any, headers: dict[str, str]) -> web.Response:
    """A JSON response with ESI's content type."""
    return web.Response(
        status=status,
        body=orjson.dumps(payload),
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def error_payload(error: EsiError) -> dict[str, Any]:
    """ESI's error body: `{"error": ...}`, with `status` and `details` on validation errors."""
    if error.details is None:
        return {"error": error.message}
    return {"details": error.details, "error": error.message, "status": error.status}


class EsiPipeline:
    """Matches ESI requests to routes and applies limits, faults, caching and counters."""

    def __init__(
        self, state: SimState, routes: list[EsiRoute], authenticate: Callable[[web.Request], Any]
    ) -> None:
        self.state = state
        self.routes = routes
        self.authenticate = authenticate
        self._by_first: dict[str, list[EsiRoute]] = {}
        for route in routes:
            first = route.pattern.pattern.strip("^$").split("/")[0]
            self._by_first.setdefault(first, []).append(route)

    def match(self, method: str, path: str) -> tuple[EsiRoute | None, tuple[str, ...]]:
        """The route serving a normalised path, and its captured parameters."""
        for route in self._by_first.get(path.split("/", 1)[0], ()):
            if route.method == method and (found := route.pattern.match(path)):
                return route, found.groups()
        return None, ()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for every `/esi/...` request."""
        state = self.state
        stats = state.stats
        arrived_s = stats.started()
        path = normalise_path(request.match_info.get("tail", ""))
        route, params = self.match(request.method, path)
        route_key = f"esi {route.operation.key}" if route else "esi unknown"
        status = 500
        try:
            response = await self._respond(request, route, params)
            status = response.status
            return response
        finally:
            stats.finished("esi", route_key, status, arrived_s)

    async def _respond(
        self, request: web.Request, route: EsiRoute | None, params: tuple[str, ...]
    ) -> web.StreamResponse:
        state = self.state
        faults = state.faults
        ip = request.remote or "unknown"
        headers: dict[str, str] = {"X-Esi-Request-Id": f"sim-{next(_request_ids):012x}"}
        group = state.limits.get(route.operation.rate_limit_group or "") if route else None
        claims = self.authenticate(request) if route is not None and route.scope else None
        caller = (
            f"{claims.client_id}:{claims.character_id}"
            if claims is not None and not claims.expired
            else ip
        )

        if faults.latency_ms > 0:
            await asyncio.sleep(faults.latency_ms / 1000)
        if (
            faults.reset_rate > 0
            and state.rng.random() < faults.reset_rate
            and request.transport is not None
        ):
            # The client sees the connection drop; 499 (nginx's "client closed") only labels
            # the reset in the counters, nothing reaches the wire.
            request.transport.abort()
            return web.Response(status=499)
        if faults.timeout_rate > 0 and state.rng.random() < faults.timeout_rate:
            await asyncio.sleep(faults.timeout_s)
            return self._finish(
                request,
                504,
                {"error": "Timeout contacting tranquility"},
                headers,
                ip,
                group,
                caller,
            )

        if state.errors.blocked(ip):
            return self._finish(request, 420, {"error": ERROR_LIMITED}, headers, ip, group, caller)
        now = time.monotonic()
        for forced in (420, 429, 503):
            until = faults.forced_until.get(forced)
            if until is not None and until > now:
                if forced == 429:
                    headers["Retry-After"] = str(max(1, math.ceil(until - now)))
                body = {
                    "error": ERROR_LIMITED
                    if forced == 420
                    else "Too many requests"
                    if forced == 429
                    else "Service unavailable"
                }
                return self._finish(request, forced, body, headers, ip, group, caller)
        if group is not None:
            retry_s = state.buckets.retry_after_s(group, caller)
            if retry_s is not None:
                headers["Retry-After"] = str(retry_s)
                return self._finish(
                    request, 429, {"error": "Too many requests"}, headers, ip, group, caller
                )
        if faults.error_rate > 0 and state.rng.random() < faults.error_rate:
            status, message = state.rng.choice(_SERVER_ERRORS)
            return self._finish(request, status, {"error": message}, headers, ip, group, caller)
        if route is None:
            return self._finish(request, 404, {"error": "Not found"}, headers, ip, group, caller)
        try:
            if request.query.get("datasource", "tranquility") != "tranquility":
                raise EsiError(
                    400,
                    "Invalid datasource",
                    [
                        {
                            "location": "query.datasource",
                            "message": "must be tranquility",
                            "value": request.query["datasource"],
                        }
                    ],
                )
            today = datetime.fromtimestamp(state.clock.now(), UTC).date()
            echo, new_shape = compatibility(request, route.operation, today)
            headers["X-Compatibility-Date"] = echo
            call = Call(state, request, params, new_shape, claims=claims)
            if route.method == "POST":
                call.body = await _json_body(request)
            result = route.handler(call)
            reply = await result if isinstance(result, Awaitable) else result
        except EsiError as error:
            return self._finish(
                request, error.status, error_payload(error), headers, ip, group, caller
            )
        return self._cached(request, route, reply, headers, ip, group, caller)

    def _cached(
        self,
        request: web.Request,
        route: EsiRoute,
        reply: Reply,
        headers: dict[str, str],
        ip: str,
        group: Any,
        caller: str,
    ) -> web.Response:
        body = orjson.dumps(reply.payload)
        ttl = route.operation.cache_ttl_s
        if route.operation.key.startswith("GET /universe/"):
            ttl = DAILY
            headers["Content-Language"] = "en"
        if reply.pages is not None:
            headers["X-Pages"] = str(reply.pages)
        status = reply.status
        if ttl is not None and reply.modified_s is not None:
            now_s = self.state.clock.now()
            etag = etag_of(body)
            headers["Cache-Control"] = "public"
            headers["ETag"] = etag
            headers["Expires"] = http_date(expires_at(now_s, reply.modified_s, ttl))
            headers["Last-Modified"] = http_date(reply.modified_s)
            if route.method == "GET" and not_modified(request, etag, reply.modified_s):
                status = 304
        self._charge(headers, ip, group, caller, status)
        if status == 304:
            return web.Response(status=304, headers=headers)
        return web.Response(
            status=status,
            body=body,
            headers=headers,
            content_type="application/json",
            charset="utf-8",
        )

    def _finish(
        self,
        request: web.Request,
        status: int,
        payload: Any,
        headers: dict[str, str],
        ip: str,
        group: Any,
        caller: str,
    ) -> web.Response:
        self._charge(headers, ip, group, caller, status)
        return json_response(status, payload, headers)

    def _charge(
        self, headers: dict[str, str], ip: str, group: Any, caller: str, status: int
    ) -> None:
        state = self.state
        if status != 420:
            state.errors.record(ip, status)
        if group is None:
            headers.update(state.errors.headers(ip))
            return
        tokens = token_cost(status) if status != 420 else 0
        remaining = state.buckets.spend(group, caller, tokens)
        if tokens:
            state.stats.spent(group.group, tokens)
        headers["X-Ratelimit-Group"] = group.group
        headers["X-Ratelimit-Limit"] = group.limit_text
        headers["X-Ratelimit-Remaining"] = str(remaining)
        headers["X-Ratelimit-Used"] = str(tokens)


async def _json_body(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EsiError(
            400,
            "Invalid JSON body",
            [
                {
                    "location": "body",
                    "message": "body is not valid JSON",
                    "value": raw[:200].decode("utf-8", "replace"),
                }
            ],
        ) from exc


def id_list(body: Any, max_items: int, *, strings: bool = False) -> list[Any]:
    """Validate a POST body of unique ids (or names): 1..max_items items."""
    kind = str if strings else int
    if not isinstance(body, list) or not all(
        isinstance(x, kind) and not isinstance(x, bool) for x in body
    ):
        raise EsiError(
            400,
            "Invalid body",
            [
                {
                    "location": "body",
                    "message": f"expected an array of {'strings' if strings else 'integers'}",
                    "value": body,
                }
            ],
        )
    if not 1 <= len(body) <= max_items:
        raise EsiError(
            400,
            "Invalid body",
            [
                {
                    "location": "body",
                    "message": f"expected between 1 and {max_items} items",
                    "value": len(body),
                }
            ],
        )
    if len(set(body)) != len(body):
        raise EsiError(
            400,
            "Invalid body",
            [{"location": "body", "message": "items must be unique", "value": len(body)}],
        )
    return body
