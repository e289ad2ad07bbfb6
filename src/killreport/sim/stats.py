"""Request counters behind `GET /_sim/stats`: plain dict increments on the hot path."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

PlainHandler = Callable[[web.Request], web.Response]
Handler = Callable[[web.Request], Awaitable[web.Response]]

# Per-second buckets kept (older seconds are dropped so long runs stay bounded).
SECONDS_KEPT = 3600


class Stats:
    """Counts requests by status, route, service and wall-clock second; tracks concurrency."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.requests_total = 0
        self.requests_by_status: dict[int, int] = {}
        self.requests_by_route: dict[str, int] = {}
        self.requests_by_service: dict[str, int] = {}
        self.tokens_spent_by_group: dict[str, int] = {}
        self.per_second: dict[int, int] = {}
        self.per_second_by_service: dict[str, dict[int, int]] = {}
        self.in_flight = 0
        self.peak_concurrency = 0
        self.errors_limited = 0

    def started(self) -> int:
        """A request entered the server; returns the wall-clock second it arrived in."""
        self.in_flight += 1
        if self.in_flight > self.peak_concurrency:
            self.peak_concurrency = self.in_flight
        return int(self._clock())

    def finished(self, service: str, route: str, status: int, arrived_s: int | None = None) -> None:
        """A request left the server with this status; it counts in the second it arrived.

        Counting arrivals (as a server's rate limiter does) keeps a slow answer from
        moving its request into a later second and making that second look busier.
        """
        self.in_flight -= 1
        self.requests_total += 1
        self.requests_by_status[status] = self.requests_by_status.get(status, 0) + 1
        self.requests_by_route[route] = self.requests_by_route.get(route, 0) + 1
        self.requests_by_service[service] = self.requests_by_service.get(service, 0) + 1
        second = int(self._clock()) if arrived_s is None else arrived_s
        per_second = self.per_second
        per_second[second] = per_second.get(second, 0) + 1
        by_service = self.per_second_by_service.setdefault(service, {})
        by_service[second] = by_service.get(second, 0) + 1
        if len(per_second) > SECONDS_KEPT:
            self._trim(second - SECONDS_KEPT)

    def counted(self, service: str, route: str, handler: PlainHandler) -> Handler:
        """An aiohttp handler that runs the synchronous `handler` and counts its answer."""

        async def counted_handler(request: web.Request) -> web.Response:
            arrived_s = self.started()
            status = 500
            try:
                response = handler(request)
                status = response.status
                return response
            finally:
                self.finished(service, route, status, arrived_s)

        return counted_handler

    def _trim(self, oldest: int) -> None:
        for table in (self.per_second, *self.per_second_by_service.values()):
            for second in [s for s in table if s < oldest]:
                del table[second]

    def spent(self, group: str, tokens: int) -> None:
        """Tokens taken from a rate-limit group's buckets."""
        self.tokens_spent_by_group[group] = self.tokens_spent_by_group.get(group, 0) + tokens

    def snapshot(self) -> dict[str, Any]:
        """Every counter as JSON-ready values (map keys are strings)."""
        return {
            "requests_total": self.requests_total,
            "requests_by_status": {str(k): v for k, v in sorted(self.requests_by_status.items())},
            "requests_by_route": dict(sorted(self.requests_by_route.items())),
            "requests_by_service": dict(sorted(self.requests_by_service.items())),
            "tokens_spent_by_group": dict(sorted(self.tokens_spent_by_group.items())),
            "requests_per_second": {str(k): v for k, v in sorted(self.per_second.items())},
            "requests_per_second_by_service": {
                service: {str(k): v for k, v in sorted(table.items())}
                for service, table in sorted(self.per_second_by_service.items())
            },
            "peak_requests_per_second": max(self.per_second.values(), default=0),
            "peak_concurrency": self.peak_concurrency,
            "in_flight": self.in_flight,
        }
