"""Event contracts: what each domain event carries, and its name on the wire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import orjson

from killreport.events.errors import BadEvent

EVENT_VERSION = 1


@dataclass(frozen=True, slots=True)
class KillmailCreated:
    """`killmail.created`: a killmail was stored for the first time (sent after commit)."""

    name: ClassVar[str] = "killmail.created"

    killmail_id: int
    sequence: int
    killmail_time: datetime
    solar_system_id: int
    region_id: int | None
    victim_character_id: int | None
    victim_corporation_id: int | None
    victim_alliance_id: int | None
    victim_ship_type_id: int
    attacker_character_ids: tuple[int, ...]
    attacker_corporation_ids: tuple[int, ...]
    attacker_alliance_ids: tuple[int, ...]
    total_value: float | None

    def to_json(self) -> bytes:
        """The wire form: a small JSON object with the event name and version."""
        return orjson.dumps(
            {
                "v": EVENT_VERSION,
                "event": self.name,
                "killmail_id": self.killmail_id,
                "sequence": self.sequence,
                "killmail_time": self.killmail_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "solar_system_id": self.solar_system_id,
                "region_id": self.region_id,
                "victim": {
                    "character_id": self.victim_character_id,
                    "corporation_id": self.victim_corporation_id,
                    "alliance_id": self.victim_alliance_id,
                    "ship_type_id": self.victim_ship_type_id,
                },
                "attackers": {
                    "character_ids": list(self.attacker_character_ids),
                    "corporation_ids": list(self.attacker_corporation_ids),
                    "alliance_ids": list(self.attacker_alliance_ids),
                },
                "total_value": self.total_value,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> KillmailCreated:
        """Read the wire form back; BadEvent when it is not a killmail.created event."""
        try:
            data: dict[str, Any] = orjson.loads(raw)
            if data.get("event") != cls.name:
                raise BadEvent(f"not a {cls.name} event: {data.get('event')!r}")
            victim = data["victim"]
            attackers = data["attackers"]
            return cls(
                killmail_id=int(data["killmail_id"]),
                sequence=int(data["sequence"]),
                killmail_time=datetime.fromisoformat(data["killmail_time"]),
                solar_system_id=int(data["solar_system_id"]),
                region_id=data.get("region_id"),
                victim_character_id=victim.get("character_id"),
                victim_corporation_id=victim.get("corporation_id"),
                victim_alliance_id=victim.get("alliance_id"),
                victim_ship_type_id=int(victim["ship_type_id"]),
                attacker_character_ids=tuple(attackers["character_ids"]),
                attacker_corporation_ids=tuple(attackers["corporation_ids"]),
                attacker_alliance_ids=tuple(attackers["alliance_ids"]),
                total_value=data.get("total_value"),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise BadEvent(f"malformed {cls.name} event: {exc}") from exc


Event = KillmailCreated

# Channel name -> event class: subscribers decode by channel, publishers look up by class.
EVENT_TYPES: dict[str, type[KillmailCreated]] = {KillmailCreated.name: KillmailCreated}
