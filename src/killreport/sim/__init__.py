"""Offline simulator of ESI, zKillboard and EVE SSO for tests, demos and benchmarks.

`run_simulator(SimConfig(...))` starts it in-process and yields a `Simulator`;
`killreport sim serve` runs it as a process.
"""

from killreport.sim.config import Faults, SimConfig
from killreport.sim.server import Simulator, run_simulator

__all__ = ["Faults", "SimConfig", "Simulator", "run_simulator"]
