"""The reader of `killreport import`, a process of its own: decompress and split into batches.

It reads the files in order (bz2, tar, gzip, JSON Lines, JSON dumps), cuts the documents
into batches and deals them round-robin to the preparer processes, which parse and lay
them out in parallel. Started with a bare interpreter, it imports only the archive
readers: no parser, no database, no CLI.
"""

from __future__ import annotations

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
from typing import Any

from killreport.jobs.archives import ArchiveError, open_documents

logger = logging.getLogger(__name__)

# Killmails per transaction unless the caller says otherwise.
DEFAULT_BATCH_SIZE = 1000
# Allocations between young-generation collections while importing (default 700).
GC_THRESHOLD = 100_000

# (origin, raw JSON bytes or None, decoded document or None): a Document, cheap to pickle.
RawDocument = tuple[str, bytes | None, Any]


class ReaderFailed(RuntimeError):
    """A reader or preparer stopped for a reason other than its input (its message says why)."""


@dataclass(frozen=True, slots=True)
class RawBatch:
    """Documents of one batch as read, and how many file bytes were read by its end."""

    documents: list[RawDocument]
    bytes_read: int


@dataclass(frozen=True, slots=True)
class ReaderJob:
    """What the reader process is asked to do."""

    paths: tuple[str, ...]
    batch_size: int

    def to_argument(self) -> str:
        """The job as one command-line argument."""
        return json.dumps([list(self.paths), self.batch_size])

    @classmethod
    def from_argument(cls, argument: str) -> ReaderJob:
        """The job back from `to_argument`."""
        paths, batch_size = json.loads(argument)
        return cls(tuple(paths), int(batch_size))


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


def batches(paths: Sequence[Path], batch_size: int) -> Iterator[RawBatch]:
    """The documents of the files, in order, `batch_size` at a time."""
    offset = 0
    for path in paths:
        reader, documents = open_documents(path)
        batch: list[RawDocument] = []
        try:
            for document in documents:
                batch.append((document.origin, document.raw, document.decoded))
                if len(batch) >= batch_size:
                    yield RawBatch(batch, offset + reader.bytes_read)
                    batch = []
        finally:
            reader.close()
        offset += reader.bytes_read
        if batch:
            yield RawBatch(batch, offset)


def run(job: ReaderJob, outs: Sequence[Connection]) -> None:
    """Deal the job's batches round-robin to `outs`, then None to each (or the error in turn)."""
    turn = 0
    try:
        with few_collections():
            for batch in batches([Path(path) for path in job.paths], job.batch_size):
                outs[turn].send(batch)
                turn = (turn + 1) % len(outs)
        for offset in range(len(outs)):
            outs[(turn + offset) % len(outs)].send(None)
    except BrokenPipeError:
        # The importing process is gone (killed, or stopped on an error): nobody to tell.
        logger.info("import reader stops: a preparer closed its pipe")
    except (ArchiveError, OSError, EOFError, tarfile.TarError) as exc:
        # The error takes the place of the next batch, so the importer sees it in order.
        outs[turn].send(ArchiveError(f"{type(exc).__name__}: {exc}"))
    except Exception as exc:
        logger.exception("import reader failed")
        outs[turn].send(ReaderFailed(f"{type(exc).__name__}: {exc}"))
    finally:
        for out in outs:
            out.close()


def main() -> None:
    """Entry of the reader process: `python -c ... JOB_JSON WRITE_FD...`."""
    job = ReaderJob.from_argument(sys.argv[1])
    run(job, [Connection(int(fd), readable=False) for fd in sys.argv[2:]])
