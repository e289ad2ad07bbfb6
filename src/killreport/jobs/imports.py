"""`killreport import`: archive files through the one ingest path, in constant memory.

A child process decompresses and sends documents in batches through a pipe (its
buffer caps memory); this process parses and writes them. A restart
after a crash simply reads the files again: stored killmails are duplicates, no-ops.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.events.hub import EventHub
from killreport.jobs.archives import ArchiveError, Document, open_documents
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.models import ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, parse_envelope, parse_json
from killreport.killmails.service import ingest_batch

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
MAX_REJECTION_EXAMPLES = 20

ProgressFn = Callable[[int, int], None]


@dataclass
class ImportSummary:
    """What an import did: new, duplicate, rejected (counted by reason, with examples)."""

    new: int = 0
    duplicate: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    examples: list[Rejection] = field(default_factory=list)
    missing_published: int = 0
    elapsed_s: float = 0.0

    @property
    def seen(self) -> int:
        """Every document read."""
        return self.new + self.duplicate + self.rejected

    def add_rejections(self, rejections: Sequence[Rejection]) -> None:
        """Count rejections by reason (the reason without its field detail) and keep examples."""
        for rejection in rejections:
            self.rejected += 1
            self.reasons[rejection.reason] += 1
            if len(self.examples) < MAX_REJECTION_EXAMPLES:
                self.examples.append(rejection)


@dataclass(frozen=True, slots=True)
class _Batch:
    documents: list[Document]
    bytes_read: int


def parse_document(document: Document, source: str) -> ParsedKillmail | Rejection:
    """Parse one document; a rejection names the document and the reason."""
    try:
        if document.raw is not None:
            return parse_json(document.raw, source=source)
        return parse_envelope(document.decoded, source=source)
    except KillmailRejected as exc:
        return Rejection(exc.killmail_id, exc.reason, document.origin)


def _read_documents(paths: Sequence[Path], batch_size: int, out: Connection) -> None:
    """In a child process: decompress and send documents in batches, then None."""
    offset = 0
    try:
        for path in paths:
            reader, documents = open_documents(path)
            batch: list[Document] = []
            try:
                for document in documents:
                    batch.append(document)
                    if len(batch) >= batch_size:
                        out.send(_Batch(batch, offset + reader.bytes_read))
                        batch = []
            finally:
                reader.close()
            offset += reader.bytes_read
            if batch:
                out.send(_Batch(batch, offset))
        out.send(None)
    except (ArchiveError, OSError, EOFError, tarfile.TarError) as exc:
        out.send(ArchiveError(f"{type(exc).__name__}: {exc}"))
    finally:
        out.close()


def total_bytes(paths: Sequence[Path]) -> int:
    """The size of the files on disk, for the progress bar's total."""
    return sum(path.stat().st_size for path in paths)


async def import_paths(
    database: Database,
    events: EventHub | None,
    bus: MessageBus | None,
    paths: Sequence[Path],
    *,
    source: str = "import",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: ProgressFn | None = None,
    check_missing: bool = True,
) -> ImportSummary:
    """Ingest every killmail of the files; progress(killmails seen, bytes read) per batch."""
    for path in paths:
        open_documents(path)[0].close()  # fail fast on a missing file or unknown format
    summary = ImportSummary()
    publisher = MissingPublisher(bus) if bus is not None and check_missing else None
    started = time.perf_counter()
    # Decompression runs in a child process: a reader thread would fight the writer for
    # the GIL (sqlite3 and psycopg release and retake it on every row).
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    reader = context.Process(
        target=_read_documents, args=(list(paths), batch_size, sender), name="import-reader"
    )
    reader.start()
    sender.close()
    try:
        while True:
            item = await asyncio.to_thread(receiver.recv)
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, _Batch)
            killmails: list[ParsedKillmail] = []
            rejected: list[Rejection] = []
            for document in item.documents:
                parsed = parse_document(document, source)
                if isinstance(parsed, Rejection):
                    rejected.append(parsed)
                else:
                    killmails.append(parsed)
            await _ingest(database, events, publisher, killmails, rejected, check_missing, summary)
            if progress is not None:
                progress(summary.seen, item.bytes_read)
    finally:
        receiver.close()
        reader.join(timeout=5)
        if reader.is_alive():
            reader.kill()
    summary.elapsed_s = time.perf_counter() - started
    logger.info(
        "import done: %d new, %d duplicate, %d rejected in %.1f s",
        summary.new,
        summary.duplicate,
        summary.rejected,
        summary.elapsed_s,
    )
    return summary


async def _ingest(
    database: Database,
    events: EventHub | None,
    publisher: MissingPublisher | None,
    killmails: list[ParsedKillmail],
    rejected: list[Rejection],
    check_missing: bool,
    summary: ImportSummary,
) -> None:
    result = await ingest_batch(
        database, events, killmails, rejected=rejected, check_missing=check_missing
    )
    summary.new += len(result.created)
    summary.duplicate += len(result.duplicates)
    summary.add_rejections(result.rejected)
    for rejection in result.rejected:
        logger.warning(
            "rejected killmail %s from %s: %s",
            rejection.killmail_id,
            rejection.origin,
            rejection.reason,
        )
    if publisher is not None:
        summary.missing_published += await publisher.publish(result.missing)
