"""One GET to a zKillboard service: pacing, retries, and translation into `ZkbError`.

The only place aiohttp exceptions and status codes become the zKillboard tree. 5xx,
timeouts and resets are retried with exponential backoff and jitter (stamina).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import aiohttp
import orjson

from killreport.retrying import RetryPolicy, TransientFailure, retry_transient
from killreport.user_agent import missing_contact_message, needs_contact
from killreport.zkb.errors import (
    ZkbContactMissing,
    ZkbError,
    ZkbNotFound,
    ZkbRateLimited,
    ZkbUnavailable,
)
from killreport.zkb.pacing import Pacer

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_S = 6.0
# zKillboard blocks an IP that made too many errors; the block lasts minutes.
BLOCKED_PAUSE_S = 300.0


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How the fetcher talks to zKillboard."""

    user_agent: str
    timeout_s: float = 30.0
    retry_attempts: int = 4
    retry_wait_initial_s: float = 0.5
    retry_wait_max_s: float = 10.0
    # The operator's contact; real zKillboard hosts are refused without one.
    contact: str = ""

    @property
    def retry(self) -> RetryPolicy:
        """How 5xx, timeouts and resets are retried."""
        return RetryPolicy(self.retry_attempts, self.retry_wait_initial_s, self.retry_wait_max_s)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ZkbFetcher:
    """GETs JSON from one zKillboard service, paced by a shared `Pacer`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        pacer: Pacer,
        config: FetchConfig,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.session = session
        self.pacer = pacer
        self.config = config
        self.clock = clock

    async def get_json(self, url: str) -> Any:
        """The decoded JSON body of a 200 answer; every other outcome raises ZkbError."""
        if not self.config.contact and needs_contact(url):
            raise ZkbContactMissing(missing_contact_message(url), url=url)
        return await retry_transient(
            lambda: self._get_once(url),
            self.config.retry,
            lambda reason: ZkbUnavailable(reason, url=url),
        )

    async def _get_once(self, url: str) -> Any:
        await self.pacer.wait_turn()
        headers = {"User-Agent": self.config.user_agent, "Accept-Encoding": "gzip"}
        timeout = aiohttp.ClientTimeout(total=self.config.timeout_s)
        try:
            async with self.session.get(
                url, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                body = await response.read()
                status, location = response.status, response.headers.get("Location", "")
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.info("zKillboard GET %s failed: %s", url, type(exc).__name__)
            raise TransientFailure(f"{type(exc).__name__} on GET {url}") from exc
        if status >= 500:
            logger.info("zKillboard GET %s answered %s", url, status)
            raise TransientFailure(f"HTTP {status} on GET {url}")
        if status == 200:
            return self._decode(url, body)
        now = self.clock()
        if status == 404:
            raise ZkbNotFound(f"not found: {url}", status=status, url=url)
        if status == 429:
            try:
                delay_s = float(retry_after) if retry_after else DEFAULT_RETRY_AFTER_S
            except ValueError:
                delay_s = DEFAULT_RETRY_AFTER_S
            await self._pause(url, status, now + timedelta(seconds=delay_s), "too many requests")
        if (status in (301, 302) and "blocked" in location) or (
            status == 403 and b"blocked" in body.lower()
        ):
            retry_at = now + timedelta(seconds=BLOCKED_PAUSE_S)
            await self._pause(url, status, retry_at, "blocked by zKillboard")
        raise ZkbError(f"HTTP {status} on GET {url}", status=status, url=url)

    async def _pause(self, url: str, status: int, retry_at: datetime, reason: str) -> NoReturn:
        # Every process shares the pacer: each request sent into a 429 or a block would
        # count toward zKillboard's IP block (40 errors in 5 minutes), so all of them wait.
        logger.warning("zKillboard GET %s answered %s: pausing until %s", url, status, retry_at)
        await self.pacer.pause_until(retry_at)
        raise ZkbRateLimited(reason, retry_at=retry_at, status=status, url=url)

    @staticmethod
    def _decode(url: str, body: bytes) -> Any:
        if not body:
            # zKillboard answers "200 Missing trailing slash" with an empty body.
            raise ZkbError(f"empty answer from {url}", status=200, url=url)
        try:
            decoded = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise ZkbError(f"undecodable answer from {url}", status=200, url=url) from exc
        if isinstance(decoded, dict) and isinstance(decoded.get("error"), str):
            # zKillboard reports request errors as HTTP 200 with {"error": ...}.
            raise ZkbError(str(decoded["error"]), status=200, url=url)
        return decoded
