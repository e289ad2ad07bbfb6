"""Top lists and leaderboards on SQLite and PostgreSQL: hand-counted heads, then the model.

Goonswarm's corporations over LAST_90_DAYS are counted by hand from its four kills
there (76641562, 70591378, 73404183, 94371456): 98370861 flew in three of them.
"""

from __future__ import annotations

from datetime import date

import pytest

from killreport.db.engine import Database
from killreport.stats.entities import EntityKind
from killreport.stats.leaderboard import LeaderboardBy, leaderboard
from killreport.stats.top import TopBy, TopEntry, top_list
from killreport.stats.windows import StatsWindow, window_bounds
from tests.stats import model
from tests.stats.dataset import GOONS, NOW, store_static
from tests.stats.dataset import load as load_dataset

W = StatsWindow


def same(got: list[TopEntry], want: list[TopEntry]) -> bool:
    return [(e.id, e.kills) for e in got] == [(e.id, e.kills) for e in want] and all(
        g.isk == pytest.approx(w.isk, abs=0.02) for g, w in zip(got, want, strict=True)
    )


async def test_goonswarm_corporations_and_targets_by_hand(database: Database) -> None:
    # given the corpus with Goonswarm's killmails moved into the last 90 days
    stored = await load_dataset(database)
    async with database.transaction() as session:
        # when its top corporations and target alliances of the last 90 days are asked
        corporations = await top_list(
            session, EntityKind.ALLIANCE, GOONS, TopBy.CORPORATIONS, W.LAST_90_DAYS, None, NOW, 3
        )
        targets = await top_list(
            session,
            EntityKind.ALLIANCE,
            GOONS,
            TopBy.TARGET_ALLIANCES,
            W.WEEK,
            date(2026, 11, 29),
            NOW,
        )
        pilots_today = await top_list(
            session, EntityKind.ALLIANCE, GOONS, TopBy.PILOTS, W.DAY, None, NOW, 100
        )
    # then 98370861 leads with three kills and the ISK of those three
    three = sum(stored[k].total_value for k in (76641562, 73404183, 94371456))
    assert (corporations[0].id, corporations[0].kills) == (98370861, 3)
    assert corporations[0].isk == pytest.approx(three, abs=0.02)
    # and the rest have two kills each (98011082, 1167014990, 98270640), richest first
    assert [e.kills for e in corporations[1:]] == [2, 2]
    assert corporations[1].isk >= corporations[2].isk
    # last week's one kill (70591378) was of alliance 99003006
    assert [(e.id, e.kills) for e in targets] == [(99003006, 1)]
    # today's one kill (76641562) had six Goonswarm pilots on it
    assert len(pilots_today) == 6 and {e.kills for e in pilots_today} == {1}


CASES = [
    (EntityKind.ALLIANCE, GOONS),
    (EntityKind.CORPORATION, 98370861),
    (EntityKind.CHARACTER, 95768281),
    (EntityKind.SHIP_TYPE, 12034),
    (EntityKind.GROUP, 25),
    (EntityKind.SOLAR_SYSTEM, 30004759),
    (EntityKind.REGION, 10000002),
]
WINDOWS = [(W.ALL_TIME, None), (W.LAST_90_DAYS, None), (W.MONTH, date(2026, 11, 1))]


async def test_every_grouping_agrees_with_the_naive_model(database: Database) -> None:
    stored = await load_dataset(database)
    await store_static(database)
    async with database.transaction() as session:
        for kind, entity_id in CASES:
            for window, at in WINDOWS:
                for by in TopBy:
                    got = await top_list(session, kind, entity_id, by, window, at, NOW, 5)
                    want = model.top(
                        stored, kind, entity_id, by, *window_bounds(window, at, NOW), 5
                    )
                    assert same(got, want), (kind, entity_id, by, window, at, got, want)


async def test_leaderboards_exclude_npcs_and_agree_with_the_naive_model(database: Database) -> None:
    # given the corpus and its places
    stored = await load_dataset(database)
    await store_static(database)
    async with database.transaction() as session:
        # when ALL_TIME pilots and corporations are ranked (the daily counters answer)
        corporations = await leaderboard(
            session, LeaderboardBy.CORPORATIONS, W.ALL_TIME, None, NOW, None, 100
        )
        pilots = await leaderboard(session, LeaderboardBy.PILOTS, W.ALL_TIME, None, NOW, None, 100)
        # then no NPC corporation (1,000,000-1,999,999) ranks, though 1000127 shot 4 times
        assert corporations and all(e.id >= 2_000_000 for e in corporations)
        assert all(e.id >= 90_000_000 for e in pilots)
        # and every board, window and place is what walking every body gives
        locations = [None, (EntityKind.SOLAR_SYSTEM, 30004759), (EntityKind.REGION, 10000002)]
        for by in LeaderboardBy:
            for window, at in [*WINDOWS, (W.WEEK, None), (W.LAST_7_DAYS, None)]:
                for location in locations:
                    got = await leaderboard(session, by, window, at, NOW, location, 10)
                    bounds = window_bounds(window, at, NOW)
                    want = model.board(stored, by.value, *bounds, location, 10)
                    assert same(got, want), (by, window, at, location, got, want)


async def test_bad_sizes_and_places_are_refused(database: Database) -> None:
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="first"):
            await top_list(session, EntityKind.ALLIANCE, GOONS, TopBy.SHIPS, W.DAY, None, NOW, 101)
        with pytest.raises(ValueError, match="location"):
            await leaderboard(
                session, LeaderboardBy.PILOTS, W.DAY, None, NOW, (EntityKind.ALLIANCE, GOONS), 10
            )
