"""The reader side of `killreport import`, a process of its own: read, parse, prepare.

It decompresses the files, parses each document, values and lays out each batch
(`rows.prepare`, with prices read from the database) and sends the batches through a
pipe; the importing process writes them meanwhile. It is started with a bare
interpreter, so it imports only what it needs (not the CLI).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sys
import tarfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from killreport.db.engine import Database
from killreport.jobs.archives import ArchiveError, Document, open_documents
from killreport.killmails.models import ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, parse_envelope, parse_json
from killreport.killmails.repository import load_prices
from killreport.killmails.rows import PreparedBatch, prepare
from killreport.killmails.service import price_keys, unique
from killreport.universe.static import StaticUniverse, load_static

logger = logging.getLogger(__name__)

# Allocations between young-generation collections while importing (default 700).
GC_THRESHOLD = 100_000


class ReaderFailed(RuntimeError):
    """The reader stopped for a reason other than its input (its message says why)."""


@dataclass(frozen=True, slots=True)
class ReaderJob:
    """What the reader process is asked to do."""

    paths: tuple[str, ...]
    batch_size: int
    source: str
    database_url: str

    def to_argument(self) -> str:
        """The job as one command-line argument."""
        return json.dumps([list(self.paths), self.batch_size, self.source, self.database_url])

    @classmethod
    def from_argument(cls, argument: str) -> ReaderJob:
        """The job back from `to_argument`."""
        paths, batch_size, source, database_url = json.loads(argument)
        return cls(tuple(paths), int(batch_size), str(source), str(database_url))


@dataclass(slots=True)
class Prepared:
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
def few_collections() -> Iterator[None]:
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
) -> Prepared:
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
    async with database.reading() as session:
        book = await load_prices(session, type_ids, days)
    prepared = prepare(batch, book, universe, sqlite=database.is_sqlite)
    return Prepared(prepared, duplicates, rejected, bytes_read)


async def _prepare_all(
    paths: Sequence[Path], batch_size: int, source: str, database_url: str, out: Connection
) -> None:
    universe = load_static()
    database = Database.from_url(database_url)
    try:
        with few_collections():
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


def run(job: ReaderJob, out: Connection) -> None:
    """Read, parse and prepare the job's batches; send each, then None (or the error)."""
    paths = [Path(path) for path in job.paths]
    try:
        asyncio.run(_prepare_all(paths, job.batch_size, job.source, job.database_url, out))
    except BrokenPipeError:
        # The importing process is gone (killed, or stopped on an error): nobody to tell.
        logger.info("import reader stops: the importing process closed the pipe")
    except (ArchiveError, OSError, EOFError, tarfile.TarError) as exc:
        out.send(ArchiveError(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:
        logger.exception("import reader failed")
        out.send(ReaderFailed(f"{type(exc).__name__}: {exc}"))
    finally:
        out.close()


def main() -> None:
    """Entry of the reader process: `python -c ... JOB_JSON WRITE_FD`."""
    job = ReaderJob.from_argument(sys.argv[1])
    run(job, Connection(int(sys.argv[2]), readable=False))
