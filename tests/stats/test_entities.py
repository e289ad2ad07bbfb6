"""Every entity's killmail list: the filter with the entity fixed, on SQLite and PostgreSQL."""

from __future__ import annotations

from killreport.db.engine import Database
from killreport.killmails.filters import KillmailFilter, ParticipantFilter
from killreport.killmails.queries import list_killmails
from killreport.stats.entities import EntityKind, entity_filter
from tests.stats import model
from tests.stats.dataset import GOONS, bodies
from tests.stats.dataset import load as load_dataset
from tests.stats.test_summary import KINDS_AND_IDS


def test_the_filter_names_the_entity_on_either_side_or_as_the_place() -> None:
    assert entity_filter(EntityKind.ALLIANCE, GOONS) == KillmailFilter(
        involved=ParticipantFilter(alliance_ids=(GOONS,))
    )
    assert entity_filter(EntityKind.GROUP, 25) == KillmailFilter(
        involved=ParticipantFilter(ship_group_ids=(25,))
    )
    assert entity_filter(EntityKind.CONSTELLATION, 20000020) == KillmailFilter(
        constellation_ids=(20000020,)
    )


async def test_each_kind_lists_the_killmails_it_killed_lost_or_hosted(database: Database) -> None:
    # given the corpus
    stored = await load_dataset(database)
    async with database.transaction() as session:
        for kind, entity_id in KINDS_AND_IDS:
            # when the entity's killmails are listed, page by page
            found: list[int] = []
            after = None
            while True:
                page = await list_killmails(
                    session, entity_filter(kind, entity_id), first=100, after=after
                )
                found += [k.killmail_id for k in page.items]
                if not page.has_next_page:
                    break
                after = page.end_cursor
            # then they are the ones it attacked in, lost, or that happened there
            expected = {
                body["killmail_id"]
                for body in bodies()
                if model.entity_attackers(body, stored[body["killmail_id"]], kind, entity_id)
                or (
                    kind not in model.LOCATIONS
                    and model.is_victim(body, stored[body["killmail_id"]], kind, entity_id)
                )
            }
            assert sorted(found) == sorted(expected), (kind, entity_id)
            assert len(found) == len(expected)
            if (kind, entity_id) == (EntityKind.ALLIANCE, GOONS):
                # and Goonswarm's are its 9 kills and 6 losses
                assert len(found) == 15
