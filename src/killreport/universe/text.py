"""Case-insensitive name matching over folded columns, so each dialect's index serves it.

Folded columns hold the database's `lower(name)`; the searched text is folded by the
same `lower()` in SQL, so both sides agree on every character. PostgreSQL matches with
LIKE, served by the pg_trgm GIN index; SQLite matches prefixes as a range over the
B-tree (its LIKE ignores such an index) and substrings with instr().
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal
from sqlalchemy.ext.asyncio import AsyncSession

# Above every character a name can hold: the end of a prefix range.
_TOP_CHARACTER = "\U0010ffff"


def _postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def like_escaped(text: str) -> str:
    """Text with LIKE's wildcards and escape character escaped (escape is backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def folded(text: str) -> Any:
    """The text folded by the database's lower(), as a bound expression."""
    return func.lower(literal(text))


def equals(session: AsyncSession, column: Any, text: str) -> ColumnElement[bool]:
    """The folded column equals the folded text."""
    return column == folded(text)  # type: ignore[no-any-return]


def starts_with(session: AsyncSession, column: Any, text: str) -> ColumnElement[bool]:
    """The folded column starts with the folded text."""
    if _postgresql(session):
        return column.like(func.lower(literal(like_escaped(text) + "%")), escape="\\")  # type: ignore[no-any-return]
    low = folded(text)
    return and_(column >= low, column < low.concat(_TOP_CHARACTER))


def contains(session: AsyncSession, column: Any, text: str) -> ColumnElement[bool]:
    """The folded column holds the folded text anywhere."""
    if _postgresql(session):
        pattern = "%" + like_escaped(text) + "%"
        return column.like(func.lower(literal(pattern)), escape="\\")  # type: ignore[no-any-return]
    return func.instr(column, folded(text)) > 0
