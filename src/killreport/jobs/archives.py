"""Stream killmail documents out of archive files in constant memory.

Formats: EVE Ref daily archives (`killmails-YYYY-MM-DD.tar.bz2`, one ESI body with
`killmail_hash` per member), zKillboard raw daily dumps (one JSON array, or an object
keyed by killmail id), and JSON Lines; each optionally gzip or bzip2 compressed.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

CHUNK_BYTES = 1 << 20
_decoder = json.JSONDecoder()


class ArchiveError(ValueError):
    """A file is not in a format `killreport import` reads."""


@dataclass(frozen=True, slots=True)
class Document:
    """One killmail document: raw JSON bytes, or an already decoded object; where it came from."""

    origin: str
    raw: bytes | None = None
    decoded: Any = None


class CountingReader(io.RawIOBase):
    """A binary file wrapper that counts the (compressed) bytes read, for progress."""

    def __init__(self, inner: IO[bytes]) -> None:
        super().__init__()
        self._inner = inner
        self.bytes_read = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into `buffer` and count."""
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)

    def close(self) -> None:
        """Close the wrapped file."""
        self._inner.close()
        super().close()


def _decompressed(path: Path, raw: CountingReader) -> IO[bytes]:
    name = path.name.lower()
    stream = cast(IO[bytes], io.BufferedReader(raw, CHUNK_BYTES))
    if name.endswith(".gz"):
        return cast(IO[bytes], gzip.GzipFile(fileobj=stream))
    if name.endswith(".bz2"):
        return cast(IO[bytes], bz2.BZ2File(stream))
    return stream


def _base_name(path: Path) -> str:
    name = path.name.lower()
    for suffix in (".gz", ".bz2"):
        name = name.removesuffix(suffix)
    return name


def kind_of(path: Path) -> str:
    """`tar`, `jsonl` or `json` from the file name; ArchiveError otherwise."""
    base = _base_name(path)
    if base.endswith(".tar") or path.name.lower().endswith((".tgz", ".tbz2")):
        return "tar"
    if base.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if base.endswith(".json"):
        return "json"
    raise ArchiveError(
        f"{path}: unknown format (expected .tar.bz2, .jsonl[.gz|.bz2] or .json[.gz|.bz2])"
    )


def _tar_documents(path: Path, raw: CountingReader) -> Iterator[Document]:
    # Streaming mode ("r|*"): members are read in order and never all held at once.
    buffered = io.BufferedReader(raw, CHUNK_BYTES)
    with tarfile.open(fileobj=buffered, mode="r|*") as archive:
        for member in archive:
            if not member.isfile() or not member.name.endswith(".json"):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                continue
            yield Document(origin=f"{path.name}:{member.name}", raw=handle.read())
            # Streaming mode still appends every member's header to `members`: 200,000
            # killmails would keep ~90 MB of them. Iteration reads the next header anyway.
            archive.members = []  # type: ignore[attr-defined]  # (not in typeshed)


def _jsonl_documents(path: Path, stream: IO[bytes]) -> Iterator[Document]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield Document(origin=f"{path.name}:{number}", raw=line)


def _skip_space(buffer: str, index: int) -> int:
    while index < len(buffer) and buffer[index] in " \t\r\n":
        index += 1
    return index


def _json_documents(path: Path, stream: IO[bytes]) -> Iterator[Document]:
    """Elements of one top-level JSON array or object, decoded one at a time."""
    text_stream = _text_chunks(stream)
    buffer = ""
    index = 0
    exhausted = False

    def fill() -> bool:
        nonlocal buffer, index, exhausted
        chunk = next(text_stream, None)
        if chunk is None:
            exhausted = True
            return False
        buffer = buffer[index:] + chunk
        index = 0
        return True

    def decode() -> Any:
        nonlocal index
        while True:
            index = _skip_space(buffer, index)
            try:
                value, end = _decoder.raw_decode(buffer, index)
            except json.JSONDecodeError as exc:
                if exhausted or not fill():
                    raise ArchiveError(f"{path}: bad JSON near character {index}: {exc}") from exc
                continue
            index = end
            return value

    def punctuation() -> str:
        nonlocal index
        while True:
            index = _skip_space(buffer, index)
            if index < len(buffer):
                char = buffer[index]
                index += 1
                return char
            if not fill():
                return ""

    opening = punctuation()
    if opening not in "[{" or not opening:
        raise ArchiveError(f"{path}: expected a JSON array or object of killmails")
    closing = "]" if opening == "[" else "}"
    position = 0
    while True:
        index = _skip_space(buffer, index)
        if index >= len(buffer) and not fill():
            raise ArchiveError(f"{path}: the JSON ends before its closing {closing}")
        if buffer[index] == closing:
            return
        key = decode() if opening == "{" else None
        if key is not None and punctuation() != ":":
            raise ArchiveError(f"{path}: expected ':' after key {key!r}")
        value = decode()
        position += 1
        origin = f"{path.name}:{key if key is not None else position}"
        yield Document(origin=origin, decoded=value)
        separator = punctuation()
        if separator == closing:
            return
        if separator != ",":
            raise ArchiveError(f"{path}: expected ',' or {closing!r} after element {position}")


def _text_chunks(stream: IO[bytes]) -> Iterator[str]:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        data = stream.read(CHUNK_BYTES)
        if not data:
            tail = decoder.decode(b"", final=True)
            if tail:
                yield tail
            return
        yield decoder.decode(data)


def open_documents(path: Path) -> tuple[CountingReader, Iterator[Document]]:
    """The counting reader of a file and its documents, in file order."""
    kind = kind_of(path)
    raw = CountingReader(path.open("rb"))
    if kind == "tar":
        return raw, _tar_documents(path, raw)
    stream = _decompressed(path, raw)
    if kind == "jsonl":
        return raw, _jsonl_documents(path, stream)
    return raw, _json_documents(path, stream)
