"""Entity stats over every window and entity kind, on SQLite and PostgreSQL.

Goonswarm's counts per window are worked out by hand from `dataset.MOVED` (its 9 kills
and 6 losses in the corpus); every kind and window is also held equal to the naive
model in `model.py`, and the counter path (calendar windows) to the killmail path.
"""

from __future__ import annotations

from datetime import date

import pytest

from killreport.db.engine import Database
from killreport.stats.entities import EntityKind
from killreport.stats.summary import entity_stats
from killreport.stats.windows import StatsWindow, window_bounds
from tests.stats import model
from tests.stats.dataset import GOONS, NOW, store_static
from tests.stats.dataset import load as load_dataset

W = StatsWindow

# (window, at) -> (kills, losses) of Goonswarm, from the moved killmails' times
GOONS_BY_WINDOW = {
    (W.DAY, None): (1, 0),  # 76641562 at 12-01 00:00:00
    (W.DAY, date(2026, 11, 30)): (0, 1),  # 84508915 at 11-30 23:59:59
    (W.WEEK, None): (1, 1),  # Monday 11-30 onwards
    (W.WEEK, date(2026, 11, 29)): (1, 0),  # 70591378 on Sunday 11-29
    (W.MONTH, None): (1, 0),
    (W.MONTH, date(2026, 11, 15)): (1, 2),  # 70591378; 84508915 and 67422512 at 11-01 00:00
    (W.MONTH, date(2026, 10, 1)): (1, 0),  # 73404183 at 10-31 23:59:59
    (W.LAST_7_DAYS, None): (2, 1),  # since 11-24 12:00
    (W.LAST_90_DAYS, None): (4, 2),  # 94371456 at the very start; 69047522 a second early
    (W.ALL_TIME, None): (9, 6),
}


def close(actual: float, expected: float) -> bool:
    return actual == pytest.approx(expected, abs=0.02)


async def test_goonswarm_kills_and_losses_per_window(database: Database) -> None:
    # given the corpus with Goonswarm's killmails on the window boundaries
    stored = await load_dataset(database)
    async with database.transaction() as session:
        for (window, at), (kills, losses) in GOONS_BY_WINDOW.items():
            # when its stats are asked for the window
            stats = await entity_stats(session, EntityKind.ALLIANCE, GOONS, window, at, NOW)
            # then the counts are the hand-counted ones, the ISK that of those killmails
            assert (stats.kills, stats.losses) == (kills, losses), (window, at)
            expected = model.stats(
                stored, EntityKind.ALLIANCE, GOONS, *window_bounds(window, at, NOW)
            )
            assert close(stats.isk_destroyed, expected.isk_destroyed), (window, at)
            assert close(stats.isk_lost, expected.isk_lost), (window, at)
    # and the ISK of LAST_90_DAYS is exactly its four kills and two losses
    four = sum(stored[k].total_value for k in (76641562, 70591378, 73404183, 94371456))
    async with database.transaction() as session:
        stats = await entity_stats(session, EntityKind.ALLIANCE, GOONS, W.LAST_90_DAYS, None, NOW)
    two = stored[84508915].total_value + stored[67422512].total_value
    assert close(stats.isk_destroyed, four) and close(stats.isk_lost, two)
    assert stats.isk_efficiency == pytest.approx(100 * four / (four + two))


async def test_solo_kills_points_and_places(database: Database) -> None:
    await load_dataset(database)
    await store_static(database)
    async with database.transaction() as session:
        # NPC corporation 1000127 shot in 19123869, 36092010, 50129059 (a solo kill by
        # the one pilot it helped) and 67717976 (an NPC kill, worth 1 point)
        npc = await entity_stats(session, EntityKind.CORPORATION, 1000127, W.ALL_TIME, None, NOW)
        # character 144573898 killed alone in 3111908 (2008-07-25) and nothing else
        pilot = await entity_stats(
            session, EntityKind.CHARACTER, 144573898, W.MONTH, date(2008, 7, 25), NOW
        )
        nothing = await entity_stats(
            session, EntityKind.CHARACTER, 144573898, W.MONTH, date(2008, 8, 1), NOW
        )
        # Jita (30000142) hosted 23579700, 93963688, 108794056 and 84508915 (moved to 11-30)
        jita = await entity_stats(session, EntityKind.SOLAR_SYSTEM, 30000142, W.ALL_TIME, None, NOW)
        jita_week = await entity_stats(
            session, EntityKind.SOLAR_SYSTEM, 30000142, W.WEEK, None, NOW
        )
    assert (npc.kills, npc.losses, npc.solo_kills, npc.points) == (4, 0, 1, 1)
    assert (pilot.kills, pilot.losses, pilot.solo_kills) == (1, 0, 1)
    assert (nothing.kills, nothing.solo_kills, nothing.isk_efficiency) == (0, 0, None)
    assert (jita.kills, jita.losses, jita.isk_lost) == (4, 0, 0.0)
    assert jita_week.kills == 1


KINDS_AND_IDS = [
    (EntityKind.CHARACTER, 95768281),
    (EntityKind.CORPORATION, 98370861),
    (EntityKind.CORPORATION, 1000127),
    (EntityKind.ALLIANCE, GOONS),
    (EntityKind.ALLIANCE, 99003581),
    (EntityKind.SHIP_TYPE, 670),  # capsule
    (EntityKind.SHIP_TYPE, 12034),
    (EntityKind.GROUP, 29),  # capsules
    (EntityKind.GROUP, 25),  # frigates
    (EntityKind.SOLAR_SYSTEM, 30000142),
    (EntityKind.SOLAR_SYSTEM, 30004759),
    (EntityKind.CONSTELLATION, 20000020),
    (EntityKind.REGION, 10000002),
]
WINDOWS = [*GOONS_BY_WINDOW, (W.DAY, date(2020, 5, 26))]


async def test_every_kind_and_window_agrees_with_the_naive_model(database: Database) -> None:
    # given the corpus and the types, groups and places it names
    stored = await load_dataset(database)
    await store_static(database)
    async with database.transaction() as session:
        for kind, entity_id in KINDS_AND_IDS:
            for window, at in WINDOWS:
                # when stats are asked, then they are what walking every body gives
                got = await entity_stats(session, kind, entity_id, window, at, NOW)
                want = model.stats(stored, kind, entity_id, *window_bounds(window, at, NOW))
                where = (kind, entity_id, window, at)
                assert (got.kills, got.losses, got.solo_kills, got.points) == (
                    want.kills,
                    want.losses,
                    want.solo_kills,
                    want.points,
                ), where
                assert close(got.isk_destroyed, want.isk_destroyed), where
                assert close(got.isk_lost, want.isk_lost), where
