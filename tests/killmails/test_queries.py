"""`list_killmails` under any filter == the in-memory matcher over the same killmails.

Each filter field alone, then random combinations (hypothesis), in every order, walked
page by page through the cursors, on SQLite and on PostgreSQL: the SQL and `matches`
must agree on the set, the order and every page boundary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from killreport.db.engine import Database
from killreport.killmails.detail import KillmailDetail
from killreport.killmails.filters import (
    KillmailFilter,
    KillmailOrder,
    ParticipantFilter,
    SecuritySpace,
)
from killreport.killmails.matcher import matches
from killreport.killmails.queries import (
    BadCursor,
    PageSizeError,
    get_killmails,
    killmail_date_counts,
    killmails_after_sequence,
    latest_sequence,
    list_killmails,
)
from tests.api.served import import_corpus
from tests.killmails.corpus import corpus

# A walk splits its result into this many pages (the last one partial); every boundary of
# that walk is checked, and the page size varies with the result size.
PAGES = (1, 2, 3, 5)


def _order_key(order: KillmailOrder) -> Callable[[KillmailDetail], Any]:
    if order is KillmailOrder.TIME_ASC:
        return lambda k: (k.killmail_time, k.killmail_id)
    if order is KillmailOrder.TIME_DESC:
        return lambda k: (-k.killmail_time.timestamp(), -k.killmail_id)
    return lambda k: (
        (0, -k.total_value, -k.killmail_id) if k.total_value is not None else (1, 0, -k.killmail_id)
    )


async def _walk(
    database: Database, f: KillmailFilter, order: KillmailOrder, pages: int, total: int
) -> list[int]:
    size = min(100, max(1, -(-total // pages)))
    seen: list[int] = []
    after = None
    while True:
        async with database.transaction() as session:
            page = await list_killmails(
                session, f, order=order, first=size, after=after, with_lines=False
            )
        seen.extend(k.killmail_id for k in page.items)
        assert len(page.items) <= size
        if not page.has_next_page:
            return seen
        assert len(page.items) == size and page.end_cursor is not None
        after = page.end_cursor


def _expected(
    everything: list[KillmailDetail], f: KillmailFilter, order: KillmailOrder
) -> list[int]:
    return [
        k.killmail_id
        for k in sorted((k for k in everything if matches(f, k)), key=_order_key(order))
    ]


def _pool(everything: list[KillmailDetail]) -> dict[str, list[Any]]:
    """Values that occur in the corpus, so drawn filters match something."""
    attackers = [a for k in everything for a in k.attackers]

    def ids(values: list[int | None]) -> list[int]:
        return sorted({v for v in values if v is not None})

    def both(victim: str, attacker: str) -> list[int]:
        return ids(
            [getattr(k, victim) for k in everything] + [getattr(a, attacker) for a in attackers]
        )

    return {
        "character_ids": both("victim_character_id", "character_id"),
        "corporation_ids": both("victim_corporation_id", "corporation_id"),
        "alliance_ids": both("victim_alliance_id", "alliance_id"),
        "faction_ids": both("victim_faction_id", "faction_id"),
        "ship_type_ids": both("victim_ship_type_id", "ship_type_id"),
        "ship_group_ids": both("victim_ship_group_id", "ship_group_id"),
        "solar_system_ids": ids([k.solar_system_id for k in everything]),
        "constellation_ids": ids([k.constellation_id for k in everything]),
        "region_ids": ids([k.region_id for k in everything]),
        "values": sorted({k.total_value for k in everything if k.total_value is not None}),
        "attacker_counts": sorted({k.attacker_count for k in everything}),
        "times": sorted({k.killmail_time for k in everything}),
        "labels": sorted({label for k in everything for label in k.labels}),
    }


def _single_field_filters(
    pool: dict[str, list[Any]], everything: list[KillmailDetail]
) -> list[KillmailFilter]:
    """One filter per field (and per participant role and field)."""
    k = everything[len(everything) // 2]
    a = k.attackers[0]
    people = {
        "character_ids": (k.victim_character_id or a.character_id,),
        "corporation_ids": (k.victim_corporation_id or a.corporation_id,),
        "alliance_ids": tuple(pool["alliance_ids"][:3]),
        "faction_ids": tuple(pool["faction_ids"][:2]),
        "ship_type_ids": (k.victim_ship_type_id, a.ship_type_id or 670),
        "ship_group_ids": tuple(pool["ship_group_ids"][:4]),
    }
    filters = [
        KillmailFilter(**{role: ParticipantFilter(**{name: value})})  # type: ignore[arg-type]
        for role in ("victim", "attacker", "involved")
        for name, value in people.items()
    ]
    middle_time = pool["times"][len(pool["times"]) // 2]
    middle_value = pool["values"][len(pool["values"]) // 2]
    filters += [
        KillmailFilter(solar_system_ids=(k.solar_system_id,)),
        KillmailFilter(constellation_ids=tuple(pool["constellation_ids"][:5])),
        KillmailFilter(region_ids=tuple(pool["region_ids"][:5])),
        *(KillmailFilter(security_space=(space,)) for space in SecuritySpace),
        KillmailFilter(min_value=middle_value),
        KillmailFilter(max_value=middle_value),
        KillmailFilter(min_attackers=5),
        KillmailFilter(max_attackers=1),
        KillmailFilter(since=middle_time),
        KillmailFilter(until=middle_time),
        KillmailFilter(solo=True),
        KillmailFilter(npc=True),
        KillmailFilter(awox=False),
        KillmailFilter(labels=("pvp",)),
        KillmailFilter(labels=("solo", "pvp")),
    ]
    return filters


PARTICIPANT_FIELDS = (
    "character_ids", "corporation_ids", "alliance_ids", "faction_ids", "ship_type_ids",
    "ship_group_ids",
)  # fmt: skip
FILTER_FIELDS = (
    "involved", "victim", "attacker", "solar_system_ids", "constellation_ids", "region_ids",
    "security_space", "min_value", "max_value", "min_attackers", "max_attackers", "since",
    "until", "solo", "npc", "awox", "labels",
)  # fmt: skip


def _filters(everything: list[KillmailDetail]) -> st.SearchStrategy[KillmailFilter]:
    """Two to four conditions, mostly true of one drawn killmail, so results are not empty."""
    pool = _pool(everything)

    @st.composite
    def build(draw: st.DrawFn) -> KillmailFilter:
        k = draw(st.sampled_from(everything))

        def ids(own: int | None, name: str) -> tuple[int, ...]:
            extra = draw(st.lists(st.sampled_from(pool[name]), max_size=2))
            return tuple(([own] if own is not None else []) + extra)

        def participant(victim: bool) -> ParticipantFilter:
            a = draw(st.sampled_from(k.attackers))
            own = {
                "character_ids": k.victim_character_id if victim else a.character_id,
                "corporation_ids": k.victim_corporation_id if victim else a.corporation_id,
                "alliance_ids": k.victim_alliance_id if victim else a.alliance_id,
                "faction_ids": k.victim_faction_id if victim else a.faction_id,
                "ship_type_ids": k.victim_ship_type_id if victim else a.ship_type_id,
                "ship_group_ids": k.victim_ship_group_id if victim else a.ship_group_id,
            }
            names = draw(st.sets(st.sampled_from(PARTICIPANT_FIELDS), min_size=1, max_size=2))
            return ParticipantFilter(**{n: ids(own[n], n) for n in names})

        shift = timedelta(days=draw(st.integers(-30, 30)))
        value = k.total_value or 0.0
        makers: dict[str, Callable[[], Any]] = {
            "involved": lambda: participant(draw(st.booleans())),
            "victim": lambda: participant(True),
            "attacker": lambda: participant(False),
            "solar_system_ids": lambda: ids(k.solar_system_id, "solar_system_ids"),
            "constellation_ids": lambda: ids(k.constellation_id, "constellation_ids"),
            "region_ids": lambda: ids(k.region_id, "region_ids"),
            "security_space": lambda: tuple(
                draw(st.sets(st.sampled_from(list(SecuritySpace)), min_size=1, max_size=2))
            ),
            "min_value": lambda: draw(st.sampled_from([value, value / 2, 0.0])),
            "max_value": lambda: draw(st.sampled_from([value, value * 2])),
            "min_attackers": lambda: draw(st.integers(1, k.attacker_count)),
            "max_attackers": lambda: draw(st.integers(k.attacker_count, k.attacker_count + 5)),
            "since": lambda: k.killmail_time - abs(shift),
            "until": lambda: k.killmail_time + abs(shift) + timedelta(seconds=1),
            "solo": lambda: k.solo if draw(st.booleans()) else not k.solo,
            "npc": lambda: k.npc,
            "awox": lambda: k.awox,
            "labels": lambda: tuple(
                draw(st.sets(st.sampled_from(k.labels or ("pvp",)), max_size=2))
            ),
        }
        names = draw(st.sets(st.sampled_from(FILTER_FIELDS), min_size=2, max_size=4))
        return KillmailFilter(**{name: makers[name]() for name in sorted(names)})

    return build()


async def _everything(database: Database) -> list[KillmailDetail]:
    await import_corpus(database)
    async with database.transaction() as session:
        found = await get_killmails(session, [row["killmail_id"] for row in corpus()])
    return list(found.values())


async def test_each_filter_field_alone_pages_like_the_matcher(database: Database) -> None:
    # given the 108 real killmails
    everything = await _everything(database)
    pool = _pool(everything)
    orders = list(KillmailOrder)
    for i, f in enumerate(_single_field_filters(pool, everything)):
        order = orders[i % len(orders)]
        expected = _expected(everything, f, order)
        # when walked page by page (in turn in each order)
        walked = await _walk(database, f, order, 4, len(expected))
        # then every page boundary gives the matcher's killmails in order
        assert walked == expected, (f, order)
    # and the filters are not vacuous: most of them match something, none matches all
    matched = [
        len(_expected(everything, f, KillmailOrder.TIME_DESC))
        for f in _single_field_filters(pool, everything)
    ]
    assert sum(1 for n in matched if 0 < n < len(everything)) >= len(matched) * 2 // 3


async def test_random_filter_combinations_page_like_the_matcher(database: Database) -> None:
    # given the 108 real killmails
    everything = await _everything(database)
    loop = asyncio.get_running_loop()

    @hypothesis_settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        f=_filters(everything),
        order=st.sampled_from(list(KillmailOrder)),
        pages=st.sampled_from(PAGES),
    )
    def check(f: KillmailFilter, order: KillmailOrder, pages: int) -> None:
        expected = _expected(everything, f, order)
        # when a random combination is walked page by page
        walk = _walk(database, f, order, pages, len(expected))
        walked = asyncio.run_coroutine_threadsafe(walk, loop).result()
        # then it is exactly the matcher's set, in order
        assert walked == _expected(everything, f, order)

    await asyncio.to_thread(check)


async def test_bad_arguments_sequences_and_day_counts(database: Database) -> None:
    # given the 108 real killmails
    everything = await _everything(database)
    async with database.transaction() as session:
        # when a page is too large, or a cursor foreign or of another order
        with pytest.raises(PageSizeError):
            await list_killmails(session, KillmailFilter(), first=101)
        with pytest.raises(PageSizeError):
            await list_killmails(session, KillmailFilter(), first=0)
        page = await list_killmails(session, KillmailFilter(), first=3)
        assert page.end_cursor is not None
        with pytest.raises(BadCursor):
            await list_killmails(session, KillmailFilter(), first=3, after="not-a-cursor")
        with pytest.raises(BadCursor):
            await list_killmails(
                session,
                KillmailFilter(),
                order=KillmailOrder.VALUE_DESC,
                first=3,
                after=page.end_cursor,
            )
        # then sequences are dense and walk in order
        latest = await latest_sequence(session)
        after = await killmails_after_sequence(session, latest - 5, limit=10)
        # and day counts add up to the killmails of the range, per UTC day
        since = datetime(2020, 1, 1, tzinfo=UTC)
        counts = await killmail_date_counts(session, KillmailFilter(), since, None)
    assert latest == len(everything)
    assert [k.sequence for k in after] == list(range(latest - 4, latest + 1))
    in_range = [k for k in everything if k.killmail_time >= since]
    assert sum(c.count for c in counts) == len(in_range)
    days = {k.killmail_time.date() for k in in_range}
    assert [c.day for c in counts] == sorted(days)
