"""Parsing keeps every ESI field and rejects bad input with a reason that names the field."""

from __future__ import annotations

import copy

import orjson
import pytest

from killreport.killmails.parse import KillmailRejected, parse_envelope, parse_json
from killreport.killmails.valuation import flatten_items
from tests.killmails.corpus import corpus, everef_line


def _row(killmail_id: int) -> dict:
    return next(r for r in corpus() if r["killmail_id"] == killmail_id)


def test_every_corpus_killmail_parses_with_all_items_and_attackers() -> None:
    for row in corpus():
        parsed = parse_envelope(everef_line(row), source="test")
        esi = row["esi"]
        assert parsed.killmail_id == esi["killmail_id"]
        assert len(parsed.attackers) == len(esi["attackers"])

        def count(items: list) -> int:
            return sum(1 + count(i.get("items", [])) for i in items)

        assert len(list(flatten_items(parsed.victim.items))) == count(esi["victim"]["items"])


def test_faction_ids_position_war_and_moon_are_kept() -> None:
    # given the war killmail whose victim has a faction (Caldari militia loss)
    parsed = parse_envelope(everef_line(_row(132859686)), source="test")
    # then
    assert parsed.victim.faction_id == 500011
    assert parsed.war_id == 755391
    with_moon = next(r for r in corpus() if "moon_id" in r["esi"])
    assert parse_envelope(everef_line(with_moon), source="t").moon_id == with_moon["esi"]["moon_id"]
    with_attacker_faction = next(
        r for r in corpus() if any("faction_id" in a for a in r["esi"]["attackers"])
    )
    parsed = parse_envelope(everef_line(with_attacker_faction), source="t")
    expected = [a.get("faction_id") for a in with_attacker_faction["esi"]["attackers"]]
    assert [a.faction_id for a in parsed.attackers] == expected
    position = with_attacker_faction["esi"]["victim"].get("position")
    if position:
        assert parsed.victim.position is not None
        assert parsed.victim.position.x == position["x"]


def test_container_contents_keep_their_parent_and_both_quantities() -> None:
    # given a killmail with nested container items
    row = _row(19123869)
    parsed = parse_envelope(everef_line(row), source="test")
    # when flattened for storage
    lines = list(flatten_items(parsed.victim.items))
    # then every nested line points at its container, and quantities are as sent
    containers = [i for i in row["esi"]["victim"]["items"] if "items" in i]
    assert containers
    nested = [(pos, parent, line) for pos, parent, line in lines if parent is not None]
    assert len(nested) == sum(len(c["items"]) for c in containers)
    for _pos, parent, _line in nested:
        assert lines[parent][2].items
    first = row["esi"]["victim"]["items"][0]
    assert lines[0][2].quantity_destroyed == first.get("quantity_destroyed")
    assert lines[0][2].quantity_dropped == first.get("quantity_dropped")


def test_r2z2_entry_and_zkillboard_element_carry_the_zkb_block() -> None:
    # given a real body wrapped as R2Z2 publishes it
    row = _row(435341)
    zkb = {"locationID": 40171814, "hash": row["killmail_hash"], "totalValue": 1234.5,
           "fittedValue": 1000.0, "droppedValue": 34.5, "destroyedValue": 1200.0,
           "points": 7, "npc": False, "solo": False, "awox": False, "labels": ["pvp"]}  # fmt: skip
    entry = {"killmail_id": 435341, "hash": row["killmail_hash"], "esi": row["esi"], "zkb": zkb,
             "uploaded_at": 1784012057, "sequence_id": 900001}  # fmt: skip
    # when
    from_r2z2 = parse_envelope(entry, source="r2z2")
    from_api = parse_envelope({**row["esi"], "zkb": zkb}, source="zkb")
    # then both read the hash and values from zkb
    for parsed in (from_r2z2, from_api):
        assert parsed.killmail_hash == row["killmail_hash"]
        assert parsed.zkb is not None
        assert parsed.zkb.total_value == 1234.5
        assert parsed.zkb.location_id == 40171814
        assert parsed.zkb.labels == ("pvp",)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d.pop("victim"), "missing victim"),
        (lambda d: d.pop("killmail_hash"), "missing killmail_hash"),
        (lambda d: d.update(killmail_hash="zz"),
         "killmail_hash must be 40 hexadecimal characters, got 'zz'"),
        (lambda d: d.update(killmail_hash="g" * 40),
         f"killmail_hash must be 40 hexadecimal characters, got {'g' * 40!r}"),
        (lambda d: d.update(killmail_hash="a" * 64),
         f"killmail_hash must be 40 hexadecimal characters, got {'a' * 48!r}"),
        (lambda d: d["victim"].update(damage_taken="12"),
         "wrong type for victim.damage_taken: expected integer, got str"),
        (lambda d: d["attackers"][0].update(final_blow=1),
         "wrong type for attackers[0].final_blow: expected boolean, got int"),
        (lambda d: d["victim"]["items"][0].update(flag=None), "missing victim.items[0].flag"),
        (lambda d: d.update(killmail_time="yesterday"), "bad killmail_time 'yesterday'"),
        (lambda d: d.update(attackers=[]), "missing attackers"),
    ],
)  # fmt: skip
def test_bad_input_is_rejected_with_a_reason(mutate, reason: str) -> None:
    # given a real killmail broken in one place
    document = copy.deepcopy(everef_line(_row(435341)))
    mutate(document)
    # when / then
    with pytest.raises(KillmailRejected) as caught:
        parse_envelope(document, source="test")
    assert caught.value.reason == reason
    assert caught.value.killmail_id == 435341


def test_bad_json_is_a_rejection() -> None:
    with pytest.raises(KillmailRejected, match="bad JSON"):
        parse_json(b'{"killmail_id": 1, ', source="test")
    document = orjson.dumps(everef_line(_row(435341)))
    assert parse_json(document, source="test").killmail_id == 435341


def test_a_hash_is_stored_in_lower_case() -> None:
    # given a real killmail whose hash a user typed in upper case
    document = everef_line(_row(435341))
    expected = document["killmail_hash"]
    document["killmail_hash"] = expected.upper()
    # when parsed, then the hash is ESI's own spelling
    assert parse_envelope(document, source="test").killmail_hash == expected


async def test_history_refs_with_a_bad_hash_are_rejected_before_any_esi_request() -> None:
    # given history refs whose hashes are not killmail hashes, and no ESI to ask at all
    from typing import cast

    from killreport.esi.client import EsiClient
    from killreport.jobs.esi_killmails import KillmailRef, fetch_killmails

    refs = [KillmailRef(1, "zz", None, "day:1"), KillmailRef(2, "", None, "day:2")]
    # when fetched (an ESI call would fail on the stand-in client)
    fetched = await fetch_killmails(cast(EsiClient, object()), refs, source="test")
    # then both are rejections with their reasons, and nothing was fetched
    assert [(r.killmail_id, r.reason, r.origin) for r in fetched.rejected] == [
        (1, "killmail_hash must be 40 hexadecimal characters, got 'zz'", "day:1"),
        (2, "missing killmail_hash", "day:2"),
    ]
    assert not fetched.killmails and not fetched.pending and not fetched.failed
