"""Daily market prices as a `PriceBook`, read with plain SQL that any driver runs.

One query plan for both callers: the ingest service (through SQLAlchemy's connection)
and the import's preparer processes (a bare sqlite3 or psycopg connection, so they never
load SQLAlchemy). Ids go in as one parameter (an array on PostgreSQL, JSON text on
SQLite), days as ISO text on SQLite, where that is how they are stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from killreport.killmails.valuation import PriceBook

# Prices up to this many days before the earliest day asked for still count.
PRICE_LOOKBACK_DAYS = 30

Fetch = Callable[[str, tuple[Any, ...]], Iterable[Sequence[Any]]]

_PRICE = "COALESCE(average_price, adjusted_price)"
_WINDOW = (
    f"SELECT type_id, day, {_PRICE} FROM market_prices WHERE type_id {{ids}} "
    f"AND day >= {{mark}} AND day <= {{mark}} AND {_PRICE} IS NOT NULL"
)
# For types without a price in the window: the nearest day after it, else before it.
_NEAREST = (
    f"SELECT p.type_id, p.day, {_PRICE} FROM market_prices p JOIN ("
    f"SELECT type_id, MIN(day) AS day FROM market_prices WHERE type_id {{ids}} "
    f"AND day > {{mark}} AND {_PRICE} IS NOT NULL GROUP BY type_id "
    f"UNION ALL SELECT type_id, MAX(day) AS day FROM market_prices WHERE type_id {{ids}} "
    f"AND day < {{mark}} AND {_PRICE} IS NOT NULL GROUP BY type_id"
    f") n ON n.type_id = p.type_id AND n.day = p.day"
)


def _statement(template: str, sqlite: bool) -> str:
    if sqlite:
        return template.format(ids="IN (SELECT value FROM json_each(?))", mark="?")
    return template.format(ids="= ANY(%s)", mark="%s")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_price_book(
    fetch: Fetch, *, sqlite: bool, type_ids: Iterable[int], days: Iterable[date]
) -> PriceBook:
    """Prices of these types around these days (plus the nearest day for types without one)."""
    book = PriceBook()
    wanted = sorted(set(type_ids))
    day_list = sorted(set(days))
    if not wanted or not day_list:
        return book
    low, high = day_list[0] - timedelta(days=PRICE_LOOKBACK_DAYS), day_list[-1]

    def ids(values: list[int]) -> Any:
        return json.dumps(values) if sqlite else values

    def when(value: date) -> Any:
        return value.isoformat() if sqlite else value

    for type_id, day, amount in fetch(
        _statement(_WINDOW, sqlite), (ids(wanted), when(low), when(high))
    ):
        book.add(int(type_id), _day(day), float(amount))
    missing = [t for t in wanted if not book.known(t)]
    if missing:
        nearest = _statement(_NEAREST, sqlite)
        for type_id, day, amount in fetch(
            nearest, (ids(missing), when(high), ids(missing), when(low))
        ):
            book.add(int(type_id), _day(day), float(amount))
    return book
