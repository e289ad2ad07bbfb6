"""ESI's conventions shared by every route: error responses, compatibility dates, caching.

Compatibility: the `X-Compatibility-Date` header (or `compatibility_date` query) picks the
response shape; absent means the oldest date; the response echoes the newest date not
after the requested one on which the operation changed. Caching: ETag from the body
bytes, Expires at the end of the cache period, 304 for If-None-Match/If-Modified-Since.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from aiohttp import web

from killreport.sim.spec import OLDEST_COMPATIBILITY_DATE, Operation, previous_change_date

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Universe routes expire daily at 11:05 UTC (esi-facts §3).
DAILY = -1


class EsiError(Exception):
    """An ESI error response: status and the `error` message (plus optional details)."""

    def __init__(
        self, status: int, message: str, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


_HTTP_DATES: dict[int, str] = {}


def http_date(unix_s: float) -> str:
    """RFC 1123 date as HTTP headers carry it (memoised: the same seconds recur constantly)."""
    second = int(unix_s)
    found = _HTTP_DATES.get(second)
    if found is None:
        if len(_HTTP_DATES) > 100_000:
            _HTTP_DATES.clear()
        found = _HTTP_DATES[second] = formatdate(second, usegmt=True)
    return found


def expires_at(now_s: float, modified_s: float, ttl_s: int) -> float:
    """End of the cache period containing now, periods counted from the last change."""
    if ttl_s == DAILY:
        today = datetime.fromtimestamp(now_s, UTC).replace(
            hour=11, minute=5, second=0, microsecond=0
        )
        moment = today if today.timestamp() > now_s else today + timedelta(days=1)
        return moment.timestamp()
    periods = math.floor(max(0.0, now_s - modified_s) / ttl_s) + 1
    return modified_s + periods * ttl_s


def etag_of(body: bytes) -> str:
    """A quoted strong ETag derived from the body bytes (unchanged body, unchanged ETag)."""
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def not_modified(request: web.Request, etag: str, modified_s: float) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(modified_s) <= since
    return False


@functools.cache
def _change_dates(operation: Operation) -> tuple[str, ...]:
    dates = {operation.compatibility_date, previous_change_date(operation.key)}
    return tuple(sorted(dates | {OLDEST_COMPATIBILITY_DATE}))


def compatibility(request: web.Request, operation: Operation, today: date) -> tuple[str, bool]:
    """(date to echo, whether the current spec's shape applies) for a request."""
    requested = request.headers.get("X-Compatibility-Date") or request.query.get(
        "compatibility_date"
    )
    if requested is None:
        requested = OLDEST_COMPATIBILITY_DATE
    elif not _DATE.match(requested):
        raise EsiError(
            400,
            "Invalid compatibility date",
            [
                {
                    "location": "header.X-Compatibility-Date",
                    "message": "expected YYYY-MM-DD",
                    "value": requested,
                }
            ],
        )
    else:
        try:
            requested_day = date.fromisoformat(requested)
        except ValueError as exc:
            raise EsiError(400, "Invalid compatibility date") from exc
        if requested < OLDEST_COMPATIBILITY_DATE or requested_day > today:
            raise EsiError(
                400,
                "Compatibility date out of range",
                [
                    {
                        "location": "header.X-Compatibility-Date",
                        "message": f"must be {OLDEST_COMPATIBILITY_DATE}..{today.isoformat()}",
                        "value": requested,
                    }
                ],
            )
    echo = max(change for change in _change_dates(operation) if change <= requested)
    return echo, requested >= operation.compatibility_date
