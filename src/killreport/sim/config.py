"""Settings of one simulator run, and the fault knobs that can change while it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

UNIVERSE_SIZES = ("tiny", "small", "medium", "large")


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How a simulator starts: universe, seed, limits, windows and initial faults."""

    seed: int = 1
    universe: str | Path = "small"
    host: str = "127.0.0.1"
    port: int = 0
    # Faults at start-up (changeable later through `Simulator.faults`).
    latency_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    reset_rate: float = 0.0
    timeout_s: float = 30.0
    # ESI legacy error limit: errors per fixed window.
    error_limit: int = 100
    error_window_s: float = 60.0
    # Overrides of rate-limit groups: name -> (max_tokens, window_s).
    rate_limits: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    # Multiplies every window (error window, token buckets, R2Z2 and zKillboard limits).
    window_scale: float = 1.0
    # R2Z2: requests per second per IP, kills between sequence.json refreshes, publish rate.
    r2z2_max_rps: int = 20
    r2z2_sequence_every: int = 51
    r2z2_publish_per_s: float = 0.0
    # zKillboard API: requests per IP per window.
    zkb_api_max_requests: int = 10
    zkb_api_window_s: float = 10.0
    # Killmails younger than this are withheld from the zKillboard API (R2Z2 has them).
    zkb_api_hold_back_s: float = 300.0
    # Anchor of simulated time (unix seconds); None = the wall clock at start.
    epoch: float | None = None


@dataclass(slots=True)
class Faults:
    """Fault knobs read on every request; tests and the admin endpoint change them live."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    reset_rate: float = 0.0
    timeout_s: float = 30.0
    # Forced windows: status (420, 429, 503) -> monotonic time the window ends.
    forced_until: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """The knobs as JSON-ready values."""
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "timeout_rate": self.timeout_rate,
            "reset_rate": self.reset_rate,
            "timeout_s": self.timeout_s,
            "forced_until": {str(k): v for k, v in self.forced_until.items()},
        }
