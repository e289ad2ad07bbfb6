"""One ESI exchange: cache check, budget admission, retries, and translation into `EsiError`.

The only place aiohttp exceptions and status codes become the ESI exception tree.
5xx, timeouts and resets are retried with exponential backoff and jitter (stamina),
each attempt admitted by the budget again; 4xx are never retried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import aiohttp
import orjson

from killreport.esi import metrics
from killreport.esi.budget import DEFAULT_ERROR_PAUSE_S, DEFAULT_RETRY_AFTER_S, Bucket, Budget
from killreport.esi.errors import (
    EsiContactMissing,
    EsiError,
    EsiErrorLimited,
    EsiForbidden,
    EsiInvalid,
    EsiNotFound,
    EsiRateLimited,
    EsiUnauthorized,
    EsiUnavailable,
)
from killreport.esi.http_cache import CachedResource, HttpCache, parse_http_date
from killreport.esi.routes import Route
from killreport.retrying import RetryPolicy, TransientFailure, retry_transient
from killreport.user_agent import missing_contact_message, needs_contact

if TYPE_CHECKING:
    from killreport.settings import Settings

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TransportConfig:
    """How the transport talks to ESI."""

    base_url: str
    user_agent: str
    compatibility_date: str
    timeout_s: float = 30.0
    retry_attempts: int = 4
    retry_wait_initial_s: float = 0.5
    retry_wait_max_s: float = 10.0
    # The operator's contact; real CCP hosts are refused without one.
    contact: str = ""

    @property
    def retry(self) -> RetryPolicy:
        """How 5xx, timeouts and resets are retried."""
        return RetryPolicy(self.retry_attempts, self.retry_wait_initial_s, self.retry_wait_max_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransportConfig:
        """The transport configuration of a deployment."""
        return cls(
            base_url=settings.esi_url,
            user_agent=settings.user_agent,
            compatibility_date=settings.esi_compatibility_date,
            timeout_s=settings.http_timeout_s,
            retry_attempts=settings.esi_retry_attempts,
            retry_wait_initial_s=settings.esi_retry_wait_initial_s,
            retry_wait_max_s=settings.esi_retry_wait_max_s,
            contact=settings.user_agent_contact.strip(),
        )


@dataclass(frozen=True, slots=True)
class EsiResponse:
    """A successful exchange (2xx or 304 or served from the cache)."""

    url: str
    body: bytes
    unchanged: bool
    expires_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    pages: int | None = None


@dataclass(frozen=True, slots=True)
class _Exchange:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _error_message(body: bytes, status: int) -> str:
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"HTTP {status}"
    if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
        return str(decoded["error"])
    return f"HTTP {status}"


def _seconds(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


class EsiTransport:
    """Sends ESI requests for the typed client."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        budget: Budget,
        config: TransportConfig,
        cache: HttpCache | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.session = session
        self.budget = budget
        self.config = config
        self.cache = cache
        self.clock = clock
        # Route name -> group, learnt from X-Ratelimit-Group when the spec did not say.
        self._learnt_groups: dict[str, str] = {}

    def url(
        self,
        route: Route,
        params: Mapping[str, object],
        query: Mapping[str, str | int] | None = None,
    ) -> str:
        """The absolute URL of a route with its path and query parameters."""
        path = route.path.format(**params)
        url = f"{self.config.base_url}{path}"
        return f"{url}?{urlencode(sorted(query.items()))}" if query else url

    def _bucket(self, route: Route, caller: str) -> Bucket | None:
        group = route.group or self._learnt_groups.get(route.name)
        if group is None:
            return None
        if group == route.group:
            return Bucket(group, caller, route.group_tokens, route.group_window_s)
        return Bucket(group, caller)

    async def call(
        self,
        route: Route,
        params: Mapping[str, object] | None = None,
        *,
        query: Mapping[str, str | int] | None = None,
        json_body: object = None,
        token: str | None = None,
        caller: str = "public",
    ) -> EsiResponse:
        """One request (plus retries); a fresh cached copy answers without one."""
        url = self.url(route, params or {}, query)
        use_cache = self.cache is not None and route.cached and HttpCache.cacheable(url)
        cached = await self.cache.get(url) if self.cache is not None and use_cache else None
        if cached is not None and cached.is_fresh(self.clock()):
            return self._from_cache(cached, cached.expires_at)
        exchange = await self._send(route, url, json_body, token, caller, cached)
        if exchange.status == 304 and cached is None:
            # Only possible if the cache row vanished meanwhile: ask again unconditionally.
            exchange = await self._send(route, url, json_body, token, caller, None)
        now = self.clock()
        expires_at = parse_http_date(exchange.headers.get("Expires"))
        if exchange.status == 304 and cached is not None:
            if self.cache is not None:
                await self.cache.refresh(url, expires_at, now)
            return self._from_cache(cached, expires_at)
        if 200 <= exchange.status < 300:
            pages = _seconds(exchange.headers, "X-Pages")
            response = EsiResponse(
                url=url,
                body=exchange.body,
                unchanged=False,
                expires_at=expires_at,
                etag=exchange.headers.get("ETag"),
                last_modified=exchange.headers.get("Last-Modified"),
                pages=int(pages) if pages is not None else None,
            )
            if self.cache is not None and use_cache:
                resource = CachedResource(
                    url=url,
                    etag=response.etag,
                    last_modified=response.last_modified,
                    expires_at=expires_at,
                    body=exchange.body,
                    pages=response.pages,
                )
                await self.cache.store(resource, now)
            return response
        raise self._error(exchange, url, now)

    @staticmethod
    def _from_cache(cached: CachedResource, expires_at: datetime | None) -> EsiResponse:
        return EsiResponse(
            url=cached.url,
            body=cached.body or b"",
            unchanged=True,
            expires_at=expires_at,
            etag=cached.etag,
            last_modified=cached.last_modified,
            pages=cached.pages,
        )

    async def _send(
        self,
        route: Route,
        url: str,
        json_body: object,
        token: str | None,
        caller: str,
        cached: CachedResource | None,
    ) -> _Exchange:
        config = self.config
        if not config.contact and needs_contact(url):
            raise EsiContactMissing(missing_contact_message(url), url=url)
        headers = {
            "User-Agent": config.user_agent,
            "X-Compatibility-Date": config.compatibility_date,
            "Accept": "application/json",
        }
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if cached is not None and cached.body is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        data = None
        if json_body is not None:
            data = orjson.dumps(json_body)
            headers["Content-Type"] = "application/json"
        return await retry_transient(
            lambda: self._exchange(route, url, headers, data, caller),
            config.retry,
            lambda reason: EsiUnavailable(reason, url=url),
        )

    async def _exchange(
        self,
        route: Route,
        url: str,
        headers: Mapping[str, str],
        data: bytes | None,
        caller: str,
    ) -> _Exchange:
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        async with self.budget.permit(self._bucket(route, caller)) as permit:
            try:
                async with self.session.request(
                    route.method, url, headers=headers, data=data, timeout=timeout
                ) as response:
                    body = await response.read()
                    status, response_headers = response.status, response.headers
            except (aiohttp.ClientError, TimeoutError) as exc:
                logger.info("ESI %s %s failed: %s", route.method, url, type(exc).__name__)
                raise TransientFailure(f"{type(exc).__name__} on {route.method} {url}") from exc
            permit.observe(status, response_headers)
        group = response_headers.get("X-Ratelimit-Group")
        if group is not None and route.group is None:
            self._learnt_groups[route.name] = group
        metrics.observe(status, group or route.group, response_headers)
        if status >= 500:
            logger.info("ESI %s %s answered %s", route.method, url, status)
            raise TransientFailure(f"HTTP {status} on {route.method} {url}")
        return _Exchange(status, response_headers, body)

    def _error(self, exchange: _Exchange, url: str, now: datetime) -> EsiError:
        status, headers = exchange.status, exchange.headers
        message = _error_message(exchange.body, status)
        if status == 404:
            return EsiNotFound(message, status=status, url=url)
        if status in (400, 422):
            return EsiInvalid(message, status=status, url=url)
        if status == 401:
            return EsiUnauthorized(message, status=status, url=url)
        if status == 403:
            return EsiForbidden(message, status=status, url=url)
        if status == 420:
            reset_s = _seconds(headers, "X-ESI-Error-Limit-Reset") or _seconds(
                headers, "Retry-After"
            )
            retry_at = now + timedelta(seconds=reset_s or DEFAULT_ERROR_PAUSE_S)
            return EsiErrorLimited(message, retry_at=retry_at, status=status, url=url)
        if status == 429:
            retry_after_s = _seconds(headers, "Retry-After") or DEFAULT_RETRY_AFTER_S
            retry_at = now + timedelta(seconds=retry_after_s)
            return EsiRateLimited(message, retry_at=retry_at, status=status, url=url)
        return EsiError(message, status=status, url=url)
