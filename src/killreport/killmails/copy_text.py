"""Rows as PostgreSQL COPY text, formatted where the batch is prepared, not where it is written.

An import's preparer processes lay out each batch in this form, so the writing process
only streams bytes to the server. Values are spelled as psycopg's text dumpers spell
them (the live path's COPY), so both store exactly the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPES)


def _time(value: datetime) -> str:
    return value.isoformat(sep=" ")


def _bool(value: bool) -> str:
    return "t" if value else "f"


_FORMAT: dict[type, Callable[[Any], str]] = {
    int: str,
    float: repr,
    bool: _bool,
    str: _text,
    type(None): lambda _value: NULL,
    datetime: _time,
}


def copy_line(row: Sequence[Any]) -> str:
    """One row as a line of COPY text (tab-separated, \\N for NULL, newline-terminated)."""
    fmt = _FORMAT
    return "\t".join([fmt[type(value)](value) for value in row]) + "\n"


def copy_lines(rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as COPY text."""
    fmt = _FORMAT
    return "".join(
        ["\t".join([fmt[type(value)](value) for value in row]) + "\n" for row in rows]
    ).encode()


@dataclass(slots=True)
class CopyText:
    """A prepared batch's rows as COPY text, per killmail in storage order.

    `killmails[i]` is killmail i's line without its first two columns (sequence and time
    of storing, given when the batch is stored); `attackers[i]`/`items[i]` its lines.
    """

    killmails: list[bytes]
    attackers: list[bytes]
    items: list[bytes]

    def killmail_lines(self, keep: Sequence[int], sequences: range, stored_at: datetime) -> bytes:
        """The kept killmails' lines with their sequences and time of storing in front."""
        now = _time(stored_at).encode()
        lines = self.killmails
        return b"".join(
            [b"%d\t%b\t%b" % (seq, now, lines[i]) for i, seq in zip(keep, sequences, strict=True)]
        )
