"""Everything one running simulator holds: universe, killmails, limits, faults, counters."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from killreport.sim.config import Faults, SimConfig
from killreport.sim.generator import build_universe
from killreport.sim.killmails import KillmailStore
from killreport.sim.limits import BucketLimit, ErrorLimiter, RequestRate, TokenBuckets
from killreport.sim.spec import RateLimitGroup, rate_limit_groups
from killreport.sim.stats import Stats
from killreport.sim.universe import Universe


class SimClock:
    """Simulated time: the wall clock (or a fixed epoch) plus the days `advance()` added."""

    def __init__(self, epoch: float | None) -> None:
        self._started_wall = time.time()
        self.epoch = epoch if epoch is not None else self._started_wall
        self.offset_s = 0.0

    def now(self) -> float:
        """Simulated unix seconds now."""
        return self.epoch + (time.time() - self._started_wall) + self.offset_s


def _limit_text(max_tokens: int, window_s: float) -> str:
    if window_s % 3600 == 0:
        return f"{max_tokens}/{int(window_s // 3600)}h"
    if window_s % 60 == 0:
        return f"{max_tokens}/{int(window_s // 60)}m"
    return f"{max_tokens}/{int(window_s)}s"


def bucket_limits(config: SimConfig) -> dict[str, BucketLimit]:
    """Enforced bucket per group: the spec's size, overridden per group, windows scaled.

    `X-Ratelimit-Limit` shows the unscaled window so clients parse it as from ESI.
    """
    limits: dict[str, BucketLimit] = {}
    groups: dict[str, RateLimitGroup] = dict(rate_limit_groups())
    for name, (max_tokens, window_s) in config.rate_limits.items():
        groups[name] = RateLimitGroup(name, max_tokens, window_s, "")
    for name, group in groups.items():
        text = (
            f"{group.max_tokens}/{group.window_text}"
            if group.window_text
            else _limit_text(group.max_tokens, group.window_s)
        )
        limits[name] = BucketLimit(
            name, group.max_tokens, group.window_s * config.window_scale, text
        )
    return limits


@dataclass(slots=True)
class R2z2Feed:
    """Published sequence numbers -> killmail ids, and the lagging `sequence.json` value."""

    first_sequence: int
    published: dict[int, tuple[int, float]] = field(default_factory=dict)  # seq -> (km id, at)
    next_sequence: int = 0
    reported_sequence: int = 0
    rate_per_s: float = 0.0

    def __post_init__(self) -> None:
        self.next_sequence = self.first_sequence
        self.reported_sequence = self.first_sequence

    def seed_with(self, killmail_id: int | None) -> None:
        """Start like R2Z2 does: `sequence.json` names an entry that exists (the last kill).

        The real feed always has a newest entry; without one a follower starting at the
        head would wait on a 404 until the first publish.
        """
        if killmail_id is None:
            return
        seeded = self.first_sequence - 1
        self.published[seeded] = (killmail_id, time.time())
        self.reported_sequence = seeded


@dataclass(slots=True)
class SimState:
    """The live state the route handlers read and the `Simulator` API changes."""

    config: SimConfig
    universe: Universe
    store: KillmailStore
    clock: SimClock
    faults: Faults
    stats: Stats
    errors: ErrorLimiter
    buckets: TokenBuckets
    limits: dict[str, BucketLimit]
    r2z2_rate: RequestRate
    zkb_rate: RequestRate
    feed: R2z2Feed
    rng: random.Random
    sso: Any = None  # the mounted killreport.sim.sso.SsoSimulator
    endpoints: dict[str, str] = field(default_factory=dict)
    started_at_s: float = field(default_factory=time.time)


def build_state(config: SimConfig) -> SimState:
    """Generate the universe and set up limits and counters for a configuration."""
    clock = SimClock(config.epoch)
    universe, store = build_universe(config.seed, config.universe, clock.epoch)
    scale = config.window_scale
    state = SimState(
        config=config,
        universe=universe,
        store=store,
        clock=clock,
        faults=Faults(
            latency_ms=config.latency_ms,
            error_rate=config.error_rate,
            timeout_rate=config.timeout_rate,
            reset_rate=config.reset_rate,
            timeout_s=config.timeout_s,
        ),
        stats=Stats(),
        errors=ErrorLimiter(config.error_limit, config.error_window_s * scale),
        buckets=TokenBuckets(),
        limits=bucket_limits(config),
        r2z2_rate=RequestRate(config.r2z2_max_rps, 1.0 * scale),
        zkb_rate=RequestRate(config.zkb_api_max_requests, config.zkb_api_window_s * scale),
        feed=R2z2Feed(
            first_sequence=100_000_000 + config.seed % 1000 * 1000,
            rate_per_s=config.r2z2_publish_per_s,
        ),
        rng=random.Random(config.seed),
    )
    state.feed.seed_with(store.ordered_ids[-1] if store.ordered_ids else None)
    return state
