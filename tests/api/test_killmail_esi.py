"""`killmail(id)` over HTTP gives back every field of the 108 real ESI bodies, fit by slot."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from killreport.settings import Settings
from killreport.universe.static import load_static
from tests.api.served import served
from tests.killmails.corpus import corpus

ITEM = "itemTypeId flag singleton quantityDestroyed quantityDropped"
KILLMAIL = f"""
fragment Full on Killmail {{
  killmailId killmailTime solarSystemId moonId warId
  victim {{
    allianceId characterId corporationId damageTaken factionId shipTypeId
    position {{ x y z }}
  }}
  attackers {{
    allianceId characterId corporationId damageDone factionId finalBlow securityStatus
    shipTypeId weaponTypeId
  }}
  items {{ {ITEM} items {{ {ITEM} items {{ {ITEM} }} }} }}
  fitting {{
    high {{ ...Slot }} mid {{ ...Slot }} low {{ ...Slot }} rig {{ ...Slot }}
    subsystem {{ ...Slot }} service {{ ...Slot }}
    drones {{ {ITEM} }} implants {{ {ITEM} }} cargo {{ {ITEM} }}
  }}
}}
fragment Slot on FittingSlot {{ flag modules {{ {ITEM} }} charges {{ {ITEM} }} }}
"""

# EVE inventory flags of the racks (invFlags: HiSlot0-7, MedSlot0-7, LoSlot0-7, RigSlot0-7,
# SubSystem0-7, StructureServiceSlot0-7).
RACKS = {
    "high": range(27, 35),
    "mid": range(19, 27),
    "low": range(11, 19),
    "rig": range(92, 100),
    "subsystem": range(125, 133),
    "service": range(164, 172),
}
CHARGE_CATEGORY = 8


def _ints(value: Any) -> Any:
    """GraphQL IDs are strings and big counts floats; ESI has ints."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _esi_item(item: dict[str, Any]) -> dict[str, Any]:
    body = {
        "flag": item["flag"],
        "item_type_id": _ints(item["itemTypeId"]),
        "items": [_esi_item(child) for child in item.get("items") or []] or None,
        "quantity_destroyed": _ints(item["quantityDestroyed"]),
        "quantity_dropped": _ints(item["quantityDropped"]),
        "singleton": item["singleton"],
    }
    return {k: v for k, v in body.items() if v is not None}


def _as_esi(km: dict[str, Any]) -> dict[str, Any]:
    """Our answer written back in ESI's shape (absent = omitted, as ESI does)."""

    def present(pairs: dict[str, Any]) -> dict[str, Any]:
        return {k: _ints(v) for k, v in pairs.items() if v is not None}

    victim = km["victim"]
    body = {
        "attackers": [
            present(
                {
                    "alliance_id": a["allianceId"],
                    "character_id": a["characterId"],
                    "corporation_id": a["corporationId"],
                    "damage_done": a["damageDone"],
                    "faction_id": a["factionId"],
                    "final_blow": a["finalBlow"],
                    "security_status": a["securityStatus"],
                    "ship_type_id": a["shipTypeId"],
                    "weapon_type_id": a["weaponTypeId"],
                }
            )
            for a in km["attackers"]
        ],
        "killmail_id": km["killmailId"],
        "killmail_time": datetime.fromisoformat(km["killmailTime"]).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "moon_id": _ints(km["moonId"]),
        "solar_system_id": _ints(km["solarSystemId"]),
        "victim": present(
            {
                "alliance_id": victim["allianceId"],
                "character_id": victim["characterId"],
                "corporation_id": victim["corporationId"],
                "damage_taken": victim["damageTaken"],
                "faction_id": victim["factionId"],
                "items": [_esi_item(i) for i in km["items"]] or None,
                "position": victim["position"],
                "ship_type_id": victim["shipTypeId"],
            }
        ),
        "war_id": _ints(km["warId"]),
    }
    return {k: v for k, v in body.items() if v is not None}


def _without_empty_items(esi: dict[str, Any]) -> dict[str, Any]:
    victim = dict(esi["victim"])
    if not victim.get("items"):
        victim.pop("items", None)
    return {**esi, "victim": victim}


def _check_fitting(esi: dict[str, Any], fitting: dict[str, Any]) -> None:
    universe = load_static()
    slots = {(rack, slot["flag"]): slot for rack in RACKS for slot in fitting[rack]}
    for item in esi["victim"].get("items", []):
        flag, type_id = item["flag"], item["item_type_id"]
        mine = _esi_item_key(item)
        rack = next((name for name, flags in RACKS.items() if flag in flags), None)
        if rack is not None:
            slot = slots[(rack, flag)]
            if universe.category_of_type(type_id) == CHARGE_CATEGORY:
                assert mine in [_key(c) for c in slot["charges"]], (esi["killmail_id"], item)
            else:
                assert mine in [_key(m) for m in slot["modules"]], (esi["killmail_id"], item)
        elif flag == 87:
            assert mine in [_key(d) for d in fitting["drones"]]
        elif flag == 89:
            assert mine in [_key(i) for i in fitting["implants"]]
        elif flag == 5:
            assert mine in [_key(c) for c in fitting["cargo"]]


def _esi_item_key(item: dict[str, Any]) -> tuple[Any, ...]:
    return (
        item["item_type_id"],
        item["flag"],
        item.get("quantity_destroyed"),
        item.get("quantity_dropped"),
        item["singleton"],
    )


def _key(item: dict[str, Any]) -> tuple[Any, ...]:
    return _esi_item_key(_esi_item(item))


async def test_every_esi_field_comes_back_and_every_module_sits_in_its_slot(
    settings: Settings,
) -> None:
    # given the 108 real killmails imported on the deployment
    async with served(settings) as api:
        rows = list(corpus())
        answers: dict[int, dict[str, Any]] = {}
        # when each is asked for by id over HTTP (27 per request, as aliases)
        for start in range(0, len(rows), 27):
            chunk = rows[start : start + 27]
            fields = " ".join(
                f'k{row["killmail_id"]}: killmail(id: "{row["killmail_id"]}") {{ ...Full }}'
                for row in chunk
            )
            data = await api.data(f"query {{ {fields} }} {KILLMAIL}")
            answers.update({row["killmail_id"]: data[f"k{row['killmail_id']}"] for row in chunk})
        # and an unknown id is asked for
        missing = await api.data('{ killmail(id: "1") { killmailId } }')
    # then every ESI field (victim, attackers, items with container contents) is there
    for row in rows:
        esi = _without_empty_items(row["esi"])
        assert _as_esi(answers[row["killmail_id"]]) == esi, row["killmail_id"]
        # and every fitted module sits in its slot, charges beside it
        _check_fitting(row["esi"], answers[row["killmail_id"]]["fitting"])
    assert missing == {"killmail": None}
