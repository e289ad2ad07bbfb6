"""Where an item sat on the victim: one table from ESI's item `flag` to a slot kind.

Flag numbers are EVE's inventory flags (the static snapshot's `flags`, e.g. 27 HiSlot0,
19 MedSlot0, 11 LoSlot0, 92 RigSlot0, 125 SubSystem0, 164 StructureServiceSlot0).
"""

from __future__ import annotations

from enum import StrEnum


class SlotKind(StrEnum):
    """The kind of place an item line occupied."""

    HIGH = "HIGH"
    MID = "MID"
    LOW = "LOW"
    RIG = "RIG"
    SUBSYSTEM = "SUBSYSTEM"
    SERVICE = "SERVICE"
    DRONE_BAY = "DRONE_BAY"
    FIGHTER_BAY = "FIGHTER_BAY"
    FIGHTER_TUBE = "FIGHTER_TUBE"
    IMPLANT = "IMPLANT"
    BOOSTER = "BOOSTER"
    CARGO = "CARGO"
    FLEET_HANGAR = "FLEET_HANGAR"
    SHIP_HANGAR = "SHIP_HANGAR"
    SPECIALIZED_HOLD = "SPECIALIZED_HOLD"
    STRUCTURE_FUEL = "STRUCTURE_FUEL"
    OTHER = "OTHER"


# (first flag, last flag, kind); the fitted slots first, as a fitting lists them.
SLOT_RANGES: tuple[tuple[int, int, SlotKind], ...] = (
    (27, 34, SlotKind.HIGH),
    (19, 26, SlotKind.MID),
    (11, 18, SlotKind.LOW),
    (92, 99, SlotKind.RIG),
    (125, 132, SlotKind.SUBSYSTEM),
    (164, 171, SlotKind.SERVICE),
    (87, 87, SlotKind.DRONE_BAY),
    (158, 158, SlotKind.FIGHTER_BAY),
    (159, 163, SlotKind.FIGHTER_TUBE),
    (89, 89, SlotKind.IMPLANT),
    (88, 88, SlotKind.BOOSTER),
    (5, 5, SlotKind.CARGO),
    (155, 155, SlotKind.FLEET_HANGAR),
    (90, 90, SlotKind.SHIP_HANGAR),
    (133, 143, SlotKind.SPECIALIZED_HOLD),
    (148, 149, SlotKind.SPECIALIZED_HOLD),
    (151, 151, SlotKind.SPECIALIZED_HOLD),
    (154, 154, SlotKind.SPECIALIZED_HOLD),
    (176, 177, SlotKind.SPECIALIZED_HOLD),
    (179, 182, SlotKind.SPECIALIZED_HOLD),
    (172, 172, SlotKind.STRUCTURE_FUEL),
)

# Slots that hold one module each (and its charge), in fitting order.
FITTED_SLOT_KINDS = (
    SlotKind.HIGH,
    SlotKind.MID,
    SlotKind.LOW,
    SlotKind.RIG,
    SlotKind.SUBSYSTEM,
    SlotKind.SERVICE,
)

_BY_FLAG: dict[int, tuple[SlotKind, int]] = {
    flag: (kind, flag - first)
    for first, last, kind in SLOT_RANGES
    for flag in range(first, last + 1)
}


def slot_kind(flag: int) -> SlotKind:
    """The slot kind of an ESI item flag (OTHER for flags no slot names)."""
    found = _BY_FLAG.get(flag)
    return found[0] if found else SlotKind.OTHER


def slot_index(flag: int) -> int:
    """The 0-based index of the flag within its slot kind (HiSlot3 -> 3)."""
    found = _BY_FLAG.get(flag)
    return found[1] if found else 0
