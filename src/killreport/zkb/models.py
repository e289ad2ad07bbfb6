"""Typed zKillboard bodies: R2Z2 entries, zKillboard API kills, the `zkb` block."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from killreport.esi.models import Killmail


class ZkbModel(BaseModel):
    """Base of every zKillboard body: frozen, tolerant of new fields."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class ZkbMeta(BaseModel):
    """zKillboard's block of a killmail: values, points, flags and labels."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    hash: str
    location_id: int | None = Field(None, alias="locationID")
    fitted_value: float = Field(0.0, alias="fittedValue")
    dropped_value: float = Field(0.0, alias="droppedValue")
    destroyed_value: float = Field(0.0, alias="destroyedValue")
    total_value: float = Field(0.0, alias="totalValue")
    points: int = 0
    npc: bool = False
    solo: bool = False
    awox: bool = False
    labels: tuple[str, ...] = ()
    attacker_count: int | None = Field(None, alias="attackerCount")
    href: str | None = None


class R2Z2Entry(ZkbModel):
    """One R2Z2 ephemeral entry, `{n}.json`: the full ESI killmail with its zkb block."""

    killmail_id: int
    hash: str
    esi: Killmail
    zkb: ZkbMeta
    sequence_id: int
    uploaded_at: int | None = None


class ZkbApiKill(ZkbModel):
    """One element of a zKillboard API page; `esi` is present since 2026-06-27."""

    killmail_id: int
    zkb: ZkbMeta
    esi: Killmail | None = None

    @model_validator(mode="before")
    @classmethod
    def _embedded_killmail(cls, data: Any) -> Any:
        # The API element is the ESI body itself with `zkb` added, not a nested object.
        if isinstance(data, dict) and "victim" in data and "esi" not in data:
            return {**data, "esi": {k: v for k, v in data.items() if k != "zkb"}}
        return data
