"""The zKillboard exception tree, translated once from aiohttp and status codes in `fetcher`.

* ZkbError
  - ZkbNotFound       404 (an R2Z2 entry not published yet, a missing history day)
  - ZkbRateLimited    429, or zKillboard's block (302 to /api/blocked.json, a 403 saying
                      "blocked"); retry at `retry_at`; the deployment's pacer is paused
  - ZkbUnavailable    5xx, timeouts and resets after every retry
    - ZkbPacingUnavailable  the shared pacing store (Redis) could not be reached
  - ZkbContactMissing a real zKillboard host without KILLREPORT_USER_AGENT_CONTACT; nothing sent
"""

from __future__ import annotations

from datetime import datetime


class ZkbError(Exception):
    """Base of every error the zKillboard clients raise."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class ZkbNotFound(ZkbError):
    """404: not there (yet)."""


class ZkbRateLimited(ZkbError):
    """Too many requests or blocked; the same call may succeed at `retry_at`."""

    def __init__(
        self, message: str, *, retry_at: datetime, status: int | None = None, url: str = ""
    ) -> None:
        super().__init__(message, status=status, url=url)
        self.retry_at = retry_at


class ZkbUnavailable(ZkbError):
    """zKillboard answered 5xx, timed out or reset the connection on every attempt."""


class ZkbPacingUnavailable(ZkbUnavailable):
    """The shared pacing store (Redis) could not be reached; no request was sent."""


class ZkbContactMissing(ZkbError):
    """The URL is on a real zKillboard host and no operator contact is set; nothing was sent."""
