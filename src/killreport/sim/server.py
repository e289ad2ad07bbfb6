"""The simulator's aiohttp application, the `Simulator` handle and `run_simulator`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import orjson
from aiohttp import web

from killreport.sim import admin, r2z2, zkb_api
from killreport.sim.config import Faults, SimConfig
from killreport.sim.esi_http import EsiPipeline
from killreport.sim.esi_routes import esi_routes
from killreport.sim.killmails import KillmailRecord, generate_for_character
from killreport.sim.lifecycle import advance_universe
from killreport.sim.sso import SsoSimulator
from killreport.sim.state import SimState, build_state
from killreport.sim.universe import Universe

logger = logging.getLogger(__name__)

SSO_CLIENT_ID = "killreport-sim"
SSO_CLIENT_SECRET = "killreport-sim-secret"


class CharacterNames(Mapping[int, str]):
    """Live read-only view of player character names for the SSO's consent page."""

    def __init__(self, universe: Universe) -> None:
        self._universe = universe

    def __getitem__(self, character_id: int) -> str:
        found = self._universe.characters[character_id]
        if found.npc:
            raise KeyError(character_id)
        return found.name

    def __iter__(self) -> Iterator[int]:
        return (c.character_id for c in self._universe.characters.values() if not c.npc)

    def __len__(self) -> int:
        return sum(1 for c in self._universe.characters.values() if not c.npc)


class Simulator:
    """A running simulator: its URLs, universe, counters and the knobs tests turn."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    @property
    def state(self) -> SimState:
        """The live state (universe, killmails, limits)."""
        return self._state

    @property
    def endpoints(self) -> dict[str, str]:
        """Base URL of each service: `esi`, `r2z2`, `zkb_api`, `sso`."""
        return {k: v for k, v in self._state.endpoints.items() if k != "root"}

    @property
    def url(self) -> str:
        """Root URL of the server."""
        return self._state.endpoints["root"]

    @property
    def universe(self) -> Universe:
        """The live universe tests compare stored rows against."""
        return self._state.universe

    @property
    def faults(self) -> Faults:
        """Fault knobs, read on every request."""
        return self._state.faults

    @property
    def config(self) -> SimConfig:
        """The configuration the simulator started with."""
        return self._state.config

    def stats(self) -> dict[str, Any]:
        """Counters, as `GET /_sim/stats` reports them."""
        return self._state.stats.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._state.stats.reset()

    def reset_limits(self) -> None:
        """Refill every token bucket and forget the error windows and request rates."""
        admin.reset_limits(self._state)

    def force(self, status: int, seconds: float) -> None:
        """Answer every ESI request with `status` (420, 429 or 503) for `seconds`."""
        self._state.faults.forced_until[status] = time.monotonic() + seconds

    def advance(self, days: int = 1, change_fraction: float = 0.01) -> dict[str, int]:
        """Move simulated time and change that share of the universe; return change counts."""
        return advance_universe(self._state, days, change_fraction)

    def add_killmail(
        self, esi_body: Mapping[str, Any], hash: str, zkb: Mapping[str, Any] | None = None
    ) -> None:
        """Make ESI (and the zKillboard API) serve this killmail body exactly."""
        self._state.store.add_body(dict(esi_body), hash, dict(zkb) if zkb else None)

    def add_character_killmails(
        self, character_id: int, count: int, *, days: float = 89
    ) -> list[int]:
        """Give a character `count` more killmails over the last `days` (ESI's recent
        routes cover 90); return their ids, ascending."""
        state = self._state
        now_s = state.clock.now()
        made = generate_for_character(
            state.universe,
            state.store,
            state.rng,
            state.config.seed,
            character_id,
            count,
            start_s=now_s - days * 86_400,
            end_s=now_s - 60,
        )
        return [record.killmail_id for record in made]

    def killmail(self, killmail_id: int) -> KillmailRecord:
        """A stored killmail record (its `body` built on access through `killmail_body`)."""
        return self._state.store.records[killmail_id]

    def killmail_body(self, killmail_id: int) -> dict[str, Any]:
        """The ESI body served for a killmail id."""
        return self._state.store.body(self._state.store.records[killmail_id])

    def killmail_ids(self) -> list[int]:
        """Every stored killmail id, ascending."""
        return list(self._state.store.ordered_ids)

    def publish_killmails(
        self,
        count: int,
        *,
        republish: int = 0,
        shuffle: bool = False,
        killmail_ids: list[int] | None = None,
    ) -> list[int]:
        """Publish killmails on R2Z2 (new ones, or the given ids); return sequence numbers."""
        return r2z2.publish(
            self._state, count, republish=republish, shuffle=shuffle, killmail_ids=killmail_ids
        )

    @property
    def publish_rate_per_s(self) -> float:
        """Killmails R2Z2 publishes per second in the background."""
        return self._state.feed.rate_per_s

    @publish_rate_per_s.setter
    def publish_rate_per_s(self, rate: float) -> None:
        self._state.feed.rate_per_s = rate

    def issue_token(self, character_id: int, scopes: list[str] | tuple[str, ...]) -> dict[str, Any]:
        """A token response from the SSO part for a character and scopes."""
        if self._state.sso is None:
            raise RuntimeError("the SSO simulator (killreport.sim.sso) is not available")
        result: dict[str, Any] = self._state.sso.issue_token(character_id, list(scopes))
        return result


def _authenticator(state: SimState) -> Any:
    def authenticate(request: web.Request) -> Any:
        sso = state.sso
        header = request.headers.get("Authorization", "")
        token = (
            header[7:].strip() if header[:7].lower() == "bearer " else request.query.get("token")
        )
        if not token or sso is None:
            return None
        return sso.verify_access_token(token)

    return authenticate


def build_app(state: SimState) -> web.Application:
    """The aiohttp application serving ESI, R2Z2, the zKillboard API, SSO and /_sim."""
    app = web.Application(client_max_size=4 * 1024 * 1024)
    names = CharacterNames(state.universe)
    state.sso = SsoSimulator(
        lambda: names,
        client_id=SSO_CLIENT_ID,
        client_secret=SSO_CLIENT_SECRET,
        seed=state.config.seed,
    )
    sso_app = web.Application()
    sso_app.add_routes(state.sso.routes())
    app.add_subapp("/sso", sso_app)
    pipeline = EsiPipeline(state, esi_routes(), _authenticator(state))
    app.router.add_route("*", "/esi/{tail:.*}", pipeline.handle)
    app.add_routes(r2z2.routes(state))
    app.add_routes(zkb_api.routes(state))
    app.add_routes(admin.routes(state))
    return app


@contextlib.asynccontextmanager
async def run_simulator(config: SimConfig | None = None) -> AsyncIterator[Simulator]:
    """Start the simulator in-process (port 0 = a free port) and yield its handle."""
    config = config or SimConfig()
    started = time.perf_counter()
    state = await asyncio.to_thread(build_state, config)
    app = build_app(state)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    host, port = runner.addresses[0][:2]
    root = f"http://{host}:{port}"
    state.endpoints.update(
        root=root,
        esi=f"{root}/esi",
        r2z2=f"{root}/r2z2",
        zkb_api=f"{root}/zkb/api",
        sso=f"{root}/sso",
    )
    publisher = asyncio.create_task(r2z2.publisher(state))
    logger.info(
        "simulator serving at %s (universe %s, seed %s) after %.2f s",
        root,
        config.universe,
        config.seed,
        time.perf_counter() - started,
    )
    try:
        yield Simulator(state)
    finally:
        publisher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publisher
        await runner.cleanup()


def endpoints_body(state: SimState) -> bytes:
    """The JSON of `GET /_sim/endpoints`."""
    return orjson.dumps({k: v for k, v in state.endpoints.items() if k != "root"})
