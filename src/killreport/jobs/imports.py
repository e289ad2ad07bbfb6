"""`killreport import`: archive files through the one ingest path, in constant memory.

Two processes make a pipeline: a child decompresses, parses, values and lays out each
batch (`rows.prepare`, prices read from the database) while this process writes the
previous one (`service.ingest_prepared`: duplicates, sequences, rows, counters in one
transaction). The pipe carries one batch at a time, which caps memory. A restart after
a crash simply reads the files again: stored killmails are duplicates, no-ops.

`bulk=True` on an empty database drops the killmail and attacker secondary indexes,
loads, and builds them again (every import first rebuilds any left missing by a crash).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
from killreport.killmails.repository import (
    create_secondary_indexes,
    drop_secondary_indexes,
    is_empty,
    load_prices,
)
from killreport.killmails.rows import PreparedBatch, prepare
from killreport.killmails.service import ingest_prepared, price_keys, unique
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
MAX_REJECTION_EXAMPLES = 20
# Allocations between young-generation collections while importing (default 700).
GC_THRESHOLD = 100_000


class ImportFailed(RuntimeError):
    """The import stopped for a reason other than its input (the reader process failed)."""


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


@dataclass(slots=True)
class _Prepared:
    """One batch as the reader sends it."""

    batch: PreparedBatch
    duplicates: list[int]
    rejected: list[Rejection]
    bytes_read: int


def parse_document(document: Document, source: str) -> ParsedKillmail | Rejection:
    """Parse one document; a rejection names the document and the reason."""
    try:
        if document.raw is not None:
            return parse_json(document.raw, source=source)
        return parse_envelope(document.decoded, source=source)
    except KillmailRejected as exc:
        return Rejection(exc.killmail_id, exc.reason, document.origin)


@contextmanager
def _few_collections() -> Iterator[None]:
    """Fewer cyclic-GC passes while batches of acyclic objects come and go.

    Each batch makes hundreds of thousands of tuples freed by reference counting; the
    default thresholds would walk every live object (the static snapshot too) again and
    again. Objects alive now are frozen out of collection for the duration.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


async def _prepare(
    database: Database,
    universe: StaticUniverse,
    documents: list[Document],
    source: str,
    bytes_read: int,
) -> _Prepared:
    killmails: list[ParsedKillmail] = []
    rejected: list[Rejection] = []
    for document in documents:
        parsed = parse_document(document, source)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
        else:
            killmails.append(parsed)
    batch, duplicates = unique(killmails)
    type_ids, days = price_keys(batch)
    async with database.transaction() as session:
        book = await load_prices(session, type_ids, days)
    prepared = prepare(batch, book, universe, sqlite=database.is_sqlite)
    return _Prepared(prepared, duplicates, rejected, bytes_read)


async def _prepare_all(
    paths: Sequence[Path], batch_size: int, source: str, database_url: str, out: Connection
) -> None:
    universe = load_static()
    database = Database.from_url(database_url)
    try:
        with _few_collections():
            offset = 0
            for path in paths:
                reader, documents = open_documents(path)
                batch: list[Document] = []
                try:
                    for document in documents:
                        batch.append(document)
                        if len(batch) >= batch_size:
                            bytes_read = offset + reader.bytes_read
                            out.send(await _prepare(database, universe, batch, source, bytes_read))
                            batch = []
                finally:
                    reader.close()
                offset += reader.bytes_read
                if batch:
                    out.send(await _prepare(database, universe, batch, source, offset))
        out.send(None)
    finally:
        await database.dispose()


def _read_documents(
    paths: Sequence[Path], batch_size: int, source: str, database_url: str, out: Connection
) -> None:
    """In a child process: read, parse and prepare batches, send each, then None."""
    try:
        asyncio.run(_prepare_all(paths, batch_size, source, database_url, out))
    except (ArchiveError, OSError, EOFError, tarfile.TarError) as exc:
        out.send(ArchiveError(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:
        logger.exception("import reader failed")
        out.send(ImportFailed(f"{type(exc).__name__}: {exc}"))
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
    bulk: bool = False,
) -> ImportSummary:
    """Ingest every killmail of the files; progress(killmails seen, bytes read) per batch.

    `bulk`: when no killmail is stored yet, load without secondary indexes and build
    them at the end (faster for a first big import).
    """
    for path in paths:
        open_documents(path)[0].close()  # fail fast on a missing file or unknown format
    summary = ImportSummary()
    publisher = MissingPublisher(bus) if bus is not None and check_missing else None
    started = time.perf_counter()
    async with database.connection() as connection:
        await create_secondary_indexes(connection)
        without_indexes = bulk and await is_empty(connection)
        if without_indexes:
            logger.info("bulk import: secondary indexes dropped until the load ends")
            await drop_secondary_indexes(connection)
    # The reader is a process, not a thread: parsing would fight the writer for the GIL.
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    url = database.engine.url.render_as_string(hide_password=False)
    reader = context.Process(
        target=_read_documents,
        args=(list(paths), batch_size, source, url, sender),
        name="import-reader",
    )
    reader.start()
    sender.close()
    try:
        with _few_collections():
            while True:
                try:
                    item = await asyncio.to_thread(receiver.recv)
                except EOFError as exc:
                    raise ImportFailed(
                        f"the import reader stopped (exit code {reader.exitcode})"
                    ) from exc
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, _Prepared)
                await _ingest(database, events, publisher, item, check_missing, summary)
                if progress is not None:
                    progress(summary.seen, item.bytes_read)
    finally:
        receiver.close()
        reader.join(timeout=5)
        if reader.is_alive():
            reader.kill()
        if without_indexes:
            async with database.connection() as connection:
                await create_secondary_indexes(connection)
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
    item: _Prepared,
    check_missing: bool,
    summary: ImportSummary,
) -> None:
    result = await ingest_prepared(
        database,
        events,
        item.batch,
        duplicates=item.duplicates,
        rejected=item.rejected,
        check_missing=check_missing,
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
