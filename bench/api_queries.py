"""The API benchmark's query mix: each query as a GraphQL document and as hand-written SQL.

Each row gives the GraphQL document and variables, the SQL statements that return the
same rows (names included, as the page would show them), and how to reduce either
answer to comparable rows, so the benchmark checks both sides agree before timing.
SQL uses psycopg's `%(name)s` parameters; the SQLite side rewrites them to `:name`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Statements = list[tuple[str, dict[str, Any]]]

PAGE = 25
DEEP_PAGE = 200
TOP_CHARACTER = "\U0010ffff"

_LIST_FIELDS = """
  pageInfo { endCursor hasNextPage }
  nodes {
    killmailId killmailTime values { total }
    victim { character { name } corporation { name } alliance { name } shipType { name } }
    solarSystem { name } region { name }
  }
"""

_NAMED = """
SELECT k.killmail_id, k.killmail_time, k.total_value, vc.name, vco.name, va.name, t.name,
       s.name, r.name
FROM {source}
LEFT JOIN characters vc ON vc.character_id = k.victim_character_id
LEFT JOIN corporations vco ON vco.corporation_id = k.victim_corporation_id
LEFT JOIN alliances va ON va.alliance_id = k.victim_alliance_id
LEFT JOIN types t ON t.type_id = k.victim_ship_type_id
LEFT JOIN solar_systems s ON s.system_id = k.solar_system_id
LEFT JOIN regions r ON r.region_id = k.region_id
{where}
ORDER BY k.killmail_time DESC, k.killmail_id DESC
{limit}
"""

# The 25 newest distinct killmails an alliance attacked in, from its attacker index.
_ALLIANCE_PAGE = (
    "(SELECT DISTINCT killmail_time, killmail_id FROM attackers "
    "WHERE alliance_id = %(alliance)s {after} "
    "ORDER BY killmail_time DESC, killmail_id DESC LIMIT 25) page "
    "JOIN killmails k ON k.killmail_id = page.killmail_id"
)


def _list_statement(source: str = "killmails k", where: str = "", limit: str = "LIMIT 25") -> str:
    return _NAMED.format(source=source, where=where, limit=limit)


_KILLMAIL_DOCUMENT = """
query Killmail($id: ID!) {
  killmail(id: $id) {
    killmailId killmailTime values { total destroyed dropped fitted ship }
    victim { character { name } corporation { name } alliance { name } shipType { name } }
    solarSystem { name } region { name }
    attackers { character { name } corporation { name } alliance { name }
                shipType { name } weaponType { name } damageDone finalBlow }
    items { itemTypeId itemType { name } flag slot quantityDestroyed quantityDropped value
            items { itemTypeId itemType { name } flag quantityDestroyed quantityDropped value } }
    fitting {
      high { flag module { itemType { name } } charges { itemType { name } } }
      mid { flag module { itemType { name } } charges { itemType { name } } }
      low { flag module { itemType { name } } charges { itemType { name } } }
      rig { flag module { itemType { name } } }
      subsystem { flag module { itemType { name } } }
      drones { itemType { name } quantity } cargo { itemType { name } quantity }
    }
  }
}
"""

_KILLMAIL_STATEMENTS = [
    _list_statement(where="WHERE k.killmail_id = %(killmail)s", limit=""),
    """
SELECT a.position, c.name, co.name, al.name, st.name, wt.name, a.damage_done, a.final_blow
FROM attackers a
LEFT JOIN characters c ON c.character_id = a.character_id
LEFT JOIN corporations co ON co.corporation_id = a.corporation_id
LEFT JOIN alliances al ON al.alliance_id = a.alliance_id
LEFT JOIN types st ON st.type_id = a.ship_type_id
LEFT JOIN types wt ON wt.type_id = a.weapon_type_id
WHERE a.killmail_id = %(killmail)s ORDER BY a.position
""",
    """
SELECT i.position, i.parent_position, i.item_type_id, t.name, i.flag, i.quantity_destroyed,
       i.quantity_dropped, i.unit_value
FROM items i LEFT JOIN types t ON t.type_id = i.item_type_id
WHERE i.killmail_id = %(killmail)s ORDER BY i.position
""",
]

_TOP = """
SELECT d.g, count(*) AS kills, coalesce(sum(k.total_value), 0) AS isk, n.name
FROM (SELECT DISTINCT {column} AS g, killmail_id FROM attackers
      WHERE alliance_id = %(alliance)s AND killmail_time >= %(since_7d)s
        AND {column} IS NOT NULL) d
JOIN killmails k ON k.killmail_id = d.killmail_id
LEFT JOIN {names} n ON n.{key} = d.g
GROUP BY d.g, n.name ORDER BY kills DESC, isk DESC, d.g LIMIT 10
"""
_KILLS_7D = (
    "SELECT killmail_id FROM attackers WHERE alliance_id = %(alliance)s "
    "AND killmail_time >= %(since_7d)s"
)
_STATS_STATEMENTS = [
    f"""
SELECT count(*), coalesce(sum(total_value), 0), coalesce(sum(points), 0),
       coalesce(sum(CASE WHEN solo THEN 1 ELSE 0 END), 0)
FROM killmails WHERE killmail_id IN ({_KILLS_7D})
""",
    """
SELECT count(*), coalesce(sum(total_value), 0) FROM killmails
WHERE victim_alliance_id = %(alliance)s AND killmail_time >= %(since_7d)s
""",
    _TOP.format(column="character_id", names="characters", key="character_id"),
    _TOP.format(column="ship_type_id", names="types", key="type_id"),
    f"""
SELECT k.victim_alliance_id, count(*) AS kills, coalesce(sum(k.total_value), 0) AS isk, n.name
FROM killmails k LEFT JOIN alliances n ON n.alliance_id = k.victim_alliance_id
WHERE k.killmail_id IN ({_KILLS_7D}) AND k.victim_alliance_id IS NOT NULL
GROUP BY k.victim_alliance_id, n.name ORDER BY kills DESC, isk DESC, k.victim_alliance_id
LIMIT 10
""",
]
_STATS_DOCUMENT = """
query Stats($id: ID!) {
  alliance(id: $id) {
    name
    stats(window: LAST_7_DAYS) { kills losses iskDestroyed iskLost iskEfficiency soloKills points }
    pilots: top(by: PILOTS, window: LAST_7_DAYS) { id kills isk name }
    ships: top(by: SHIPS, window: LAST_7_DAYS) { id kills isk name }
    targets: top(by: TARGET_ALLIANCES, window: LAST_7_DAYS) { id kills isk name }
  }
}
"""

_LEADERBOARD_STATEMENT = """
SELECT c.entity_id, sum(c.kills) AS kills, coalesce(sum(c.isk_destroyed), 0) AS isk, n.name
FROM daily_entity_counters c LEFT JOIN characters n ON n.character_id = c.entity_id
WHERE c.entity_kind = 'character' AND c.day >= %(week_start)s AND c.day < %(week_end)s
  AND c.kills > 0 AND c.entity_id >= 1000000 AND NOT c.entity_id BETWEEN 3000000 AND 3999999
GROUP BY c.entity_id, n.name ORDER BY kills DESC, isk DESC, c.entity_id LIMIT 10
"""

# (kind, table, id column, ticker column or None, ship ordering or None), in SearchKind order
_SEARCHED = (
    ("CHARACTER", "characters", "character_id", None),
    ("CORPORATION", "corporations", "corporation_id", "ticker"),
    ("ALLIANCE", "alliances", "alliance_id", "ticker"),
    ("ITEM_TYPE", "types", "type_id", None),
    ("SOLAR_SYSTEM", "solar_systems", "system_id", None),
    ("CONSTELLATION", "constellations", "constellation_id", None),
    ("REGION", "regions", "region_id", None),
)


def _search_statement(backend: str) -> str:
    def prefix(column: str) -> str:
        if backend == "postgres":
            return f"x.{column} LIKE %(prefix)s"
        return f"(x.{column} >= %(text)s AND x.{column} < %(text_end)s)"

    def contains(column: str) -> str:
        if backend == "postgres":
            return f"x.{column} LIKE %(contains)s"
        return f"instr(x.{column}, %(text)s) > 0"

    parts = []
    for order, (kind, table, key, ticker) in enumerate(_SEARCHED):
        folded = ["name_folded"] + (["ticker_folded"] if ticker else [])
        starts = " OR ".join(prefix(c) for c in folded)
        exact = " OR ".join(f"x.{c} = %(text)s" for c in folded)
        ticker_column = f"x.{ticker}" if ticker else "NULL"
        ship = "0"
        join = ""
        if kind == "ITEM_TYPE":
            join = "LEFT JOIN groups g ON g.group_id = x.group_id"
            ship = "CASE WHEN g.category_id = 6 THEN 0 ELSE 1 END"
        parts.append(
            f"SELECT CASE WHEN {exact} THEN 0 WHEN {starts} THEN 1 ELSE 2 END AS rank, "
            f"{order} AS kind_order, {ship} AS ship, x.name_folded AS folded, x.{key} AS id, "
            f"'{kind}' AS kind, x.name AS name, {ticker_column} AS ticker "
            f"FROM {table} x {join} WHERE ({starts}) OR {contains('name_folded')}"
        )
    union = " UNION ALL ".join(parts)
    return (
        f"SELECT kind, id, name, ticker FROM ({union}) hits "
        "ORDER BY rank, kind_order, ship, folded, id LIMIT 10"
    )


@dataclass(frozen=True)
class Query:
    """One query of the mix, both ways."""

    name: str
    document: str
    variables: Callable[[dict[str, Any]], dict[str, Any]]
    statements: Callable[[dict[str, Any], str], Statements]
    graphql_rows: Callable[[dict[str, Any]], Any]
    sql_rows: Callable[[list[list[Any]]], Any]
    position: Callable[[dict[str, Any]], Statements] = lambda _p: []


# How many pages an alliance's kills fill (page 200 needs a big enough database).
ALLIANCE_KILLS = (
    "SELECT count(DISTINCT killmail_id) FROM attackers WHERE alliance_id = %(alliance)s"
)


def _ids(data: dict[str, Any]) -> list[int]:
    return [int(node["killmailId"]) for node in data["killmails"]["nodes"]]


def _sql_ids(results: list[list[Any]]) -> list[int]:
    return [int(row[0]) for row in results[0]]


def _list_document(filter_: str, parameters: str = "") -> str:
    head = f"query List{parameters} {{ killmails({filter_}first: {PAGE}, after: $after) {{"
    declared = head if parameters else head.replace("List", "List($after: String)", 1)
    return declared + _LIST_FIELDS + "} }"


def _top_ids(entries: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(e["id"]), int(e["kills"])) for e in entries]


def _sql_top(rows: list[Any]) -> list[tuple[int, int]]:
    return [(int(r[0]), int(r[1])) for r in rows]


def _killmail_rows(data: dict[str, Any]) -> Any:
    killmail = data["killmail"]
    lines = [i["itemTypeId"] for i in killmail["items"]] + [
        c["itemTypeId"] for i in killmail["items"] for c in i["items"]
    ]
    return (
        int(killmail["killmailId"]),
        len(killmail["attackers"]),
        sorted(int(t) for t in lines),
    )


def _sql_killmail(results: list[list[Any]]) -> Any:
    return (int(results[0][0][0]), len(results[1]), sorted(int(r[2]) for r in results[2]))


def _stats_rows(data: dict[str, Any]) -> Any:
    alliance = data["alliance"]
    stats = alliance["stats"]
    return (
        (stats["kills"], stats["losses"], stats["soloKills"], stats["points"]),
        _top_ids(alliance["pilots"]),
        _top_ids(alliance["ships"]),
        _top_ids(alliance["targets"]),
    )


def _sql_stats(results: list[list[Any]]) -> Any:
    kills, losses = results[0][0], results[1][0]
    return (
        (int(kills[0]), int(losses[0]), int(kills[3]), int(kills[2])),
        _sql_top(results[2]),
        _sql_top(results[3]),
        _sql_top(results[4]),
    )


def _search_params(params: dict[str, Any]) -> dict[str, Any]:
    text = params["search"].lower()
    return {
        "text": text,
        "text_end": text + TOP_CHARACTER,
        "prefix": text + "%",
        "contains": "%" + text + "%",
    }


QUERIES = (
    Query(
        "front page",
        _list_document(""),
        lambda p: {"after": None},
        lambda p, _b: [(_list_statement(), {})],
        _ids,
        _sql_ids,
    ),
    Query(
        "alliance kills p1",
        _list_document(
            "filter: {attacker: {allianceIds: [$alliance]}}, ", "($alliance: ID!, $after: String)"
        ),
        lambda p: {"alliance": p["alliance"], "after": None},
        lambda p, _b: [
            (
                _list_statement(_ALLIANCE_PAGE.format(after=""), limit=""),
                {"alliance": p["alliance"]},
            )
        ],
        _ids,
        _sql_ids,
    ),
    Query(
        "alliance kills p200",
        _list_document(
            "filter: {attacker: {allianceIds: [$alliance]}}, ", "($alliance: ID!, $after: String)"
        ),
        lambda p: {"alliance": p["alliance"], "after": None},
        lambda p, _b: [
            (
                _list_statement(
                    _ALLIANCE_PAGE.format(
                        after="AND (killmail_time, killmail_id) < (%(t)s, %(id)s)"
                    ),
                    limit="",
                ),
                {"alliance": p["alliance"], "t": p["t"], "id": p["id"]},
            )
        ],
        _ids,
        _sql_ids,
        position=lambda p: [
            (
                "SELECT killmail_time, killmail_id FROM (SELECT DISTINCT killmail_time, "
                "killmail_id FROM attackers WHERE alliance_id = %(alliance)s "
                "ORDER BY killmail_time DESC, killmail_id DESC "
                "LIMIT 1 OFFSET %(offset)s) deep",
                {"alliance": p["alliance"], "offset": (p["deep_page"] - 1) * PAGE - 1},
            )
        ],
    ),
    Query(
        "system killmails",
        _list_document("filter: {solarSystemIds: [$system]}, ", "($system: ID!, $after: String)"),
        lambda p: {"system": p["system"], "after": None},
        lambda p, _b: [
            (_list_statement(where="WHERE k.solar_system_id = %(system)s"), {"system": p["system"]})
        ],
        _ids,
        _sql_ids,
    ),
    Query(
        "killmail with fitting",
        _KILLMAIL_DOCUMENT,
        lambda p: {"id": p["killmail"]},
        lambda p, _b: [(s, {"killmail": p["killmail"]}) for s in _KILLMAIL_STATEMENTS],
        _killmail_rows,
        _sql_killmail,
    ),
    Query(
        "alliance stats + 3 tops 7d",
        _STATS_DOCUMENT,
        lambda p: {"id": p["alliance"]},
        lambda p, _b: [
            (s, {"alliance": p["alliance"], "since_7d": p["since_7d"]}) for s in _STATS_STATEMENTS
        ],
        _stats_rows,
        _sql_stats,
    ),
    Query(
        "weekly leaderboard",
        "query Board($at: Date) { leaderboard(by: PILOTS, window: WEEK, at: $at, first: 10)"
        " { id kills isk name } }",
        lambda p: {"at": p["week_at"]},
        lambda p, _b: [
            (_LEADERBOARD_STATEMENT, {"week_start": p["week_start"], "week_end": p["week_end"]})
        ],
        lambda data: _top_ids(data["leaderboard"]),
        lambda results: _sql_top(results[0]),
    ),
    Query(
        "search prefix",
        "query Find($text: String!) { search(text: $text, first: 10) { kind id name ticker } }",
        lambda p: {"text": p["search"]},
        lambda p, b: [(_search_statement(b), _search_params(p))],
        lambda data: [(h["kind"], int(h["id"])) for h in data["search"]],
        lambda results: [(r[0], int(r[1])) for r in results[0]],
    ),
)


def graphql_rows(query: Query, data: dict[str, Any]) -> Any:
    """The GraphQL answer reduced to comparable rows."""
    return query.graphql_rows(data)


def sql_rows(query: Query, results: list[list[Any]]) -> Any:
    """The SQL answer reduced to comparable rows."""
    return query.sql_rows(results)
