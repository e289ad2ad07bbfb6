"""`killreport import`: archive files through the one ingest path, in constant memory.

Processes make a pipeline: the reader decompresses and deals batches of documents
round-robin to `preparers` processes, which parse, value and lay out each batch
(`rows.prepare`, prices read from the database; COPY text on PostgreSQL) while this
process writes them in the reader's order (`service.ingest_prepared`: duplicates,
sequences, rows, counters in one transaction), so only the database is waited for.
Each pipe carries one batch at a time, which caps memory. A restart after a crash
simply reads the files again: stored killmails are duplicates, no-ops.

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
from killreport.jobs.preparer import Prepared, PreparerJob, parse_document
from killreport.jobs.reader import DEFAULT_BATCH_SIZE, ReaderFailed, ReaderJob, few_collections
from killreport.jobs.scan import MissingPublisher
from killreport.killmails import bulk as bulk_load
from killreport.killmails.models import Rejection
from killreport.killmails.service import ingest_prepared

logger = logging.getLogger(__name__)

MAX_REJECTION_EXAMPLES = 20
# Preparer processes: parsing and layout take about as long as the database's writing,
# so two keep a two-core machine's database busy (more only add memory).
DEFAULT_PREPARERS = 2
READER_MAIN = "from killreport.jobs.reader import main; main()"
PREPARER_MAIN = "from killreport.jobs.preparer import main; main()"
READER_EXIT_TIMEOUT_S = 5.0

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "ImportFailed",
    "ImportSummary",
    "import_paths",
    "parse_document",
    "total_bytes",
]


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
    preparers: int = DEFAULT_PREPARERS,
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
        cut_short = await bulk_load.unfinished(connection)
    if cut_short:
        logger.warning("a bulk import was cut short: rebuilding its counters, keys and indexes")
        await _finish_bulk(database)
    async with database.connection() as connection:
        without_indexes = bulk and await bulk_load.is_empty(connection)
        if without_indexes:
            logger.info("bulk import: indexes, keys and counters wait until the load ends")
            await bulk_load.drop_for_bulk(connection)
    # Processes, not threads: parsing would fight the writer for the GIL. Bare
    # interpreters (not multiprocessing's spawn, which re-imports the CLI) keep their
    # memory small; each pipe holds one batch at a time.
    children, receivers = await _start_pipeline(database, paths, batch_size, source, preparers)
    try:
        with few_collections():
            turn = 0
            while True:
                waiting = time.perf_counter()
                item = await _next(receivers[turn], children)
                turn = (turn + 1) % len(receivers)
                if item is None:
                    break
                summary.reader_wait_s += time.perf_counter() - waiting
                await _ingest(
                    database, events, publisher, item, check_missing, summary, not without_indexes
                )
                if progress is not None:
                    progress(summary.seen, item.bytes_read)
    finally:
        for receiver in receivers:
            receiver.close()
        await _stop(children)
        if without_indexes:
            await _finish_bulk(database)
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


Child = asyncio.subprocess.Process


async def _start_pipeline(
    database: Database, paths: Sequence[Path], batch_size: int, source: str, preparers: int
) -> tuple[list[Child], list[Connection]]:
    """Start the reader and the preparers; the receiving ends of the preparers' pipes."""
    url = database.engine.url.render_as_string(hide_password=False)
    job = PreparerJob(source, url).to_argument()
    children: list[Child] = []
    receivers: list[Connection] = []
    reader_ends: list[int] = []
    for _ in range(max(1, preparers)):
        batch_read, batch_write = os.pipe()
        result_read, result_write = os.pipe()
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            PREPARER_MAIN,
            job,
            str(batch_read),
            str(result_write),
            pass_fds=(batch_read, result_write),
        )
        os.close(batch_read)
        os.close(result_write)
        children.append(child)
        reader_ends.append(batch_write)
        receivers.append(Connection(result_read, writable=False))
    reader_job = ReaderJob(tuple(str(path) for path in paths), batch_size).to_argument()
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        READER_MAIN,
        reader_job,
        *(str(fd) for fd in reader_ends),
        pass_fds=tuple(reader_ends),
    )
    for fd in reader_ends:
        os.close(fd)
    return [reader, *children], receivers


async def _next(receiver: Connection, children: Sequence[Child]) -> Prepared | None:
    """The next prepared batch in turn; None at the end; raises what the pipeline raised."""
    try:
        item = await asyncio.to_thread(receiver.recv)
    except EOFError as exc:
        codes = ", ".join(str(child.returncode) for child in children)
        raise ImportFailed(f"an import process stopped (exit codes {codes})") from exc
    if item is None:
        return None
    if isinstance(item, ReaderFailed):
        raise ImportFailed(str(item)) from item
    if isinstance(item, BaseException):
        raise item
    assert isinstance(item, Prepared)
    return item


async def _stop(children: Sequence[Child]) -> None:
    """Wait for the pipeline's processes to end (they do once their pipes close)."""
    for child in children:
        try:
            await asyncio.wait_for(child.wait(), READER_EXIT_TIMEOUT_S)
        except TimeoutError:
            child.kill()
            await child.wait()


async def _finish_bulk(database: Database) -> None:
    """Counters from the stored rows, then keys and indexes back (see `killmails.bulk`)."""
    started = time.perf_counter()
    async with database.transaction() as session:
        await bulk_load.rebuild_counters(session)
    async with database.connection() as connection:
        await bulk_load.restore(connection)
    logger.info("bulk import finished: counters, keys and indexes in %.1f s",
                time.perf_counter() - started)  # fmt: skip


async def _ingest(
    database: Database,
    events: EventHub | None,
    publisher: MissingPublisher | None,
    item: Prepared,
    check_missing: bool,
    summary: ImportSummary,
    counters: bool,
) -> None:
    result = await ingest_prepared(
        database,
        events,
        item.batch,
        duplicates=item.duplicates,
        rejected=item.rejected,
        check_missing=check_missing,
        counters=counters,
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
