"""Prometheus histogram of GraphQL operations: seconds per operation, by operation type."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import Histogram
from strawberry.extensions import SchemaExtension

GRAPHQL_SECONDS = Histogram(
    "killreport_graphql_operation_seconds",
    "Time from parsing a GraphQL operation to its result (guards included).",
    ["operation_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class OperationTimer(SchemaExtension):
    """Observes each operation's duration in GRAPHQL_SECONDS."""

    def on_operation(self) -> Iterator[None]:
        """Time the whole operation."""
        started = time.perf_counter()
        yield
        try:
            kind = self.execution_context.operation_type.value
        except (AttributeError, RuntimeError):  # an unparsable document has no operation
            kind = "unknown"
        GRAPHQL_SECONDS.labels(kind).observe(time.perf_counter() - started)
