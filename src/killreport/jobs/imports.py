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
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from killreport.bus.protocol import MessageBus
from killreport.db.engine import Database
from killreport.events.hub import EventHub
from killreport.jobs.archives import open_documents
from killreport.jobs.reader import (
    Prepared,
    ReaderFailed,
    ReaderJob,
    few_collections,
    parse_document,
)
from killreport.jobs.scan import MissingPublisher
from killreport.killmails.models import Rejection
from killreport.killmails.repository import (
    create_secondary_indexes,
    drop_secondary_indexes,
    is_empty,
)
from killreport.killmails.service import ingest_prepared

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 1000
MAX_REJECTION_EXAMPLES = 20
READER_MAIN = "from killreport.jobs.reader import main; main()"
READER_EXIT_TIMEOUT_S = 5.0

__all__ = ["ImportFailed", "ImportSummary", "import_paths", "parse_document", "total_bytes"]


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
    # Time spent waiting for the reader's next batch (the pipeline's balance).
    reader_wait_s: float = 0.0

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
    # A bare interpreter (not multiprocessing's spawn, which re-imports the CLI) keeps
    # its memory small; the pipe holds one batch at a time.
    read_fd, write_fd = os.pipe()
    job = ReaderJob(
        tuple(str(path) for path in paths),
        batch_size,
        source,
        database.engine.url.render_as_string(hide_password=False),
    )
    reader = await asyncio.create_subprocess_exec(
        sys.executable, "-c", READER_MAIN, job.to_argument(), str(write_fd), pass_fds=(write_fd,)
    )
    os.close(write_fd)
    receiver = Connection(read_fd, writable=False)
    try:
        with few_collections():
            while True:
                waiting = time.perf_counter()
                try:
                    item = await asyncio.to_thread(receiver.recv)
                except EOFError as exc:
                    raise ImportFailed(
                        f"the import reader stopped (exit code {reader.returncode})"
                    ) from exc
                if item is None:
                    break
                if isinstance(item, ReaderFailed):
                    raise ImportFailed(str(item)) from item
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Prepared)
                summary.reader_wait_s += time.perf_counter() - waiting
                await _ingest(database, events, publisher, item, check_missing, summary)
                if progress is not None:
                    progress(summary.seen, item.bytes_read)
    finally:
        receiver.close()
        try:
            await asyncio.wait_for(reader.wait(), READER_EXIT_TIMEOUT_S)
        except TimeoutError:
            reader.kill()
            await reader.wait()
        if without_indexes:
            async with database.connection() as connection:
                await create_secondary_indexes(connection)
    summary.elapsed_s = time.perf_counter() - started
    logger.info(
        "import done: %d new, %d duplicate, %d rejected in %.1f s (%.1f s waiting for the reader)",
        summary.new,
        summary.duplicate,
        summary.rejected,
        summary.elapsed_s,
        summary.reader_wait_s,
    )
    return summary


async def _ingest(
    database: Database,
    events: EventHub | None,
    publisher: MissingPublisher | None,
    item: Prepared,
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
