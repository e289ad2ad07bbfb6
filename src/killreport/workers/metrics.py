"""Prometheus metrics of the worker runtime, labelled by queue."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PROCESSED = Counter("killreport_messages_processed_total", "Messages handled and acked.", ["queue"])
RETRIED = Counter(
    "killreport_messages_retried_total", "Messages put back for a delayed retry.", ["queue"]
)
DEAD = Counter(
    "killreport_messages_dead_total", "Messages moved to their dead-letter queue.", ["queue"]
)
FAILED = Counter(
    "killreport_messages_failed_total",
    "Messages that failed permanently and were recorded and acked.",
    ["queue"],
)
HANDLER_SECONDS = Histogram(
    "killreport_handler_seconds",
    "Time spent in a handler, whatever the outcome.",
    ["queue"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 1800),
)
IN_FLIGHT = Gauge(
    "killreport_messages_in_flight", "Messages a handler of this process is working on.", ["queue"]
)
