"""ENTITY_SPECS reads both compatibility-date shapes and names what each entity refers to."""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime
from pathlib import Path

from killreport.bus import contracts
from killreport.universe.specs import ENTITY_SPECS, EntityKind, spec_for

LEGACY = json.loads((Path(__file__).parent / "data" / "legacy_bodies.json").read_text())


def test_every_kind_has_one_spec_on_a_known_queue() -> None:
    # given the bus contracts' kinds and queues
    bus_kinds = set(typing.get_args(contracts.EntityKind))
    # then the spec table covers exactly those kinds, each on a queue the bus declares
    assert {kind.value for kind in ENTITY_SPECS} == bus_kinds
    for spec in ENTITY_SPECS.values():
        assert spec.queue in contracts.QUEUES
        assert set(spec.columns) <= {c.name for c in spec.table.__table__.columns}


def test_legacy_corporation_shape_is_read() -> None:
    # given a real corporation body of the pre-2026-07-21 shape (tax_rate, faction_id)
    body = LEGACY["corporation"]["98179071"]
    # when it is read through the spec
    row = ENTITY_SPECS[EntityKind.CORPORATION].row(98179071, body)
    # then every stored field has its value
    assert row["corporation_id"] == 98179071
    assert row["name"] == "Omicron Project"
    assert row["ticker"] == "OMIP"
    assert row["member_count"] == 22
    assert row["ceo_id"] == 743137360
    assert row["alliance_id"] == 150097440
    assert row["tax_rate"] == 0.10000000149011612
    assert row["date_founded"] == datetime(2013, 2, 22, 21, 36, 6, tzinfo=UTC)
    assert row["creator_id"] == 90813985
    assert row["home_station_id"] == 60003316
    assert row["war_eligible"] is True
    assert row["faction_id"] is None


def test_new_corporation_shape_is_read() -> None:
    # given the 2026-07-21 shape: tax_rates in percent, enlisted_faction_id, state
    body = {
        "name": "Militia Corp",
        "ticker": "MIL",
        "member_count": 5,
        "ceo_id": 2112000001,
        "creator_id": 2112000001,
        "tax_rates": {"isk": 5.0, "loyalty_point": 10.0},
        "enlisted_faction_id": 500001,
        "home_station_id": 60003760,
        "war_eligible": False,
        "state": "active",
        "friendly_fire": "legal",
        "description": "",
        "shares": 1000,
        "type": "player_owned",
        "palette": {"main_color": "#000000"},
    }
    row = spec_for("corporation").row(98000001, body)
    assert row["tax_rate"] == 0.05
    assert row["faction_id"] == 500001
    assert row["war_eligible"] is False
    assert row["state"] == "active"
    assert row["alliance_id"] is None


def test_both_character_shapes_are_read() -> None:
    # given a real legacy character (title, ancestry_id) and a new one (corporation_title)
    legacy = spec_for("character").row(2115636466, LEGACY["character"]["2115636466"])
    new = spec_for("character").row(
        2112000002,
        {
            "name": "New Pilot",
            "corporation_id": 98000001,
            "alliance_id": 99000001,
            "birthday": "2020-01-02T03:04:05Z",
            "bloodline_id": 5,
            "race_id": 2,
            "gender": "female",
            "security_status": -1.5,
            "corporation_title": "Director",
            "achievement_score": 10,
        },
    )
    assert legacy["name"] == "Ion of Chios"
    assert legacy["corporation_id"] == 98627127
    assert legacy["birthday"] == datetime(2019, 8, 28, 18, 48, 2, tzinfo=UTC)
    assert (legacy["race_id"], legacy["bloodline_id"], legacy["gender"]) == (1, 2, "male")
    assert legacy["security_status"] == 0.0
    assert new["title"] == "Director"
    assert new["alliance_id"] == 99000001
    assert new["security_status"] == -1.5


def test_related_ids_skip_npc_and_system_ids() -> None:
    # given a real alliance and an NPC-created corporation
    alliance = spec_for("alliance").row(99003214, LEGACY["alliance"]["99003214"])
    npc_corp = spec_for("corporation").row(
        1000125,
        {"name": "NPC", "ticker": "N", "member_count": 0, "ceo_id": 3004125, "creator_id": 1},
    )
    # then the alliance refers to its executor/creator corporation and creator character
    assert spec_for("alliance").related_ids(alliance) == {
        EntityKind.CORPORATION: {98199293},
        EntityKind.CHARACTER: {91432281},
    }
    # and NPC agents and EVE System are never discovered
    assert spec_for("corporation").related_ids(npc_corp) == {}
