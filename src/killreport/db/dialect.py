"""Statements that differ by dialect: insert-or-ignore and upsert, for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_for(dialect: str, table: Table) -> Any:
    """An INSERT with the dialect's ON CONFLICT methods."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_ignore(dialect: str, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING."""
    return insert_for(dialect, table).on_conflict_do_nothing()


def upsert(
    dialect: str,
    table: Table,
    *,
    key: Sequence[str],
    update: Iterable[str] | None = None,
) -> Any:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET every non-key column (or the given ones)."""
    stmt = insert_for(dialect, table)
    columns = (
        list(update) if update is not None else [c.name for c in table.columns if c.name not in key]
    )
    if not columns:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={name: stmt.excluded[name] for name in columns},
    )
