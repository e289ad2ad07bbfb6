"""Values from daily market prices: destroyed and dropped apart, containers counted, 0.01 rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from killreport.killmails.parse import parse_envelope, parse_zkb
from killreport.killmails.valuation import PriceBook, flatten_items, value
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus, daily_prices, everef_line


@pytest.fixture(scope="module")
def book() -> PriceBook:
    prices = PriceBook()
    for type_id, day, price, _adjusted in daily_prices():
        prices.add(type_id, day, price)
    return prices


def _parsed(killmail_id: int):
    row = next(r for r in corpus() if r["killmail_id"] == killmail_id)
    return parse_envelope(everef_line(row), source="test")


def test_ship_and_items_are_valued_at_the_kill_days_prices(book: PriceBook) -> None:
    # given 435341 (2008-01-06): a Typhoon at 58,907,033.82 and 14 item lines
    killmail = _parsed(435341)
    # when
    valuation = value(killmail, book, load_static())
    # then destroyed = ship + destroyed quantities, dropped = dropped quantities
    day = date(2008, 1, 6)
    destroyed = book.price(644, day) or 0.0
    dropped = 0.0
    for line in killmail.victim.items:
        price = book.price(line.item_type_id, day) or 0.0
        destroyed += price * (line.quantity_destroyed or 0)
        dropped += price * (line.quantity_dropped or 0)
    assert valuation.value_source == "market"
    assert valuation.destroyed_value == pytest.approx(destroyed, abs=0.01)
    assert valuation.dropped_value == pytest.approx(dropped, abs=0.01)
    assert valuation.total_value == pytest.approx(96_099_900.47, abs=0.01)


def test_blueprint_copies_are_worth_a_hundredth_of_an_isk(book: PriceBook) -> None:
    # given a killmail carrying blueprint copies (singleton 2)
    killmail = _parsed(132046485)
    valuation = value(killmail, book, load_static())
    lines = [line for _position, _parent, line in flatten_items(killmail.victim.items)]
    copies = [i for i, line in enumerate(lines) if line.singleton == 2]
    assert copies
    for index in copies:
        assert valuation.unit_values[index] == 0.01


def test_container_contents_count_towards_the_value(book: PriceBook) -> None:
    killmail = _parsed(19123869)
    with_contents = value(killmail, book, load_static())
    emptied_items = tuple(replace(line, items=()) for line in killmail.victim.items)
    emptied = replace(killmail, victim=replace(killmail.victim, items=emptied_items))
    without = value(emptied, book, load_static())
    assert with_contents.total_value is not None and without.total_value is not None
    assert with_contents.total_value > without.total_value


def test_zkb_values_win_when_the_source_has_them(book: PriceBook) -> None:
    killmail = replace(
        _parsed(435341),
        zkb=parse_zkb(
            {"totalValue": 5.0, "fittedValue": 1.0, "droppedValue": 2.0, "destroyedValue": 3.0}
        ),
    )
    valuation = value(killmail, book, load_static())
    assert (valuation.total_value, valuation.value_source) == (5.0, "zkb")


def test_no_prices_means_no_value() -> None:
    valuation = value(_parsed(435341), PriceBook(), load_static())
    assert (valuation.total_value, valuation.value_source) == (None, "none")


def test_nearest_day_is_used_when_the_kill_day_has_no_price() -> None:
    prices = PriceBook()
    prices.add(34, date(2020, 1, 10), 5.0)
    prices.add(34, date(2020, 1, 1), 4.0)
    assert prices.price(34, date(2020, 1, 5)) == 4.0
    assert prices.price(34, date(2019, 1, 1)) == 4.0
    assert prices.price(34, date(2021, 1, 1)) == 5.0
