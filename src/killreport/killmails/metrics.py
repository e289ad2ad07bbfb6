"""Prometheus metrics of the ingest path: killmails by source and outcome."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter

from killreport.killmails.models import IngestResult

INGESTED = Counter(
    "killreport_killmails_ingested_total",
    "Killmails through the ingest path by source (r2z2, esi, esi-user, archive...) and "
    "outcome (created, duplicate, rejected).",
    ["source", "outcome"],
)


def count(result: IngestResult, sources: Mapping[int, str], default_source: str) -> None:
    """Count one committed batch's killmails by source and outcome."""
    for killmail_id, _sequence in result.created:
        INGESTED.labels(sources.get(killmail_id, default_source), "created").inc()
    for killmail_id in result.duplicates:
        INGESTED.labels(sources.get(killmail_id, default_source), "duplicate").inc()
    if result.rejected:
        INGESTED.labels(default_source, "rejected").inc(len(result.rejected))
