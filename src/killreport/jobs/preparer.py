"""The preparers of `killreport import`, processes of their own: parse, value and lay out.

Each takes the reader's batches dealt to it, parses every document, reads the prices
the batch needs (a bare sqlite3 or psycopg connection), values, derives and lays out the
rows (`rows.prepare`; COPY text on PostgreSQL) and sends the batch to the importing
process, which only writes. Several run at once, so parsing is never what the database
waits for. Started with a bare interpreter: no SQLAlchemy, no CLI.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from killreport.jobs.archives import Document
from killreport.jobs.reader import RawBatch, ReaderFailed, few_collections
from killreport.killmails.models import ParsedKillmail, Rejection
from killreport.killmails.parse import KillmailRejected, parse_envelope, parse_json
from killreport.killmails.prices import Fetch, load_price_book
from killreport.killmails.rows import PreparedBatch, prepare, price_keys, unique
from killreport.universe.static import StaticUniverse, load_ingest_static

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PreparerJob:
    """What a preparer process is asked to do."""

    source: str
    database_url: str

    def to_argument(self) -> str:
        """The job as one command-line argument."""
        return json.dumps([self.source, self.database_url])

    @classmethod
    def from_argument(cls, argument: str) -> PreparerJob:
        """The job back from `to_argument`."""
        source, database_url = json.loads(argument)
        return cls(str(source), str(database_url))

    @property
    def sqlite(self) -> bool:
        """True for an SQLite database."""
        return self.database_url.startswith("sqlite")


@dataclass(slots=True)
class Prepared:
    """One batch as a preparer sends it."""

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


def prepare_batch(
    raw: RawBatch, source: str, fetch: Fetch, universe: StaticUniverse, *, sqlite: bool
) -> Prepared:
    """Parse, value and lay out one batch (prices read through `fetch`)."""
    killmails: list[ParsedKillmail] = []
    rejected: list[Rejection] = []
    for origin, data, decoded in raw.documents:
        parsed = parse_document(Document(origin, data, decoded), source)
        if isinstance(parsed, Rejection):
            rejected.append(parsed)
        else:
            killmails.append(parsed)
    batch, duplicates = unique(killmails)
    type_ids, days = price_keys(batch)
    book = load_price_book(fetch, sqlite=sqlite, type_ids=type_ids, days=days)
    prepared = prepare(batch, book, universe, sqlite=sqlite, text=not sqlite)
    return Prepared(prepared, duplicates, rejected, raw.bytes_read)


def _connect(url: str) -> tuple[Any, Callable[[], None]]:
    """A read connection for prices, and how to close it."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split("///", 1)[1])
        return connection, connection.close
    import psycopg

    pg = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return pg, pg.close


def run(job: PreparerJob, source: Connection, out: Connection) -> None:
    """Prepare each batch from `source` and send it to `out`, until None (or an error)."""
    connection, close = _connect(job.database_url)

    def fetch(statement: str, parameters: tuple[Any, ...]) -> list[Any]:
        return list(connection.execute(statement, parameters).fetchall())

    universe = load_ingest_static()
    try:
        with few_collections(), closing(source):
            while True:
                try:
                    item = source.recv()
                except EOFError:
                    return  # the reader stopped early (its error went to another preparer)
                if not isinstance(item, RawBatch):
                    out.send(item)  # the end (None) or the reader's error, in turn
                    return
                out.send(prepare_batch(item, job.source, fetch, universe, sqlite=job.sqlite))
    except BrokenPipeError:
        logger.info("import preparer stops: the importing process closed the pipe")
    except Exception as exc:
        logger.exception("import preparer failed")
        out.send(ReaderFailed(f"{type(exc).__name__}: {exc}"))
    finally:
        close()
        out.close()


def main() -> None:
    """Entry of a preparer process: `python -c ... JOB_JSON READ_FD WRITE_FD`."""
    job = PreparerJob.from_argument(sys.argv[1])
    source = Connection(int(sys.argv[2]), writable=False)
    run(job, source, Connection(int(sys.argv[3]), readable=False))
