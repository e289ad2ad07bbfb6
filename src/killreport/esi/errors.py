"""The ESI exception tree; aiohttp and status codes are translated into it once, in the transport.

* EsiError
  - EsiNotFound           404: the entity does not exist (permanent)
  - EsiInvalid            400/422: the request is wrong, e.g. a bad killmail hash (permanent)
  - EsiUnauthorized       401: no or expired token
  - EsiForbidden          403: token lacks the scope or the character the role
  - EsiRateLimited        429: a rate-limit group is empty; retry at `retry_at`
  - EsiErrorLimited       420, or the error budget is spent; retry at `retry_at`
  - EsiUnavailable        5xx, timeouts and resets after every retry
  - EsiBadResponse        the body is not what the OpenAPI spec promises
  - EsiContactMissing     a real CCP host without KILLREPORT_USER_AGENT_CONTACT; nothing sent
"""

from __future__ import annotations

from datetime import datetime


class EsiError(Exception):
    """Base of every error the ESI client raises."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class EsiNotFound(EsiError):
    """404: the resource does not exist."""


class EsiInvalid(EsiError):
    """400 or 422: ESI rejected the request itself."""


class EsiUnauthorized(EsiError):
    """401: the access token is missing, expired or invalid."""


class EsiForbidden(EsiError):
    """403: the token lacks the scope, or the character lacks the in-game role."""


class _EsiRetryLater(EsiError):
    """An error that says when the same call may succeed."""

    def __init__(
        self, message: str, *, retry_at: datetime, status: int | None = None, url: str = ""
    ) -> None:
        super().__init__(message, status=status, url=url)
        self.retry_at = retry_at


class EsiRateLimited(_EsiRetryLater):
    """429: the rate-limit group of this route is empty until `retry_at`."""


class EsiErrorLimited(_EsiRetryLater):
    """420: the legacy error limit is spent until `retry_at`; every route is blocked."""


class EsiUnavailable(EsiError):
    """ESI answered 5xx, timed out or reset the connection on every attempt."""


class EsiBudgetUnavailable(EsiUnavailable):
    """The shared budget store (Redis) could not be reached; no request was sent."""


class EsiBadResponse(EsiError):
    """ESI answered 2xx with a body that does not match the model."""


class EsiContactMissing(EsiError):
    """The URL is on a real CCP host and no operator contact is configured; nothing was sent."""
