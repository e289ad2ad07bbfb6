"""Derived fields: EVE's displayed security, location class, npc/solo/awox and labels."""

from __future__ import annotations

import pytest

from killreport.killmails.derive import derive, displayed_security, security_class
from killreport.killmails.parse import parse_envelope
from killreport.universe.static import load_static
from tests.killmails.corpus import corpus, everef_line


@pytest.mark.parametrize(
    ("true_security", "shown", "klass"),
    [
        (0.456959, 0.5, "highsec"),  # Shenela: 0.45 and up shows as 0.5, highsec
        (0.45, 0.5, "highsec"),
        (0.442817, 0.4, "lowsec"),  # Onsooh
        (0.029147, 0.1, "lowsec"),  # above zero never shows as 0.0: lowsec
        (0.0, 0.0, "nullsec"),
        (-0.044481, 0.0, "nullsec"),
        (-0.99, -1.0, "nullsec"),
        (0.945913, 0.9, "highsec"),
    ],
)
def test_displayed_security_follows_eve_rounding(
    true_security: float, shown: float, klass: str
) -> None:
    assert displayed_security(true_security) == shown
    assert security_class(30000001, 10000001, shown) == klass


def test_wormhole_abyssal_and_drifter_space_by_system() -> None:
    assert security_class(31002321, 11000020, -1.0) == "w-space"
    assert security_class(31000001, 11000033, -1.0) == "drifter"
    assert security_class(32000032, 12000003, -1.0) == "abyssal"


def _derived(killmail_id: int, total_value: float | None = None):
    row = next(r for r in corpus() if r["killmail_id"] == killmail_id)
    parsed = parse_envelope(everef_line(row), source="test")
    return derive(parsed, load_static(), total_value)


def test_region_constellation_and_security_come_from_the_static_map() -> None:
    # Jita, the NPC-killed Hulk of 23579700
    derived = _derived(23579700)
    assert (derived.region_id, derived.constellation_id, derived.security) == (
        10000002,
        20000020,
        0.9,
    )


def test_npc_kill_is_npc_and_worth_one_point() -> None:
    derived = _derived(23579700)
    assert derived.npc is True
    assert derived.solo is False
    assert derived.points == 1
    assert "npc" in derived.labels


def test_solo_kill_by_one_player_is_solo_pvp_without_a_count_label() -> None:
    # a lowsec solo kill in a ship (category 6), one player attacker
    derived = _derived(45683367)
    assert derived.npc is False
    assert derived.solo is True
    assert derived.attacker_count == 1
    # zKillboard skips the `#:` count labels once `solo` is set
    assert derived.labels == ("tz:au", "cat:6", "solo", "pvp", "loc:lowsec")


def test_labels_for_a_known_killmail() -> None:
    # 435341: 2008-01-06 00:44 UTC, battleship, 4 pirates, lowsec (0.4), 96 m ISK
    derived = _derived(435341, total_value=96_099_900.47)
    assert derived.labels == ("tz:use", "cat:6", "#:2+", "pvp", "loc:lowsec")
    assert derived.final_blow_character_id == 834178711
    big = _derived(435341, total_value=12e9)
    assert "isk:10b+" in big.labels


def test_capital_label_and_count_bucket() -> None:
    derived = _derived(54229916)  # a capital killed by 72
    assert "capital" in derived.labels
    assert "#:50+" in derived.labels
    assert "loc:nullsec" in derived.labels
