"""A served KillReport holding the 108 real killmails, for other boards and clients to read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from killreport import container as container_module
from killreport.api.app import create_app
from killreport.container import Container
from killreport.db.engine import Database
from killreport.db.tables import Killmail
from killreport.killmails import repository
from killreport.killmails.parse import parse_envelope, parse_esi
from killreport.killmails.service import ingest_batch
from killreport.killmails.zkb_envelope import load_stored
from killreport.settings import Settings
from killreport.sim import Simulator
from killreport.sim.zkb_block import zkb_block
from tests.killmails.corpus import corpus, daily_prices, everef_line
from tests.serving import serve


@dataclass(frozen=True, slots=True)
class ServedBoard:
    """The first board: its container and the base URL it is served at."""

    container: Container
    url: str


async def fill(container: Container, rows: tuple[dict[str, Any], ...] | None = None) -> None:
    """Ingest real killmails (all 108 by default) with their daily prices."""
    async with container.database.transaction() as session:
        await repository.store_prices(session, list(daily_prices()))
    killmails = [parse_envelope(everef_line(r), source="test") for r in rows or corpus()]
    await ingest_batch(container.database, container.events, killmails)


async def fill_from_sim(container: Container, sim: Simulator) -> None:
    """Ingest every simulator killmail, its body exactly as the simulator's ESI serves it,
    valued by the zkb block the simulator's R2Z2 sends with it (as a feed-fed board is)."""
    state = sim.state
    killmails = []
    for k in sim.killmail_ids():
        body = sim.killmail_body(k)
        zkb = zkb_block(sim.killmail(k), body, state.universe.static)
        killmails.append(parse_esi(body, sim.killmail(k).killmail_hash, zkb=zkb, source="test"))
    await ingest_batch(container.database, container.events, killmails)


@asynccontextmanager
async def served_board(settings: Settings, *, filled: bool = True) -> AsyncIterator[ServedBoard]:
    """Build a board on `settings`, fill it with the corpus, serve its app."""
    async with container_module.build(settings) as container:
        if filled:
            await fill(container)
        async with serve(create_app(container)) as url:
            yield ServedBoard(container, url)


async def stored_bodies(database: Database) -> dict[int, tuple[str, dict[str, Any]]]:
    """Every stored killmail: id -> (hash, ESI body rebuilt from the rows)."""
    async with database.transaction() as session:
        ids = (await session.scalars(select(Killmail.killmail_id))).all()
        stored = await load_stored(session, sorted(ids))
    return {s.row.killmail_id: (s.row.killmail_hash, s.esi) for s in stored}
