"""Entity fields over HTTP are the read layer's answers: lists, stats, top lists, boards, search."""

from __future__ import annotations

from datetime import UTC, datetime

from killreport.killmails.filters import KillmailFilter
from killreport.killmails.queries import list_killmails
from killreport.settings import Settings
from killreport.stats.entities import EntityKind, entity_filter
from killreport.stats.leaderboard import LeaderboardBy, leaderboard
from killreport.stats.summary import entity_stats
from killreport.stats.top import TopBy, top_list
from killreport.stats.windows import StatsWindow
from killreport.universe.static import load_static
from tests.api.entities import store_entities
from tests.api.served import served

GOONS = 1354830081
JITA = 30000142

ALLIANCE = """
query ($id: ID!) {
  alliance(id: $id) {
    id name ticker
    killmails(first: 5) { edges { node { killmailId } } pageInfo { hasNextPage endCursor } }
    stats(window: ALL_TIME) { kills losses iskDestroyed iskLost iskEfficiency soloKills points }
    top(by: PILOTS, window: ALL_TIME, first: 5) { id kind name kills isk }
    ships: top(by: SHIPS, window: ALL_TIME, first: 3) { id kind name kills }
    metrics { memberCount memberDelta7d }
    snapshots(days: 7) { day memberCount }
  }
}
"""


async def test_entity_fields_are_the_read_layers_answers(settings: Settings) -> None:
    # given the real killmails and names for what they name
    async with served(settings) as api:
        await store_entities(api.container.database)
        # when an alliance, a system, a type, a leaderboard and a search are asked for
        alliance = (await api.data(ALLIANCE, {"id": str(GOONS)}))["alliance"]
        place = await api.data(
            f'{{ solarSystem(id: "{JITA}") {{ name security securitySpace '
            "constellation { name region { name } } } "
            '  itemType(id: "670") { name group { name category { name } } } '
            '  missing: alliance(id: "1") { name } }'
        )
        board = await api.data(
            "{ leaderboard(by: ALLIANCES, window: ALL_TIME, first: 5) { id name kills isk } }"
        )
        hits = await api.data('{ search(text: "jita", first: 3) { kind id name } }')
        members = await api.data('{ alliances(search: "alliance", first: 2) { nodes { id name } '
                                 "pageInfo { hasNextPage endCursor } } }")  # fmt: skip
        _, clash = await api.post(
            f'{{ alliance(id: "{GOONS}") {{ '
            'killmails(filter: { involved: { characterIds: ["1"] } }) { edges { cursor } } } }'
        )
        # and the read layer is asked the same directly
        now = datetime.now(UTC)
        async with api.container.database.transaction() as session:
            page = await list_killmails(
                session, entity_filter(EntityKind.ALLIANCE, GOONS), first=5, with_lines=False
            )
            stats = await entity_stats(
                session, EntityKind.ALLIANCE, GOONS, StatsWindow.ALL_TIME, None, now
            )
            pilots = await top_list(
                session,
                EntityKind.ALLIANCE,
                GOONS,
                TopBy.PILOTS,
                StatsWindow.ALL_TIME,
                None,
                now,
                5,
            )
            alliances = await leaderboard(
                session, LeaderboardBy.ALLIANCES, StatsWindow.ALL_TIME, None, now, None, 5
            )
            everything = await list_killmails(session, KillmailFilter(), first=1)
    # then the answers over HTTP are the read layer's
    assert alliance["name"] == f"Alliance {GOONS}"
    assert [e["node"]["killmailId"] for e in alliance["killmails"]["edges"]] == [
        k.killmail_id for k in page.items
    ]
    assert alliance["killmails"]["pageInfo"]["hasNextPage"] == page.has_next_page
    assert alliance["stats"] == {
        "kills": stats.kills,
        "losses": stats.losses,
        "iskDestroyed": stats.isk_destroyed,
        "iskLost": stats.isk_lost,
        "iskEfficiency": stats.isk_efficiency,
        "soloKills": stats.solo_kills,
        "points": stats.points,
    }
    assert stats.kills > 0
    assert [(int(t["id"]), t["kills"]) for t in alliance["top"]] == [
        (e.id, e.kills) for e in pilots
    ]
    assert all(
        t["kind"] == "CHARACTER" and t["name"] == f"Pilot {t['id']}" for t in alliance["top"]
    )
    static = load_static()
    assert all(t["name"] == static.types[int(t["id"])].name for t in alliance["ships"])
    assert alliance["snapshots"] == [] and alliance["metrics"]["memberCount"] is None
    assert [(int(b["id"]), b["kills"]) for b in board["leaderboard"]] == [
        (e.id, e.kills) for e in alliances
    ]
    system = place["solarSystem"]
    assert (system["name"], system["security"], system["securitySpace"]) == ("Jita", 0.9, "HIGHSEC")
    assert system["constellation"]["region"]["name"] == "The Forge"
    assert place["itemType"]["group"]["category"]["name"] == "Ship"
    assert place["missing"] is None
    assert hits["search"][0] == {"kind": "SOLAR_SYSTEM", "id": str(JITA), "name": "Jita"}
    assert len(members["alliances"]["nodes"]) == 2
    assert members["alliances"]["pageInfo"]["hasNextPage"] is True
    assert clash["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert everything.items
