"""Retrying an outbound request that failed transiently, shared by the ESI and zKillboard edges.

A client raises `TransientFailure` for a 5xx, a timeout or a reset; `retry_transient`
tries again with exponential backoff and jitter (stamina) and, once the attempts are
spent, raises the client's own "unavailable" error built by `exhausted`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import stamina

T = TypeVar("T")


class TransientFailure(Exception):
    """A failure worth another attempt: 5xx, a timeout or a reset."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    attempts: int = 4
    wait_initial_s: float = 0.5
    wait_max_s: float = 10.0


async def retry_transient(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    exhausted: Callable[[str], Exception],
) -> T:
    """The result of `attempt`, retried on TransientFailure; `exhausted(reason)` when spent."""
    try:
        async for retry in stamina.retry_context(
            on=TransientFailure,
            attempts=policy.attempts,
            timeout=None,
            wait_initial=policy.wait_initial_s,
            wait_max=policy.wait_max_s,
        ):
            with retry:
                return await attempt()
    except TransientFailure as exc:
        raise exhausted(f"{exc} after {policy.attempts} attempts") from exc
    raise exhausted("no attempt was made")  # attempts >= 1; for mypy
