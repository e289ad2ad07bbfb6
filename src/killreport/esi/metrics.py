"""Prometheus metrics of ESI traffic: requests by status and rate-limit group, error limit."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge

REQUESTS = Counter(
    "killreport_esi_requests_total",
    'ESI responses by HTTP status and rate-limit group (304 share: status="304" / all).',
    ["status", "group"],
)
ERROR_LIMIT_REMAINING = Gauge(
    "killreport_esi_error_limit_remaining",
    "X-ESI-Error-Limit-Remain of the last ESI response this process received.",
)


def observe(status: int, group: str | None, headers: Mapping[str, str]) -> None:
    """Count one ESI response and keep the error limit it reports."""
    REQUESTS.labels(str(status), group or "none").inc()
    remain = headers.get("X-ESI-Error-Limit-Remain")
    if remain is not None and remain.isdigit():
        ERROR_LIMIT_REMAINING.set(int(remain))
