"""ISK values of a killmail, frozen at ingest: zKillboard's when the source has them, else ours.

Our values follow zKillboard's pricing rules (`classes/Price.php`, anchors §1.1): the
market price of the kill's day (the nearest stored day when that day is missing),
blueprint copies (singleton 2), SKINs (category 91) and the frigate escape bay 0.01 ISK;
destroyed and dropped quantities are valued separately and container contents count.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from killreport.killmails.models import ItemLine, ParsedKillmail, Valuation
from killreport.universe.static import StaticUniverse

TOKEN_PRICE = 0.01
SKIN_CATEGORY_ID = 91
BLUEPRINT_COPY_SINGLETON = 2
FRIGATE_ESCAPE_BAY_FLAG = 179

# Slots whose contents are the fit (low, mid, high, rigs, subsystems, structure services),
# plus drone bay, implants, fighter bay and tubes and structure fuel, as zKillboard counts
# for fittedValue.
FITTED_FLAGS = frozenset(
    [
        *range(11, 35),
        *range(92, 100),
        *range(125, 133),
        *range(164, 172),
        *(87, 89, 158, 159, 160, 161, 162, 163, 172),
    ]
)


@dataclass
class PriceBook:
    """Daily prices per type; `price` picks the kill's day or the nearest stored day."""

    _days: dict[int, list[date]] = field(default_factory=dict)
    _prices: dict[int, list[float]] = field(default_factory=dict)
    # Answers given so far: a batch asks for the same types on the same days again and again.
    _answers: dict[tuple[int, date], float | None] = field(default_factory=dict)

    def add(self, type_id: int, day: date, price: float) -> None:
        """Record the price of a type on a day (rows may come in any order)."""
        self._answers.clear()
        days = self._days.setdefault(type_id, [])
        prices = self._prices.setdefault(type_id, [])
        index = bisect.bisect_left(days, day)
        if index < len(days) and days[index] == day:
            prices[index] = price
            return
        days.insert(index, day)
        prices.insert(index, price)

    def price(self, type_id: int, day: date) -> float | None:
        """The price on `day`, else the latest before it, else the earliest after it."""
        key = (type_id, day)
        if key in self._answers:
            return self._answers[key]
        days = self._days.get(type_id)
        if not days:
            found = None
        else:
            index = bisect.bisect_right(days, day)
            found = self._prices[type_id][index - 1 if index else 0]
        self._answers[key] = found
        return found

    def known(self, type_id: int) -> bool:
        """True when the book has any price for the type."""
        return type_id in self._days

    def __len__(self) -> int:
        return len(self._days)


FlatItems = list[tuple[int, int | None, ItemLine]]


def flat_items(items: Iterable[ItemLine]) -> FlatItems:
    """Depth-first (position, parent position, item): the order items are stored in."""
    flat: FlatItems = []
    append = flat.append

    def walk(lines: Iterable[ItemLine], parent: int | None) -> None:
        for line in lines:
            here = len(flat)
            append((here, parent, line))
            if line.items:
                walk(line.items, here)

    walk(items, None)
    return flat


def flatten_items(items: Iterable[ItemLine]) -> Iterator[tuple[int, int | None, ItemLine]]:
    """Depth-first (position, parent position, item): the order items are stored in."""
    return iter(flat_items(items))


# The static snapshot is one per process, so "is this type a SKIN" is remembered per type id.
_skin_types: dict[int, bool] = {}


def is_skin(type_id: int, universe: StaticUniverse) -> bool:
    """True when the type is in the SKINs category."""
    found = _skin_types.get(type_id)
    if found is None:
        found = _skin_types[type_id] = universe.category_of_type(type_id) == SKIN_CATEGORY_ID
    return found


def unit_price(
    type_id: int, singleton: int, flag: int, day: date, book: PriceBook, universe: StaticUniverse
) -> float | None:
    """The price of one unit of an item line under zKillboard's rules; None when unknown."""
    if singleton == BLUEPRINT_COPY_SINGLETON or flag == FRIGATE_ESCAPE_BAY_FLAG:
        return TOKEN_PRICE
    if is_skin(type_id, universe):
        return TOKEN_PRICE
    return book.price(type_id, day)


def value(
    killmail: ParsedKillmail,
    book: PriceBook,
    universe: StaticUniverse,
    flat: FlatItems | None = None,
) -> Valuation:
    """Value the killmail: zkb values when present, else ours from the price book.

    `flat` is the killmail's `flatten_items` when the caller has it already.
    """
    day = killmail.killmail_time.date()
    ship_price = book.price(killmail.victim.ship_type_id, day)
    priced = ship_price is not None
    unpriced = ship_price is None
    destroyed = ship_price or 0.0
    dropped = 0.0
    fitted = ship_price or 0.0
    unit_values: list[float | None] = []
    if flat is None:
        flat = flat_items(killmail.victim.items)
    # Item lines repeat types; the market price of a type is the same for the whole kill.
    market: dict[int, float | None] = {}
    for _position, parent, line in flat:
        type_id = line.item_type_id
        if line.singleton == BLUEPRINT_COPY_SINGLETON or line.flag == FRIGATE_ESCAPE_BAY_FLAG:
            price: float | None = TOKEN_PRICE
        elif type_id in market:
            price = market[type_id]
        else:
            price = market[type_id] = unit_price(type_id, 0, 0, day, book, universe)
        unit_values.append(price)
        if price is None:
            unpriced = True
            continue
        priced = True
        lost = price * (line.quantity_destroyed or 0)
        left = price * (line.quantity_dropped or 0)
        destroyed += lost
        dropped += left
        if parent is None and line.flag in FITTED_FLAGS:
            fitted += lost + left
    zkb = killmail.zkb
    if zkb is not None and zkb.total_value is not None:
        return Valuation(
            fitted_value=zkb.fitted_value,
            dropped_value=zkb.dropped_value,
            destroyed_value=zkb.destroyed_value,
            total_value=zkb.total_value,
            value_source="zkb",
            unit_values=tuple(unit_values),
        )
    if not priced:
        return Valuation(None, None, None, None, "none", tuple(unit_values))
    return Valuation(
        fitted_value=round(fitted, 2),
        dropped_value=round(dropped, 2),
        destroyed_value=round(destroyed, 2),
        total_value=round(destroyed + dropped, 2),
        value_source="partial" if unpriced else "market",
        unit_values=tuple(unit_values),
    )
