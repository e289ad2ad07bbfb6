"""How one stored column is read from an ESI body, across compatibility-date shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def to_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from an ESI date-time string (or a datetime)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_float(value: Any) -> float | None:
    """A float, or None."""
    return None if value is None else float(value)


def to_int(value: Any) -> int | None:
    """An int, or None."""
    return None if value is None else int(value)


def percent_to_fraction(value: Any) -> float | None:
    """A fraction from a percentage (ESI's 2026-07-21 tax_rates.isk is 0-100)."""
    return None if value is None else float(value) / 100.0


def to_bool(value: Any) -> bool | None:
    """A bool, or None."""
    return None if value is None else bool(value)


_MISSING = object()


def _lookup(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING
        value = value[key]
    return value


@dataclass(frozen=True, slots=True)
class Field:
    """A column and the body paths it may come from; the first path present wins."""

    column: str
    paths: tuple[tuple[str, ...], ...]
    convert: Convert = _same
    # Per-path conversions that replace `convert` (a unit that changed between shapes).
    path_converts: tuple[Convert | None, ...] = ()

    def read(self, body: Mapping[str, Any]) -> Any:
        """The column's value in `body`: the first path present and not null, else None."""
        for index, path in enumerate(self.paths):
            value = _lookup(body, path)
            if value is not _MISSING and value is not None:
                special = self.path_converts[index] if index < len(self.path_converts) else None
                return (special or self.convert)(value)
        return None


def field(column: str, *alternatives: str | tuple[str, Convert], convert: Convert = _same) -> Field:
    """A Field read from dotted paths (default: the column's own name); a (path, convert)
    pair converts that path's value its own way."""
    names = alternatives or (column,)
    paths = tuple(tuple((n if isinstance(n, str) else n[0]).split(".")) for n in names)
    converts = tuple(None if isinstance(n, str) else n[1] for n in names)
    return Field(column, paths, convert, converts)
