"""Killmail reads: keyset pages under any filter, details by id, sequences, daily counts.

A page is one statement that walks an index (`killmails` ordered by time or value, the
cursor a position in that order), so page 200 costs what page 1 costs; details of the
page's killmails are two more statements (attackers, items), whatever the page size.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from killreport.db.tables import Attacker, Item, Killmail
from killreport.killmails.conditions import filter_conditions
from killreport.killmails.detail import AttackerDetail, ItemDetail, KillmailDetail
from killreport.killmails.filters import KillmailFilter, KillmailOrder
from killreport.universe.static import load_static

MAX_PAGE_SIZE = 100


class PageSizeError(ValueError):
    """`first` is below 1 or above MAX_PAGE_SIZE."""


class BadCursor(ValueError):
    """The `after` cursor is not one this order handed out."""


@dataclass(frozen=True, slots=True)
class KillmailPage:
    """One page of killmails and where the next one starts."""

    items: tuple[KillmailDetail, ...]
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class DateCount:
    """Killmails on one UTC day."""

    day: date
    count: int


@dataclass(frozen=True, slots=True)
class _Position:
    value: float | None
    time: datetime | None
    killmail_id: int


def encode_cursor(order: KillmailOrder, killmail: KillmailDetail) -> str:
    """An opaque cursor just after this killmail in this order."""
    key: Any = (
        killmail.total_value
        if order is KillmailOrder.VALUE_DESC
        else killmail.killmail_time.isoformat()
    )
    raw = json.dumps([order.value, key, killmail.killmail_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(order: KillmailOrder, cursor: str) -> _Position:
    """The position a cursor of this order points at; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, key, killmail_id = json.loads(raw)
        if name != order.value or not isinstance(killmail_id, int):
            raise BadCursor(f"cursor is not one of order {order.value}")
        if order is KillmailOrder.VALUE_DESC:
            if key is not None and not isinstance(key, int | float):
                raise BadCursor("cursor value is not a number")
            return _Position(None if key is None else float(key), None, killmail_id)
        time = datetime.fromisoformat(key)
        if time.tzinfo is None:
            raise BadCursor("cursor time has no time zone")
        return _Position(None, time, killmail_id)
    except BadCursor:
        raise
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadCursor("cursor is not one this API handed out") from exc


def _after(order: KillmailOrder, at: _Position) -> ColumnElement[bool]:
    time, kid = Killmail.killmail_time, Killmail.killmail_id
    if order is KillmailOrder.TIME_DESC:
        return and_(time <= at.time, or_(time < at.time, kid < at.killmail_id))
    if order is KillmailOrder.TIME_ASC:
        return and_(time >= at.time, or_(time > at.time, kid > at.killmail_id))
    value = Killmail.total_value
    if at.value is None:
        return and_(value.is_(None), kid < at.killmail_id)
    return or_(value < at.value, and_(value == at.value, kid < at.killmail_id), value.is_(None))


def _ordered(statement: Select[Any], order: KillmailOrder) -> Select[Any]:
    if order is KillmailOrder.TIME_DESC:
        return statement.order_by(Killmail.killmail_time.desc(), Killmail.killmail_id.desc())
    if order is KillmailOrder.TIME_ASC:
        return statement.order_by(Killmail.killmail_time.asc(), Killmail.killmail_id.asc())
    return statement.order_by(Killmail.total_value.desc().nulls_last(), Killmail.killmail_id.desc())


async def list_killmails(
    session: AsyncSession,
    filter: KillmailFilter,
    *,
    order: KillmailOrder = KillmailOrder.TIME_DESC,
    first: int,
    after: str | None = None,
) -> KillmailPage:
    """One page of killmails matching the filter, in order, after the cursor."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise PageSizeError(f"first must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    conditions = filter_conditions(filter)
    if after is not None:
        conditions.append(_after(order, decode_cursor(order, after)))
    statement = _ordered(select(Killmail).where(*conditions), order).limit(first + 1)
    rows = list((await session.scalars(statement)).all())
    has_next = len(rows) > first
    rows = rows[:first]
    details = await _details(session, rows)
    items = tuple(details[row.killmail_id] for row in rows)
    end_cursor = encode_cursor(order, items[-1]) if items else None
    return KillmailPage(items=items, end_cursor=end_cursor, has_next_page=has_next)


async def get_killmails(session: AsyncSession, ids: Iterable[int]) -> dict[int, KillmailDetail]:
    """The stored killmails among the ids, by id, in three statements; unknown ids absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = (await session.scalars(select(Killmail).where(Killmail.killmail_id.in_(wanted)))).all()
    return await _details(session, list(rows))


async def get_killmail(session: AsyncSession, killmail_id: int) -> KillmailDetail | None:
    """One stored killmail with attackers and items, or None."""
    return (await get_killmails(session, [killmail_id])).get(killmail_id)


async def killmails_after_sequence(
    session: AsyncSession, after_sequence: int, *, limit: int
) -> list[KillmailDetail]:
    """Killmails stored after a sequence number, in ascending sequence, at most `limit`."""
    statement = (
        select(Killmail)
        .where(Killmail.sequence > after_sequence)
        .order_by(Killmail.sequence)
        .limit(limit)
    )
    rows = list((await session.scalars(statement)).all())
    details = await _details(session, rows)
    return [details[row.killmail_id] for row in rows]


async def latest_sequence(session: AsyncSession) -> int:
    """The highest stored sequence number, 0 when nothing is stored."""
    found = await session.scalar(select(func.max(Killmail.sequence)))
    return int(found or 0)


async def killmail_date_counts(
    session: AsyncSession,
    filter: KillmailFilter,
    since: datetime | None,
    until: datetime | None,
) -> list[DateCount]:
    """Matching killmails per UTC day between since (inclusive) and until (exclusive)."""
    conditions = filter_conditions(filter)
    if since is not None:
        conditions.append(Killmail.killmail_time >= since)
    if until is not None:
        conditions.append(Killmail.killmail_time < until)
    if session.get_bind().dialect.name == "sqlite":
        day: ColumnElement[Any] = func.date(Killmail.killmail_time)
    else:
        day = func.date(func.timezone("UTC", Killmail.killmail_time))
    statement = (
        select(day.label("day"), func.count().label("n"))
        .where(*conditions)
        .group_by(day)
        .order_by(day)
    )
    result = await session.execute(statement)
    return [
        DateCount(day=value if isinstance(value, date) else date.fromisoformat(str(value)), count=n)
        for value, n in result.tuples().all()
    ]


async def _details(session: AsyncSession, rows: Sequence[Killmail]) -> dict[int, KillmailDetail]:
    if not rows:
        return {}
    ids = [row.killmail_id for row in rows]
    attackers = (
        await session.scalars(
            select(Attacker)
            .where(Attacker.killmail_id.in_(ids))
            .order_by(Attacker.killmail_id, Attacker.position)
        )
    ).all()
    items = (
        await session.scalars(
            select(Item).where(Item.killmail_id.in_(ids)).order_by(Item.killmail_id, Item.position)
        )
    ).all()
    attackers_by: dict[int, list[AttackerDetail]] = {}
    universe = load_static()
    for a in attackers:
        attackers_by.setdefault(a.killmail_id, []).append(
            AttackerDetail(
                position=a.position,
                character_id=a.character_id,
                corporation_id=a.corporation_id,
                alliance_id=a.alliance_id,
                faction_id=a.faction_id,
                ship_type_id=a.ship_type_id,
                ship_group_id=universe.group_of_type(a.ship_type_id) if a.ship_type_id else None,
                weapon_type_id=a.weapon_type_id,
                damage_done=a.damage_done,
                final_blow=a.final_blow,
                security_status=a.security_status,
            )
        )
    items_by: dict[int, list[Item]] = {}
    for item in items:
        items_by.setdefault(item.killmail_id, []).append(item)
    return {
        row.killmail_id: _detail(
            row, tuple(attackers_by.get(row.killmail_id, ())), items_by.get(row.killmail_id, [])
        )
        for row in rows
    }


def _item_tree(lines: list[Item]) -> tuple[ItemDetail, ...]:
    universe = load_static()
    children: dict[int | None, list[Item]] = {}
    for line in lines:
        children.setdefault(line.parent_position, []).append(line)

    def build(line: Item) -> ItemDetail:
        return ItemDetail(
            position=line.position,
            parent_position=line.parent_position,
            item_type_id=line.item_type_id,
            category_id=universe.category_of_type(line.item_type_id),
            flag=line.flag,
            singleton=line.singleton,
            quantity_destroyed=line.quantity_destroyed,
            quantity_dropped=line.quantity_dropped,
            unit_value=line.unit_value,
            children=tuple(build(child) for child in children.get(line.position, ())),
        )

    return tuple(build(line) for line in children.get(None, ()))


def _detail(
    row: Killmail, attackers: tuple[AttackerDetail, ...], items: list[Item]
) -> KillmailDetail:
    return KillmailDetail(
        killmail_id=row.killmail_id,
        killmail_hash=row.killmail_hash,
        killmail_time=row.killmail_time,
        sequence=row.sequence,
        solar_system_id=row.solar_system_id,
        constellation_id=row.constellation_id,
        region_id=row.region_id,
        security=row.security,
        moon_id=row.moon_id,
        war_id=row.war_id,
        location_id=row.location_id,
        victim_character_id=row.victim_character_id,
        victim_corporation_id=row.victim_corporation_id,
        victim_alliance_id=row.victim_alliance_id,
        victim_faction_id=row.victim_faction_id,
        victim_ship_type_id=row.victim_ship_type_id,
        victim_ship_group_id=row.victim_ship_group_id,
        victim_damage_taken=row.victim_damage_taken,
        position_x=row.position_x,
        position_y=row.position_y,
        position_z=row.position_z,
        attacker_count=row.attacker_count,
        final_blow_character_id=row.final_blow_character_id,
        fitted_value=row.fitted_value,
        dropped_value=row.dropped_value,
        destroyed_value=row.destroyed_value,
        total_value=row.total_value,
        points=row.points,
        npc=row.npc,
        solo=row.solo,
        awox=row.awox,
        labels=tuple(row.labels or ()),
        value_source=row.value_source,
        source=row.source,
        ingested_at=row.ingested_at,
        attackers=attackers,
        items=_item_tree(items),
    )
